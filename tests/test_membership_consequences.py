"""A change of role or a deactivation takes the person off the engagements it no longer allows,
at once and in the same transaction (their object permissions go with it), and impartiality is
checked again."""

import pytest
from django.db.models import Q
from django_scopes import scope

from assessments.models import (
    Assignment,
    EngagementUserObjectPermission,
    Evidence,
    Finding,
    LevelRequirement,
    RequirementRating,
)
from assessments.services import evidence as evidence_services
from portal.models import AuditEntry
from tenants import services as tenant_services
from tenants.models import ConflictOfInterest, Membership
from tenants.roles import Role
from tests.engagement_world import advance, build_world, pdf_upload


def _change(api_for, world, membership, **fields):
    response = api_for(world.admin).patch(
        f"/api/v1/t/{world.tenant.slug}/memberships/{membership.pk}/", fields, format="json"
    )
    assert response.status_code == 200, response.json()
    return response


def _become_client_of_the_assessed(api_for, world, membership):
    return _change(
        api_for,
        world,
        membership,
        role=Role.CLIENT_CONTRIBUTOR,
        organization=world.organization.pk,
    )


def _record_finding(api, world):
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.first()
        requirement = LevelRequirement.objects.filter(item=item).first()
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/findings/",
        {
            "engagement": world.engagement.pk,
            "item": item.pk,
            "narrative": "Seen.",
            "ratings": [{"requirement": requirement.pk, "rating": "met"}],
        },
        format="json",
    )


def _removed_entries(world, membership):
    return AuditEntry.objects.filter(
        verb="assignment.removed",
        engagement=world.engagement,
        changes__user=[membership.user.email, None],
    )


def _holds_nothing(world, membership):
    with scope(tenant=world.tenant):
        assert not Assignment.objects.filter(user=membership.user).exists()
    assert not EngagementUserObjectPermission.objects.filter(user=membership.user).exists()


def test_an_assessor_who_becomes_a_contributor_of_the_assessed_client_can_no_longer_assess(
    tenant, api_for
):
    world = build_world(tenant, items=1)
    advance(world, "assessment")
    _become_client_of_the_assessed(api_for, world, world.assessor)

    response = _record_finding(api_for(world.assessor), world)

    assert response.status_code in (403, 404), response.content[:300]
    with scope(tenant=tenant):
        assert not Finding.objects.exists()
        assert not RequirementRating.objects.exists()
    _holds_nothing(world, world.assessor)
    assert _removed_entries(world, world.assessor).count() == 1


def test_an_assessor_who_becomes_a_contributor_of_the_assessed_client_can_no_longer_judge(
    tenant, api_for
):
    world = build_world(tenant, items=1)
    advance(world, "evidence")
    with scope(tenant=tenant):
        submitted = evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    _become_client_of_the_assessed(api_for, world, world.assessor)

    response = api_for(world.assessor).post(
        f"/api/v1/t/{tenant.slug}/evidence/{submitted.pk}/judge/", {"accept": True}, format="json"
    )

    assert response.status_code in (403, 404), response.content[:300]
    with scope(tenant=tenant):
        assert Evidence.objects.get(pk=submitted.pk).status == Evidence.Status.SUBMITTED
    assert not AuditEntry.objects.filter(verb="evidence.judged").exists()
    _holds_nothing(world, world.assessor)
    assert _removed_entries(world, world.assessor).count() == 1


def test_deactivation_takes_the_person_off_every_engagement_of_the_body_at_once(tenant, api_for):
    world = build_world(tenant, items=1)
    advance(world, "assessment")
    _change(api_for, world, world.lead, is_active=False)

    assert _record_finding(api_for(world.lead), world).status_code == 404
    with scope(tenant=tenant):
        assert not Finding.objects.exists()
    _holds_nothing(world, world.lead)
    entry = _removed_entries(world, world.lead).get()
    assert entry.tenant == tenant and entry.actor == world.admin.user
    # Reactivated, they do not get the engagement back: someone must assign them again.
    _change(api_for, world, world.lead, is_active=True)
    _holds_nothing(world, world.lead)


def test_a_former_client_person_is_conflicted_with_that_client_when_staff_again(tenant, api_for):
    world = build_world(tenant, items=1)
    person = world.outsider_assessor
    _become_client_of_the_assessed(api_for, world, person)
    _change(api_for, world, person, role=Role.ASSESSOR)
    with scope(tenant=tenant):
        assert ConflictOfInterest.objects.filter(
            user=person.user, organization=world.organization, is_active=True
        ).exists()

    response = api_for(world.admin).post(
        f"/api/v1/t/{tenant.slug}/assignments/",
        {"engagement": world.engagement.pk, "user": person.user.email, "role": "assessor"},
        format="json",
    )

    assert response.status_code == 400
    assert "user" in response.json()
    with scope(tenant=tenant):
        assert not Assignment.objects.filter(user=person.user).exists()


def test_a_change_between_staff_roles_keeps_the_engagements(tenant, api_for):
    world = build_world(tenant, items=1)
    _change(api_for, world, world.assessor, role=Role.OFFICER)
    with scope(tenant=tenant):
        assert Assignment.objects.filter(user=world.assessor.user).count() == 1
    assert EngagementUserObjectPermission.objects.filter(user=world.assessor.user).exists()
    assert not _removed_entries(world, world.assessor).exists()


def test_the_role_change_and_its_consequences_commit_or_fail_together(tenant, monkeypatch):
    world = build_world(tenant, items=1)
    from assessments.services import engagements

    def fail(**kwargs):
        raise RuntimeError("the receiver failed")

    monkeypatch.setattr(engagements, "remove_assignments_of", fail)
    with scope(tenant=tenant), pytest.raises(RuntimeError):
        tenant_services.update_membership(
            membership=world.assessor,
            by=world.admin,
            role=Role.CLIENT_CONTRIBUTOR,
            organization=world.organization,
        )
    with scope(tenant=tenant):
        assert Membership.objects.get(pk=world.assessor.pk).role == Role.ASSESSOR
        assert not ConflictOfInterest.objects.filter(Q(user=world.assessor.user)).exists()
        assert Assignment.objects.filter(user=world.assessor.user).exists()
    assert not AuditEntry.objects.filter(verb="membership.updated").exists()
