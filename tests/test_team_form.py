"""The team assigned in one form: several people with their roles at once, in the browser and
through the API; a row refused (conflict of interest, authorisation, impartiality, a second
lead) is shown on its row and nobody is assigned."""

import datetime

from django.urls import reverse
from django_scopes import scope

from assessments.models import Assignment, EngagementUserObjectPermission
from portal.models import AuditEntry
from tenants.models import Authorisation, ConflictOfInterest
from tenants.roles import Role
from tests.engagement_world import build_world
from tests.factories import MembershipFactory


def _fresh_world(tenant):
    """A world whose engagement has nobody on it yet, and three more staff to assign."""
    world = build_world(tenant)
    with scope(tenant=tenant):
        for assignment in Assignment.objects.filter(engagement=world.engagement):
            from assessments.services import engagements as services

            services.unassign(assignment=assignment, by=world.admin)
    extra = [MembershipFactory(tenant=tenant, role=Role.ASSESSOR) for _ in range(2)]
    return world, extra


def _counts(tenant):
    with scope(tenant=tenant):
        return (
            Assignment.objects.count(),
            EngagementUserObjectPermission.objects.count(),
            AuditEntry.objects.count(),
        )


def _rows(*rows, extra=4):
    data = {
        "team-TOTAL_FORMS": str(extra),
        "team-INITIAL_FORMS": "0",
        "team-MIN_NUM_FORMS": "0",
        "team-MAX_NUM_FORMS": "20",
    }
    for index, (user, role) in enumerate(rows):
        data[f"team-{index}-user"] = str(user.pk) if user else ""
        data[f"team-{index}-role"] = role
    return data


def test_the_admin_assigns_several_people_with_their_roles_in_one_form(tenant, client_for):
    world, (second, third) = _fresh_world(tenant)
    url = reverse("assessments:engagement_team", args=[tenant.slug, world.engagement.pk])
    response = client_for(world.admin).post(
        url,
        _rows(
            (world.lead.user, "lead_assessor"),
            (second.user, "assessor"),
            (world.reviewer.user, "reviewer"),
            (world.officer.user, "officer"),
        ),
        follow=True,
    )
    assert "4 people assigned." in response.content.decode()
    with scope(tenant=tenant):
        roles = dict(
            Assignment.objects.filter(engagement=world.engagement).values_list("user", "role")
        )
    assert roles == {
        world.lead.user.pk: "lead_assessor",
        second.user.pk: "assessor",
        world.reviewer.user.pk: "reviewer",
        world.officer.user.pk: "officer",
    }


def test_refused_rows_are_marked_and_nobody_is_assigned(tenant, client_for):
    world, (second, third) = _fresh_world(tenant)
    with scope(tenant=tenant):
        ConflictOfInterest.objects.create(
            tenant=tenant,
            user=third.user,
            organization=world.organization,
            reason="Former employee until 2025",
            declared_by=world.admin.user,
        )
    before = _counts(tenant)
    url = reverse("assessments:engagement_team", args=[tenant.slug, world.engagement.pk])
    response = client_for(world.admin).post(
        url,
        _rows(
            (world.lead.user, "lead_assessor"),
            (third.user, "assessor"),  # conflict of interest
            (second.user, "lead_assessor"),  # a second lead
            (None, "observer"),  # a role without a person
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose the person who takes this role." in html
    assert _counts(tenant) == before
    # The three complete rows go to the service once the fourth is filled in.
    response = client_for(world.admin).post(
        url,
        _rows(
            (world.lead.user, "lead_assessor"),
            (third.user, "assessor"),
            (second.user, "lead_assessor"),
            (world.observer.user, "observer"),
        ),
    )
    html = response.content.decode()
    assert "Nobody was assigned" in html
    assert "Former employee until 2025" in html
    assert "The engagement has a lead assessor already." in html
    assert html.count('class="refused"') == 2
    assert _counts(tenant) == before


def test_the_bulk_endpoint_assigns_all_or_nobody_with_the_refusals_per_row(tenant, api_for):
    world, (second, third) = _fresh_world(tenant)
    url = f"/api/v1/t/{tenant.slug}/assignments/bulk/"
    today = datetime.date.today()
    with scope(tenant=tenant):  # the body records authorisations: the second has none
        for person, role in ((world.lead, "lead"), (world.reviewer, "reviewer")):
            Authorisation.objects.create(
                tenant=tenant,
                user=person.user,
                role=role,
                model_code=world.version.model.code,
                valid_from=today - datetime.timedelta(days=1),
                qualification="Course",
                granted_by=world.admin.user,
            )
    before = _counts(tenant)
    refused = api_for(world.admin).post(
        url,
        {
            "engagement": world.engagement.pk,
            "team": [
                {"user": world.lead.user.email, "role": "lead_assessor"},
                {"user": second.user.email, "role": "assessor"},
                {"user": world.reviewer.user.email, "role": "reviewer"},
            ],
        },
        format="json",
    )
    assert refused.status_code == 400, refused.json()
    rows = refused.json()["team"]
    assert list(rows) == ["1"]
    assert "not authorised as assessor" in rows["1"]["user"][0]
    assert _counts(tenant) == before
    with scope(tenant=tenant):
        Authorisation.objects.create(
            tenant=tenant,
            user=second.user,
            role="assessor",
            model_code=world.version.model.code,
            valid_from=today - datetime.timedelta(days=1),
            qualification="Course",
            granted_by=world.admin.user,
        )
    done = api_for(world.admin).post(
        url,
        {
            "engagement": world.engagement.pk,
            "team": [
                {"user": world.lead.user.email, "role": "lead_assessor"},
                {"user": second.user.email, "role": "assessor"},
                {"user": world.reviewer.user.email, "role": "reviewer"},
            ],
        },
        format="json",
    )
    assert done.status_code == 201, done.json()
    assert [row["role"] for row in done.json()] == ["lead_assessor", "assessor", "reviewer"]


def test_the_bulk_endpoint_names_bad_fields_and_refuses_non_admins(tenant, api_for):
    world, (second, _third) = _fresh_world(tenant)
    url = f"/api/v1/t/{tenant.slug}/assignments/bulk/"
    bad = api_for(world.admin).post(
        url,
        {"engagement": world.engagement.pk, "team": [{"user": "nobody@x.test", "role": "boss"}]},
        format="json",
    )
    assert bad.status_code == 400, bad.json()
    assert set(bad.json()["team"]["0"]) == {"user", "role"}
    empty = api_for(world.admin).post(
        url, {"engagement": world.engagement.pk, "team": []}, format="json"
    )
    assert empty.status_code == 400 and "team" in empty.json()
    before = _counts(tenant)
    denied = api_for(world.lead).post(
        url,
        {
            "engagement": world.engagement.pk,
            "team": [{"user": second.user.email, "role": "assessor"}],
        },
        format="json",
    )
    assert denied.status_code in (403, 404)
    assert _counts(tenant) == before
