"""Tenant B's engagement with its team, evidence, finding and nonconformity."""

import datetime

from django_scopes import scope

from assessments.models import (
    Assignment,
    Decision,
    Evidence,
    Finding,
    Nonconformity,
    Review,
    SelfRating,
)
from assessments.services import engagements as services
from assessments.services import findings
from assessments.services import requests as request_services
from tenants.models import ConflictOfInterest
from tests.engagement_world import advance, build_world


def populate(world, tenant_b, canary):
    b = build_world(tenant_b, items=1)
    with scope(tenant=tenant_b):
        b.engagement.title = f"{canary} engagement"
        b.engagement.save(update_fields=["title"])
    advance(b, "assessment")
    with scope(tenant=tenant_b):
        engagement = b.engagement
        item = engagement.scope_items.first()
        finding = findings.record_finding(
            engagement=engagement,
            item=item,
            by=b.assessor,
            ratings={},
            narrative=f"{canary} narrative",
        )
        nc = findings.raise_nonconformity(
            engagement=engagement,
            finding=finding,
            by=b.assessor,
            grade="minor",
            description=f"{canary} nc",
        )
        conflict = services.declare_conflict(
            tenant=tenant_b,
            by=b.admin,
            user=b.lead.user,
            organization=b.organization,
            reason=f"{canary} conflict",
        )
        asked = request_services.request_evidence(
            engagement=engagement,
            by=b.assessor,
            title=f"{canary} request",
            due_date=datetime.date.today() + datetime.timedelta(days=7),
        )
        world.update(
            {
                "b_self_rating": SelfRating.objects.create(
                    tenant=tenant_b,
                    engagement=engagement,
                    item=item,
                    level=2,
                    note=f"{canary} self",
                    rated_by=b.client.user,
                ),
                "b_request": asked,
                "b_engagement": engagement,
                "b_assignment": Assignment.objects.filter(engagement=engagement).first(),
                "b_evidence": Evidence.objects.filter(engagement=engagement).first(),
                "b_item": item,
                "b_nonconformity": Nonconformity.objects.get(pk=nc.pk),
                "b_conflict": ConflictOfInterest.objects.get(pk=conflict.pk),
                "b_finding": Finding.objects.get(pk=finding.pk),
            }
        )
    closed = build_world(tenant_b, items=1)
    advance(closed, "closed")
    with scope(tenant=tenant_b):
        world["b_review"] = Review.objects.filter(engagement=closed.engagement).first()
        world["b_decision"] = Decision.objects.get(engagement=closed.engagement)


def _pk(key):
    return lambda world: world[key].pk


MAKERS = {
    **{
        f"api:engagement-{name}/pk": _pk("b_engagement")
        for name in ("detail", "transition", "timeline", "score")
    },
    "api:assignment-detail/pk": _pk("b_assignment"),
    **{f"api:conflict-{name}/pk": _pk("b_conflict") for name in ("detail", "withdraw")},
    **{
        f"api:evidence-{name}/pk": _pk("b_evidence")
        for name in ("detail", "judge", "download", "link", "preview")
    },
    "api:finding-detail/pk": _pk("b_finding"),
    **{
        f"api:evidence-request-{name}/pk": _pk("b_request")
        for name in ("detail", "submit", "review")
    },
    "api:self-rating-detail/pk": _pk("b_self_rating"),
    "request_id": lambda world: world["b_request"].pk,
    **{
        f"api:nonconformity-{name}/pk": _pk("b_nonconformity")
        for name in ("detail", "answer", "close")
    },
    "api:review-detail/pk": _pk("b_review"),
    "api:decision-detail/pk": _pk("b_decision"),
    "engagement_id": lambda world: world["b_engagement"].pk,
    "assignment_id": lambda world: world["b_assignment"].pk,
    "evidence_id": lambda world: world["b_evidence"].pk,
    "item_id": lambda world: world["b_item"].pk,
    "nonconformity_id": lambda world: world["b_nonconformity"].pk,
    "conflict_id": lambda world: world["b_conflict"].pk,
}
