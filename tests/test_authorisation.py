"""Competence and authorisation: who is authorised for which model or part, in which role, and
when; assignment refuses an unauthorised person with the reason, once the body records them."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Assignment
from portal.models import AuditEntry
from tenants.models import Authorisation
from tenants.roles import Role
from tests.factories import MembershipFactory
from tests.factories_assessments import make_model_version


def _today():
    return timezone.localdate()


@pytest.fixture
def setup(tenant, organization, member, api_for):
    admin = member(Role.TENANT_ADMIN)
    version = make_model_version(domains=1, items_per_domain=1)
    response = api_for(admin).post(
        f"/api/v1/t/{tenant.slug}/engagements/",
        {
            "organization": organization.pk,
            "model_version": version.pk,
            "target_level": 3,
            "scope": ["P"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return {"admin": admin, "version": version, "engagement": response.json()["id"]}


def _authorise(api, tenant, person, version, role, **extra):
    return api.post(
        f"/api/v1/t/{tenant.slug}/authorisations/",
        {
            "user": person.user.email,
            "role": role,
            "model_code": version.model.code,
            "valid_from": _today().isoformat(),
            "qualification": "CAICT DevOps assessor course, 2025",
            **extra,
        },
        format="json",
    )


def _assign(api, tenant, setup, person, role):
    return api.post(
        f"/api/v1/t/{tenant.slug}/assignments/",
        {"engagement": setup["engagement"], "user": person.user.email, "role": role},
        format="json",
    )


def test_without_any_authorisation_recorded_the_body_assigns_as_before(
    tenant, setup, member, api_for
):
    response = _assign(api_for(setup["admin"]), tenant, setup, member(Role.ASSESSOR), "assessor")
    assert response.status_code == 201, response.json()


def test_once_the_body_records_authorisations_an_unauthorised_person_is_refused(
    tenant, setup, member, api_for
):
    api = api_for(setup["admin"])
    authorised, other = member(Role.ASSESSOR), member(Role.ASSESSOR)
    assert _authorise(api, tenant, authorised, setup["version"], "assessor").status_code == 201
    before = AuditEntry.objects.count()
    refused = _assign(api, tenant, setup, other, "assessor")
    assert refused.status_code == 400
    assert "not authorised" in refused.json()["user"][0]
    assert AuditEntry.objects.count() == before
    with scope(tenant=tenant):
        assert not Assignment.objects.filter(user=other.user).exists()
    assert _assign(api, tenant, setup, authorised, "assessor").status_code == 201


def test_an_authorisation_is_for_a_role(tenant, setup, member, api_for):
    api = api_for(setup["admin"])
    person = member(Role.ASSESSOR)
    _authorise(api, tenant, person, setup["version"], "assessor")
    response = _assign(api, tenant, setup, person, "lead_assessor")
    assert response.status_code == 400 and "lead" in response.json()["user"][0].lower()


def test_a_lead_authorisation_covers_assessing(tenant, setup, member, api_for):
    api = api_for(setup["admin"])
    person = member(Role.ASSESSOR)
    _authorise(api, tenant, person, setup["version"], "lead")
    assert _assign(api, tenant, setup, person, "assessor").status_code == 201


def test_an_expired_authorisation_does_not_count(tenant, setup, member, api_for):
    api = api_for(setup["admin"])
    person = member(Role.ASSESSOR)
    response = _authorise(
        api,
        tenant,
        person,
        setup["version"],
        "assessor",
        valid_from=(_today() - datetime.timedelta(days=400)).isoformat(),
        valid_until=(_today() - datetime.timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 201, response.json()
    assert _assign(api, tenant, setup, person, "assessor").status_code == 400


def test_an_authorisation_for_another_part_does_not_count(tenant, setup, member, api_for):
    api = api_for(setup["admin"])
    person = member(Role.ASSESSOR)
    _authorise(api, tenant, person, setup["version"], "assessor", part_code="OTHER")
    response = _assign(api, tenant, setup, person, "assessor")
    assert response.status_code == 400 and "P" in response.json()["user"][0]
    _authorise(api, tenant, person, setup["version"], "assessor", part_code="P")
    assert _assign(api, tenant, setup, person, "assessor").status_code == 201


def test_a_revoked_authorisation_does_not_count(tenant, setup, member, api_for):
    api = api_for(setup["admin"])
    person = member(Role.ASSESSOR)
    created = _authorise(api, tenant, person, setup["version"], "assessor").json()
    revoked = api.post(f"/api/v1/t/{tenant.slug}/authorisations/{created['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert _assign(api, tenant, setup, person, "assessor").status_code == 400


def test_dates_in_the_wrong_order_are_a_400_naming_the_field(tenant, setup, member, api_for):
    response = _authorise(
        api_for(setup["admin"]),
        tenant,
        member(Role.ASSESSOR),
        setup["version"],
        "assessor",
        valid_until=(_today() - datetime.timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 400 and "valid_until" in response.json()


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.OFFICER, Role.CLIENT_ADMIN])
def test_only_admins_record_authorisations(tenant, setup, member, api_for, role):
    response = _authorise(
        api_for(member(role)), tenant, member(Role.ASSESSOR), setup["version"], "assessor"
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert Authorisation.objects.count() == 0


def test_clients_see_no_authorisations_and_staff_see_them(tenant, setup, member, api_for):
    _authorise(api_for(setup["admin"]), tenant, member(Role.ASSESSOR), setup["version"], "lead")
    url = f"/api/v1/t/{tenant.slug}/authorisations/"
    assert api_for(member(Role.CLIENT_ADMIN)).get(url).json()["count"] == 0
    assert api_for(member(Role.REVIEWER)).get(url).json()["count"] == 1


def test_the_authorisations_page_records_one(tenant, setup, member, client_for):
    person = member(Role.ASSESSOR)
    url = f"/t/{tenant.slug}/people/authorisations/"
    page = client_for(setup["admin"]).get(url)
    assert page.status_code == 200
    response = client_for(setup["admin"]).post(
        url,
        {
            "user": person.user.pk,
            "role": "assessor",
            "model_code": setup["version"].model.code,
            "part_code": "",
            "valid_from": _today().isoformat(),
            "valid_until": "",
            "qualification": "Course",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Authorisation.objects.filter(user=person.user).count() == 1
    assert client_for(member(Role.CLIENT_ADMIN)).get(url).status_code == 403


def test_the_refusal_shows_on_the_team_page(tenant, setup, member, client_for, api_for):
    person, authorised = member(Role.ASSESSOR), MembershipFactory(tenant=tenant, role=Role.ASSESSOR)
    _authorise(api_for(setup["admin"]), tenant, authorised, setup["version"], "assessor")
    response = client_for(setup["admin"]).post(
        f"/t/{tenant.slug}/engagements/{setup['engagement']}/team/",
        {
            "team-TOTAL_FORMS": "1",
            "team-INITIAL_FORMS": "0",
            "team-0-user": person.user.pk,
            "team-0-role": "assessor",
        },
    )
    assert "not authorised" in response.content.decode()
