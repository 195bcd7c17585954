"""Complaints and appeals (ISO/IEC 17021-1 9.7, 9.8): a public complaint with its
acknowledgement number, a client's appeal of its own engagement's decision, handling by someone
the portal shows was not involved, deadlines, outcome and reply, and who sees any of it."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from certificates.models import Case
from certificates.services import cases as services
from portal.models import AuditEntry
from tenants.models import ConflictOfInterest
from tenants.roles import Role
from tests.cycle_helpers import certified_world
from tests.factories import MembershipFactory


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the public limiter counts per address across tests otherwise
    yield
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def world(tenant):
    world = certified_world(tenant)
    world.handler = MembershipFactory(tenant=tenant, role=Role.REVIEWER)
    world.second_admin = MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN)
    return world


def _complaint(world, **overrides):
    data = {
        "about": "organization",
        "certificate_number": world.certificate.number,
        "name": "Wang Fang",
        "email": "wang.fang@example.org",
        "text": "Their pipeline is not gated as the certificate says.",
        **overrides,
    }
    with scope(tenant=world.tenant):
        return services.lodge_complaint(tenant=world.tenant, **data)


def _appeal(world, grounds="Level 4 was reached in domain P."):
    with scope(tenant=world.tenant):
        return services.lodge_appeal(engagement=world.engagement, by=world.client, grounds=grounds)


def _cases_url(world, case=None, action=None):
    url = f"/api/v1/t/{world.tenant.slug}/cases/"
    if case is not None:
        url += f"{case.pk}/"
    if action:
        url += f"{action}/"
    return url


def _audit_verbs(case):
    with scopes_disabled():
        return list(
            AuditEntry.objects.filter(object_pk=str(case.pk), verb__contains=".")
            .filter(content_type__model="case")
            .order_by("timestamp", "pk")
            .values_list("verb", flat=True)
        )


# --- Lodging -------------------------------------------------------------------------------------


def test_anyone_lodges_a_complaint_on_the_public_page_and_sees_its_number(
    world, client, django_capture_on_commit_callbacks
):
    url = f"/complaints/{world.tenant.slug}/"
    page = client.get(url, {"certificate": world.certificate.number})
    assert page.status_code == 200
    assert world.certificate.number in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "about": "organization",
                "certificate_number": world.certificate.number,
                "name": "Wang Fang",
                "email": "wang.fang@example.org",
                "text": "Their pipeline is not gated.",
            },
            follow=True,
        )
    year = timezone.localdate().year
    assert response.status_code == 200
    assert f"CMP-{year}-0001" in response.content.decode()
    with scopes_disabled():
        case = Case.objects.get()
    assert case.organization == world.organization
    assert case.certificate == world.certificate
    assert case.status == Case.Status.RECEIVED
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=60)
    acknowledgement = [m for m in mail.outbox if m.to == ["wang.fang@example.org"]]
    assert len(acknowledgement) == 1 and f"CMP-{year}-0001" in acknowledgement[0].body
    assert any(world.admin.user.email in m.to for m in mail.outbox)
    assert _audit_verbs(case) == ["complaint.lodged"]


def test_the_verification_page_links_to_the_complaint_form(world, client):
    page = client.get(f"/verify/{world.certificate.number}/")
    assert f"/complaints/{world.tenant.slug}/?certificate={world.certificate.number}" in (
        page.content.decode()
    )


def test_acknowledgement_numbers_are_gap_free_per_body_and_year(world):
    year = timezone.localdate().year
    first = _complaint(world)
    second = _complaint(world, about="body", certificate_number="")
    appeal = _appeal(world)
    assert [first.number, second.number] == [f"CMP-{year}-0001", f"CMP-{year}-0002"]
    assert appeal.number == f"APL-{year}-0001"


def test_a_complaint_through_the_public_api(world, api_client):
    response = api_client.post(
        f"/api/v1/complaints/{world.tenant.slug}/",
        {
            "about": "organization",
            "organization_name": "Some Ltd",
            "name": "A. Person",
            "email": "a@example.org",
            "text": "Misleading use of the mark.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["number"].startswith("CMP-")
    with scopes_disabled():
        assert Case.objects.get().organization_name == "Some Ltd"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"text": ""}, "text"),
        ({"name": ""}, "name"),
        ({"certificate_number": "NOPE-1", "organization_name": ""}, "certificate_number"),
        ({"certificate_number": "", "organization_name": ""}, "organization_name"),
        ({"about": "weather"}, "about"),
    ],
)
def test_bad_complaints_are_400s_naming_the_field_and_write_nothing(
    world, api_client, client, overrides, field
):
    data = {
        "about": "organization",
        "certificate_number": world.certificate.number,
        "name": "A. Person",
        "email": "a@example.org",
        "text": "Misleading use of the mark.",
        **overrides,
    }
    response = api_client.post(f"/api/v1/complaints/{world.tenant.slug}/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    page = client.post(f"/complaints/{world.tenant.slug}/", data)
    assert page.status_code == 400
    assert 'class="errorlist' in page.content.decode()
    with scopes_disabled():
        assert not Case.objects.exists()


def test_the_public_form_is_rate_limited(world, client, empty_cache):
    from certificates import case_views

    url = f"/complaints/{world.tenant.slug}/"
    limit = int(case_views.RATE.split("/")[0])
    statuses = {client.post(url, {"about": "body"}).status_code for _ in range(limit + 1)}
    assert 429 in statuses


def test_an_unknown_body_has_no_complaint_form(db, client, api_client):
    assert client.get("/complaints/nobody/").status_code == 404
    assert api_client.post("/api/v1/complaints/nobody/", {}, format="json").status_code == 404


# --- Appeals -------------------------------------------------------------------------------------


def test_a_client_appeals_the_decision_of_its_engagement(world, api_for):
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/appeals/",
        {"engagement": world.engagement.pk, "grounds": "Level 4 was reached."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "appeal" and body["number"].startswith("APL-")
    with scopes_disabled():
        case = Case.objects.get()
    assert case.decision.engagement_id == world.engagement.pk
    assert case.lodged_by == world.client.user
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=30)


def test_a_client_appeals_on_the_web(world, client_for):
    client = client_for(world.client)
    url = f"/t/{world.tenant.slug}/engagements/{world.engagement.pk}/appeal/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"grounds": "Level 4 was reached."})
    assert response.status_code == 302
    with scopes_disabled():
        case = Case.objects.get()
    assert response.url.endswith(f"/cases/{case.pk}/")
    assert client.get(response.url).status_code == 200


def test_another_organizations_client_cannot_appeal(world, api_for, client_for):
    response = api_for(world.other_client).post(
        f"/api/v1/t/{world.tenant.slug}/appeals/",
        {"engagement": world.engagement.pk, "grounds": "Not ours."},
        format="json",
    )
    assert response.status_code in (403, 400)
    url = f"/t/{world.tenant.slug}/engagements/{world.engagement.pk}/appeal/"
    assert client_for(world.other_client).post(url, {"grounds": "x"}).status_code in (403, 404)
    with scopes_disabled():
        assert not Case.objects.exists()


def test_staff_cannot_appeal_a_decision(world, api_for):
    response = api_for(world.lead).post(
        f"/api/v1/t/{world.tenant.slug}/appeals/",
        {"engagement": world.engagement.pk, "grounds": "x"},
        format="json",
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert not Case.objects.exists()


def test_an_appeal_without_grounds_is_a_400_on_grounds(world, api_for, client_for):
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/appeals/",
        {"engagement": world.engagement.pk, "grounds": "   "},
        format="json",
    )
    assert response.status_code == 400 and "grounds" in response.json()
    page = client_for(world.client).post(
        f"/t/{world.tenant.slug}/engagements/{world.engagement.pk}/appeal/", {"grounds": ""}
    )
    assert page.status_code == 400
    with scopes_disabled():
        assert not Case.objects.exists()


def test_one_open_appeal_per_decision(world, api_for):
    _appeal(world)
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/appeals/",
        {"engagement": world.engagement.pk, "grounds": "Again."},
        format="json",
    )
    assert response.status_code == 400 and "engagement" in response.json()


# --- Impartial handling --------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["lead", "assessor", "reviewer", "observer"])
def test_a_member_of_the_engagement_team_cannot_handle_an_appeal(world, api_for, person):
    case = _appeal(world)
    user = getattr(world, person).user
    response = api_for(world.admin).post(
        _cases_url(world, case, "assign"), {"handler": user.email}, format="json"
    )
    assert response.status_code == 400
    assert "was on the team of" in response.json()["handler"][0]
    assert world.engagement.reference in response.json()["handler"][0]
    case.refresh_from_db()
    assert case.handler is None and case.status == Case.Status.RECEIVED


def test_the_person_who_decided_cannot_handle_the_appeal(world, api_for, client_for):
    case = _appeal(world)
    response = api_for(world.admin).post(
        _cases_url(world, case, "assign"), {"handler": world.officer.user.email}, format="json"
    )
    assert response.status_code == 400
    assert "made the decision appealed" in response.json()["handler"][0]
    page = client_for(world.admin).post(
        f"/t/{world.tenant.slug}/cases/{case.pk}/",
        {"assign": "1", "handler": world.officer.user.pk},
    )
    assert page.status_code == 400
    assert "made the decision appealed" in page.content.decode()
    case.refresh_from_db()
    assert case.handler is None


def test_a_person_with_a_conflict_of_interest_cannot_handle_a_complaint(world, api_for):
    case = _complaint(world)
    with scope(tenant=world.tenant):
        ConflictOfInterest.objects.create(
            tenant=world.tenant,
            user=world.handler.user,
            organization=world.organization,
            reason="Former employee",
        )
    response = api_for(world.admin).post(
        _cases_url(world, case, "assign"), {"handler": world.handler.user.email}, format="json"
    )
    assert response.status_code == 400
    assert "conflict of interest" in response.json()["handler"][0]
    assert "Former employee" in response.json()["handler"][0]


def test_the_team_of_any_certificate_of_the_organization_cannot_handle_a_complaint(world, api_for):
    case = _complaint(world, certificate_number="", organization_name="The client")
    # Linked to the client by the admin: its certificate's team is refused, with the reason.
    response = api_for(world.admin).post(
        _cases_url(world, case, "assign"),
        {"handler": world.assessor.user.email, "organization": world.organization.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "was on the team of" in response.json()["handler"][0]
    case.refresh_from_db()
    assert case.organization is None


def test_an_uninvolved_person_is_assigned_and_the_case_is_under_investigation(
    world, api_for, django_capture_on_commit_callbacks
):
    case = _appeal(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world.admin).post(
            _cases_url(world, case, "assign"), {"handler": world.handler.user.email}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["handler"] == world.handler.user.email
    assert response.json()["status"] == "investigating"
    assert any(m.to == [world.handler.user.email] for m in mail.outbox)
    assert _audit_verbs(case) == ["appeal.lodged", "case.handler_assigned"]


def test_only_admins_assign_handlers(world, api_for):
    case = _appeal(world)
    # The officer cannot even see the register: 404, and nothing changes.
    response = api_for(world.officer).post(
        _cases_url(world, case, "assign"), {"handler": world.handler.user.email}, format="json"
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.handler is None


def test_a_client_cannot_assign_a_handler_to_its_own_appeal(world, api_for):
    case = _appeal(world)
    response = api_for(world.client).post(
        _cases_url(world, case, "assign"), {"handler": world.handler.user.email}, format="json"
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.handler is None


# --- Outcome, reply and deadlines ----------------------------------------------------------------


def _assigned(world, case):
    with scope(tenant=world.tenant):
        return services.assign_handler(case=case, user=world.handler.user, by=world.admin)


def test_the_handler_decides_and_the_reply_is_emailed(
    world, api_for, django_capture_on_commit_callbacks
):
    case = _assigned(world, _complaint(world))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world.handler).post(
            _cases_url(world, case, "decide"),
            {"outcome": "partly_upheld", "reply": "We will audit the gate at surveillance."},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "decided"
    assert response.json()["outcome"] == "partly_upheld"
    reply = [m for m in mail.outbox if m.to == ["wang.fang@example.org"]]
    assert len(reply) == 1 and "We will audit the gate at surveillance." in reply[0].body
    assert _audit_verbs(case) == ["complaint.lodged", "case.handler_assigned", "case.decided"]


def test_an_upheld_appeal_records_the_follow_up_engagement(world, api_for):
    case = _assigned(world, _appeal(world))
    response = api_for(world.handler).post(
        _cases_url(world, case, "decide"),
        {"outcome": "upheld", "reply": "Decided again.", "follow_up": world.engagement.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["follow_up"] == world.engagement.reference


def test_only_the_handler_decides(world, api_for):
    case = _assigned(world, _appeal(world))
    response = api_for(world.admin).post(
        _cases_url(world, case, "decide"), {"outcome": "upheld", "reply": "x"}, format="json"
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.INVESTIGATING and not case.outcome


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"outcome": "maybe", "reply": "x"}, "outcome"),
        ({"outcome": "upheld", "reply": ""}, "reply"),
        ({"outcome": "upheld", "reply": "x", "follow_up": 999999}, "follow_up"),
        ({"outcome": "not_upheld", "reply": "x", "follow_up": "zz"}, "follow_up"),
    ],
)
def test_a_bad_decision_is_a_400_naming_the_field(world, api_for, payload, field):
    case = _assigned(world, _appeal(world))
    response = api_for(world.handler).post(
        _cases_url(world, case, "decide"), payload, format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.json()
    case.refresh_from_db()
    assert case.status == Case.Status.INVESTIGATING


def test_a_not_upheld_case_names_no_follow_up(world, api_for):
    case = _assigned(world, _appeal(world))
    response = api_for(world.handler).post(
        _cases_url(world, case, "decide"),
        {"outcome": "not_upheld", "reply": "x", "follow_up": world.engagement.pk},
        format="json",
    )
    assert response.status_code == 400 and "follow_up" in response.json()


def test_a_decided_case_is_not_decided_again(world, api_for):
    case = _assigned(world, _appeal(world))
    url = _cases_url(world, case, "decide")
    assert (
        api_for(world.handler)
        .post(url, {"outcome": "upheld", "reply": "x"}, format="json")
        .status_code
        == 200
    )
    response = api_for(world.handler).post(url, {"outcome": "not_upheld", "reply": "y"})
    assert response.status_code == 409


def test_a_conflict_declared_after_the_assignment_stops_the_decision(world, api_for):
    case = _assigned(world, _appeal(world))
    with scope(tenant=world.tenant):
        ConflictOfInterest.objects.create(
            tenant=world.tenant,
            user=world.handler.user,
            organization=world.organization,
            reason="Now consulting for them",
        )
    response = api_for(world.handler).post(
        _cases_url(world, case, "decide"), {"outcome": "upheld", "reply": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "conflict of interest" in response.json()["detail"]


def test_the_deadline_comes_from_the_bodys_settings(world):
    world.tenant.complaint_resolution_days = 10
    world.tenant.save(update_fields=["complaint_resolution_days"])
    case = _complaint(world)
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=10)


def test_overdue_cases_are_flagged_filtered_and_on_the_dashboard(world, api_for, client_for):
    late = _assigned(world, _appeal(world))
    on_time = _complaint(world)
    with scope(tenant=world.tenant):
        Case.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - datetime.timedelta(1))
    body = api_for(world.admin).get(_cases_url(world), {"overdue": "true"}).json()
    assert [c["number"] for c in body["results"]] == [late.number]
    assert body["results"][0]["overdue"] is True
    page = client_for(world.admin).get(f"/t/{world.tenant.slug}/cases/", {"overdue": "on"})
    assert late.number in page.content.decode() and on_time.number not in page.content.decode()
    # The admins see it (and the one to assign); the handler sees it on their dashboard too.
    dashboard = client_for(world.admin).get("/").content.decode()
    assert late.number in dashboard and on_time.number in dashboard
    handler_dashboard = client_for(world.handler).get("/").content.decode()
    assert late.number in handler_dashboard and on_time.number not in handler_dashboard


def test_a_withdrawn_case_is_closed_and_audited(world, api_for):
    case = _appeal(world)
    response = api_for(world.client).post(
        _cases_url(world, case, "withdraw"), {"reason": "Settled."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"
    assert _audit_verbs(case)[-1] == "case.withdrawn"


# --- Who sees what -------------------------------------------------------------------------------

SEES_REGISTER = {"admin", "second_admin"}


@pytest.mark.parametrize(
    "person",
    [
        "admin",
        "second_admin",
        "lead",
        "assessor",
        "reviewer",
        "officer",
        "observer",
        "outsider_assessor",
        "handler",
        "client",
        "other_client",
    ],
)
def test_only_admins_the_handler_and_the_appellant_see_a_case(world, api_for, client_for, person):
    complaint = _assigned(world, _complaint(world))
    appeal = _appeal(world)
    membership = getattr(world, person)
    expected = set()
    if person in SEES_REGISTER:
        expected = {complaint.number, appeal.number}
    elif person == "handler":
        expected = {complaint.number}
    elif person == "client":
        expected = {appeal.number}
    api = api_for(membership)
    listed = {c["number"] for c in api.get(_cases_url(world)).json()["results"]}
    assert listed == expected
    web = client_for(membership)
    for case in (complaint, appeal):
        seen = case.number in expected
        assert api.get(_cases_url(world, case)).status_code == (200 if seen else 404)
        page = web.get(f"/t/{world.tenant.slug}/cases/{case.pk}/")
        assert page.status_code == (200 if seen else 404)
        register = web.get(f"/t/{world.tenant.slug}/cases/").content.decode()
        assert (case.number in register) == seen


def test_the_case_page_shows_its_history(world, client_for):
    case = _assigned(world, _complaint(world))
    page = client_for(world.admin).get(f"/t/{world.tenant.slug}/cases/{case.pk}/")
    text = page.content.decode()
    assert "Complaint lodged" in text and "Handler assigned" in text
    assert world.handler.user.email in text


def test_the_register_costs_the_same_queries_whatever_its_length(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web = client_for(world.admin)
    _assigned(world, _complaint(world))

    def cost():
        with CaptureQueriesContext(connection) as page:
            assert web.get(f"/t/{world.tenant.slug}/cases/").status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert web.get(_cases_url(world)).status_code == 200
        return len(page), len(listed)

    few = cost()
    for _ in range(6):
        _assigned(world, _complaint(world))
    _appeal(world)
    assert cost() == few
