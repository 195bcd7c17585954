"""Regression tests for the access holes found when Assay was attacked from inside a body."""

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.services import engagements as services
from portal.models import AuditEntry
from tenants.models import ConflictOfInterest
from tests.engagement_world import advance, build_world


def _conflict(world, *, by):
    with scope(tenant=world.tenant):
        return services.declare_conflict(
            tenant=world.tenant,
            by=by,
            user=world.outsider_assessor.user,
            organization=world.organization,
            reason="Was the client's release manager until last year.",
        )


def _state(world, conflict):
    with scope(tenant=world.tenant):
        return (
            ConflictOfInterest.objects.get(pk=conflict.pk).is_active,
            AuditEntry.objects.count(),
        )


def test_a_person_cannot_withdraw_a_conflict_an_admin_recorded_for_them(tenant, api_for):
    world = build_world(tenant, items=1)
    conflict = _conflict(world, by=world.admin)
    before = _state(world, conflict)
    response = api_for(world.outsider_assessor).post(
        f"/api/v1/t/{tenant.slug}/conflicts/{conflict.pk}/withdraw/"
    )
    assert response.status_code == 403
    assert _state(world, conflict) == before


def test_the_web_page_refuses_the_same_withdrawal(tenant, client_for):
    world = build_world(tenant, items=1)
    conflict = _conflict(world, by=world.admin)
    before = _state(world, conflict)
    web = client_for(world.outsider_assessor)
    page = web.get(reverse("assessments:conflict_list", args=[tenant.slug]))
    assert "Recorded by the body" in page.content.decode()
    response = web.post(reverse("assessments:conflict_withdraw", args=[tenant.slug, conflict.pk]))
    assert response.status_code == 403
    assert _state(world, conflict) == before


def test_a_person_withdraws_a_conflict_they_declared_and_an_admin_any(tenant, api_for):
    world = build_world(tenant, items=1)
    own = _conflict(world, by=world.outsider_assessor)
    response = api_for(world.outsider_assessor).post(
        f"/api/v1/t/{tenant.slug}/conflicts/{own.pk}/withdraw/"
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    recorded = _conflict(world, by=world.admin)
    response = api_for(world.admin).post(
        f"/api/v1/t/{tenant.slug}/conflicts/{recorded.pk}/withdraw/"
    )
    assert response.status_code == 200 and response.json()["is_active"] is False


@pytest.mark.parametrize(
    "path", ["findings", "evidence", "nonconformities", "reviews", "assignments", "reports"]
)
def test_list_filters_answer_another_bodys_id_like_a_missing_one(
    tenant, other_tenant, api_for, path
):
    """No existence oracle: another body's engagement id, an engagement of this body the caller
    may not see, and an id that exists nowhere all get the same 400 naming the filter."""
    world = build_world(tenant, items=1)
    theirs = build_world(other_tenant, items=1)
    unseen = build_world(tenant, items=1)  # in this body, outsider_assessor is not on it
    api = api_for(world.outsider_assessor)
    answers = []
    for engagement_id in (theirs.engagement.pk, unseen.engagement.pk, 10_000_000):
        response = api.get(f"/api/v1/t/{tenant.slug}/{path}/", {"engagement": engagement_id})
        answers.append((response.status_code, sorted(response.json())))
    assert answers == [(400, ["engagement"])] * 3


def test_an_engagement_filter_still_finds_the_callers_own(tenant, api_for):
    world = build_world(tenant, items=1)
    advance(world, "assessment")
    response = api_for(world.assessor).get(
        f"/api/v1/t/{tenant.slug}/evidence/", {"engagement": world.engagement.pk}
    )
    assert response.status_code == 200 and response.json()["count"] == 1


def test_a_huge_id_in_a_filter_or_a_write_is_a_400_not_a_500(tenant, api_for):
    world = build_world(tenant, items=1)
    huge = "9" * 40
    api = api_for(world.admin)
    listed = api.get(f"/api/v1/t/{tenant.slug}/findings/", {"engagement": huge})
    assert listed.status_code == 400 and "engagement" in listed.json()
    written = api.post(
        f"/api/v1/t/{tenant.slug}/assignments/",
        {"engagement": huge, "user": world.outsider_assessor.user.email, "role": "assessor"},
        format="json",
    )
    assert written.status_code == 400 and "engagement" in written.json()


@pytest.mark.parametrize(
    ("path", "name"),
    [("model-versions", "model"), ("items", "version"), ("requirements", "item")],
)
def test_library_filters_answer_another_bodys_id_like_a_missing_one(
    tenant, other_tenant, api_for, member, path, name
):
    from assessments.models import CapabilityItem
    from tests.factories_assessments import make_model_version

    theirs = make_model_version(tenant=other_tenant)
    with scope(tenant=other_tenant):
        ids = {
            "model": theirs.model_id,
            "version": theirs.pk,
            "item": CapabilityItem.objects.filter(version=theirs).first().pk,
        }
    api = api_for(member("tenant_admin"))
    answers = [
        api.get(f"/api/v1/t/{tenant.slug}/{path}/", {name: value}).status_code
        for value in (ids[name], 10_000_000)
    ]
    assert answers == [400, 400]
