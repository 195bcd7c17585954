"""The team of an engagement: object permissions granted and revoked at once, impartiality."""

from django.urls import reverse
from django_scopes import scope

from assessments.models import Assignment, EngagementUserObjectPermission
from assessments.services import engagements as services
from tenants.roles import Role
from tests.engagement_world import build_world
from tests.factories import MembershipFactory


def _assign(api, world, user, role):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/assignments/",
        {"engagement": world.engagement.pk, "user": user.email, "role": role},
        format="json",
    )


def test_assignment_opens_the_engagement_and_unassignment_closes_it_at_once(
    tenant, api_for, client_for
):
    world = build_world(tenant)
    newcomer = world.outsider_assessor
    detail = reverse("assessments:engagement_detail", args=[tenant.slug, world.engagement.pk])
    listing = f"/api/v1/t/{tenant.slug}/engagements/"
    assert client_for(newcomer).get(detail).status_code == 404
    assert api_for(newcomer).get(listing).json()["count"] == 0

    response = _assign(api_for(world.admin), world, newcomer.user, "assessor")
    assert response.status_code == 201, response.json()
    assert client_for(newcomer).get(detail).status_code == 200
    assert api_for(newcomer).get(listing).json()["count"] == 1

    assignment_id = response.json()["id"]
    removed = api_for(world.admin).delete(f"/api/v1/t/{tenant.slug}/assignments/{assignment_id}/")
    assert removed.status_code == 204
    assert client_for(newcomer).get(detail).status_code == 404
    with scope(tenant=tenant):
        assert not EngagementUserObjectPermission.objects.filter(user=newcomer.user).exists()


def test_a_declared_conflict_of_interest_refuses_the_assignment_with_the_reason(tenant, api_for):
    world = build_world(tenant)
    person = world.outsider_assessor
    declared = api_for(person).post(
        f"/api/v1/t/{tenant.slug}/conflicts/",
        {"organization": world.organization.pk, "reason": "Former employee until 2025"},
        format="json",
    )
    assert declared.status_code == 201, declared.json()
    response = _assign(api_for(world.admin), world, person.user, "assessor")
    assert response.status_code == 400
    assert "Former employee until 2025" in response.json()["user"][0]


def test_reviewer_and_officer_cannot_be_on_the_assessment_team(tenant, api_for):
    world = build_world(tenant)
    response = _assign(api_for(world.admin), world, world.reviewer.user, "assessor")
    assert response.status_code == 400
    assert "Impartiality" in response.json()["role"][0]
    response = _assign(api_for(world.admin), world, world.assessor.user, "officer")
    assert response.status_code == 400 and "Impartiality" in response.json()["role"][0]


def test_people_of_another_tenant_or_clients_cannot_be_assigned(tenant, other_tenant, api_for):
    world = build_world(tenant)
    stranger = MembershipFactory(tenant=other_tenant, role=Role.ASSESSOR)
    response = _assign(api_for(world.admin), world, stranger.user, "assessor")
    assert response.status_code == 400 and "user" in response.json()
    response = _assign(api_for(world.admin), world, world.client.user, "observer")
    assert response.status_code == 400 and "user" in response.json()
    with scope(tenant=tenant):
        assert not Assignment.objects.filter(user=stranger.user).exists()


def test_only_one_lead_assessor(tenant):
    world = build_world(tenant)
    with scope(tenant=tenant):
        try:
            services.assign(
                engagement=world.engagement,
                user=world.outsider_assessor.user,
                role="lead_assessor",
                by=world.admin,
            )
        except Exception as error:  # noqa: BLE001
            assert "lead assessor already" in str(error)
        else:
            raise AssertionError("a second lead assessor was accepted")


def test_transition_refused_by_a_guard_is_a_409_with_the_reason(tenant, api_for):
    world = build_world(tenant)
    with scope(tenant=tenant):
        Assignment.objects.filter(engagement=world.engagement, role="lead_assessor").delete()
    response = api_for(world.admin).post(
        f"/api/v1/t/{tenant.slug}/engagements/{world.engagement.pk}/transition/",
        {"to": "planning"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "No lead assessor is assigned."


def test_engagement_creation_names_the_bad_fields(tenant, api_for):
    world = build_world(tenant)
    response = api_for(world.admin).post(
        f"/api/v1/t/{tenant.slug}/engagements/",
        {
            "organization": world.organization.pk,
            "model_version": world.version.pk,
            "target_level": 9,
            "scope": ["NOPE"],
        },
        format="json",
    )
    assert response.status_code == 400 and "target_level" in response.json()
    response = api_for(world.admin).post(
        f"/api/v1/t/{tenant.slug}/engagements/",
        {
            "organization": world.organization.pk,
            "model_version": world.version.pk,
            "target_level": 2,
            "scope": ["NOPE"],
        },
        format="json",
    )
    assert response.status_code == 400 and "NOPE" in response.json()["scope"][0]


def test_references_are_numbered_per_tenant_and_year_without_gaps(tenant, api_for):
    world = build_world(tenant)
    api = api_for(world.admin)
    refs = [
        api.post(
            f"/api/v1/t/{tenant.slug}/engagements/",
            {
                "organization": world.organization.pk,
                "model_version": world.version.pk,
                "target_level": 2,
                "scope": ["P"],
            },
            format="json",
        ).json()["reference"]
        for _ in range(2)
    ]
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in [world.engagement.reference, *refs]]
    assert numbers == [1, 2, 3]


def test_assessor_list_is_filtered_in_the_database(tenant, api_for, django_assert_max_num_queries):
    world = build_world(tenant)
    for _ in range(3):
        build_world(tenant)  # engagements the assessor is not on
    api = api_for(world.assessor)
    with django_assert_max_num_queries(10):
        body = api.get(f"/api/v1/t/{tenant.slug}/engagements/").json()
    assert [e["id"] for e in body["results"]] == [world.engagement.pk]
