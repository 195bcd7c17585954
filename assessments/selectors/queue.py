"""What needs me: the work waiting for one person across every body they belong to — evidence
to judge, leaves to rate, evidence requests to pre-review, nonconformities to verify
(assessors); reviews (technical reviewers); decisions (certification officers); evidence
requests and nonconformities to answer (client people).

Each kind of work is one action of the access policy (`assessments.policy.engagements_at_work`:
the person's standing allows it and the phase allows it, in SQL) and one grouped query, so the
whole queue costs one query for the memberships plus one per kind of work per body, whatever
the number of engagements (tests/test_work_queue.py counts them)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, F, Min, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from assessments import policy
from assessments.models import (
    Engagement,
    Evidence,
    EvidenceRequest,
    LevelRequirement,
    Nonconformity,
    RequirementRating,
)
from assessments.permissions import ASSESS, CLIENT, DECIDE, REVIEW
from assessments.policy import Action

# The kinds of work, in the order the queue shows them: (kind, label, action, tokens that make
# the work this person's).
KINDS = {
    "evidence_to_judge": (_("Evidence to judge"), Action.JUDGE_EVIDENCE, {ASSESS}),
    "requests_to_prereview": (
        _("Evidence requests to pre-review"),
        Action.REQUEST_EVIDENCE,
        {ASSESS},
    ),
    "leaves_to_rate": (_("Items to rate"), Action.RECORD_FINDING, {ASSESS}),
    "nonconformities_to_verify": (_("Nonconformities to verify"), Action.CLOSE_NC, {ASSESS}),
    "review": (_("Findings to review"), Action.REVIEW, {REVIEW}),
    "decision": (_("Certification decisions"), Action.DECIDE, {DECIDE}),
    "requests_to_answer": (_("Evidence requests to answer"), Action.ANSWER_REQUEST, {CLIENT}),
    "nonconformities_to_answer": (_("Nonconformities to answer"), Action.ANSWER_NC, {CLIENT}),
}
KIND_VALUES = list(KINDS)  # the API's enum (portal/settings.py, ENUM_NAME_OVERRIDES)


@dataclass(frozen=True)
class QueueEntry:
    kind: str
    label: str
    tenant_slug: str
    tenant_name: str
    engagement_id: int
    reference: str
    count: int
    due: datetime.date | None
    overdue: bool
    url: str


def _counts(kind: str, engagements: QuerySet) -> QuerySet:
    """(engagement_id, engagement__reference, n, due) rows of one kind of work."""
    ids = engagements.values("pk")
    if kind == "evidence_to_judge":
        rows = Evidence.objects.filter(
            engagement__in=ids, status=Evidence.Status.SUBMITTED, superseded_by__isnull=True
        ).annotate(due=F("engagement__planned_end"))
    elif kind == "requests_to_prereview":
        rows = EvidenceRequest.objects.filter(
            engagement__in=ids,
            status__in=[EvidenceRequest.Status.SUBMITTED, EvidenceRequest.Status.RESUBMITTED],
        ).annotate(due=F("engagement__planned_end"))
    elif kind == "requests_to_answer":
        rows = EvidenceRequest.objects.filter(
            engagement__in=ids,
            status__in=[EvidenceRequest.Status.OPEN, EvidenceRequest.Status.NEEDS_CORRECTION],
        ).annotate(
            due=Case(
                When(
                    status=EvidenceRequest.Status.NEEDS_CORRECTION,
                    correction_due__isnull=False,
                    then=F("correction_due"),
                ),
                default=F("due_date"),
            )
        )
    elif kind in ("nonconformities_to_answer", "nonconformities_to_verify"):
        status = (
            Nonconformity.Status.OPEN
            if kind == "nonconformities_to_answer"
            else Nonconformity.Status.ANSWERED
        )
        rows = Nonconformity.objects.filter(engagement__in=ids, status=status).annotate(
            due=F("due_date")
        )
    elif kind == "leaves_to_rate":
        return _leaves_to_rate(ids)
    else:  # the engagement itself is the work: its review or its decision
        return (
            Engagement.objects.filter(pk__in=ids)
            .annotate(engagement_id=F("pk"), engagement__reference=F("reference"))
            .values("engagement_id", "engagement__reference")
            .annotate(n=Count("pk"), due=Min("planned_end"))
        )
    return (
        rows.values("engagement_id", "engagement__reference")
        .annotate(n=Count("pk"), due=Min("due"))
        .order_by()
    )


def _leaves_to_rate(ids):
    """In-scope leaves with a requirement not rated yet, per engagement (one query)."""
    through = Engagement.scope_items.through
    required = (
        LevelRequirement.objects.filter(item_id=OuterRef("capabilityitem_id"))
        .order_by()
        .values("item_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rated = (
        RequirementRating.objects.filter(
            finding__engagement_id=OuterRef("engagement_id"),
            finding__item_id=OuterRef("capabilityitem_id"),
        )
        .order_by()
        .values("finding_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        through.objects.filter(engagement_id__in=ids)
        .annotate(required=Coalesce(Subquery(required), 0), rated=Coalesce(Subquery(rated), 0))
        .filter(rated__lt=F("required"))
        .values("engagement_id", "engagement__reference")
        .annotate(n=Count("pk"), due=Min("engagement__planned_end"))
        .order_by()
    )


def _url_pattern(kind, slug):
    """The page of one kind of work, as a pattern for the engagement id: reversed once per kind
    and body, not once per row (reversing was most of the time of a 500-engagement queue)."""
    args = [slug, 0]
    if kind == "leaves_to_rate":
        url = reverse("assessments:rating_grid", args=args) + "?filter=unrated"
    elif kind in ("requests_to_prereview", "requests_to_answer"):
        url = reverse("assessments:request_list", args=args)
    elif kind == "review":
        url = reverse("assessments:review_create", args=args)
    elif kind == "decision":
        url = reverse("assessments:decision_create", args=args)
    else:
        anchor = "#evidence" if kind == "evidence_to_judge" else "#nonconformities"
        url = reverse("assessments:engagement_detail", args=args) + anchor
    # Slugs hold no braces: the only replacement field is the engagement id.
    return url.replace("/engagements/0/", "/engagements/{}/", 1)


def work_queue(user, *, today: datetime.date) -> list[QueueEntry]:
    """Every piece of work waiting for `user`, one entry per kind and engagement, ordered by
    kind, then the earliest due date."""
    from tenants.models import Membership

    if not user.is_authenticated:
        return []
    with scopes_disabled():
        memberships = list(
            Membership.objects.filter(
                user=user, is_active=True, tenant__is_active=True
            ).select_related("tenant", "user")
        )
    entries = []
    for membership in memberships:
        tenant = membership.tenant
        with scope(tenant=tenant):
            for kind, (label, action, who) in KINDS.items():
                engagements = policy.engagements_at_work(membership, action, who=frozenset(who))
                if not engagements.query.is_empty():
                    rows = _counts(kind, engagements)
                    label, url = str(label), _url_pattern(kind, tenant.slug)
                    entries.extend(
                        QueueEntry(
                            kind=kind,
                            label=label,
                            tenant_slug=tenant.slug,
                            tenant_name=tenant.name,
                            engagement_id=row["engagement_id"],
                            reference=row["engagement__reference"],
                            count=row["n"],
                            due=row["due"],
                            overdue=bool(row["due"] and row["due"] < today),
                            url=url.format(row["engagement_id"]),
                        )
                        for row in rows
                    )
    order = list(KINDS)
    entries.sort(
        key=lambda e: (order.index(e.kind), e.due or datetime.date.max, e.tenant_slug, e.reference)
    )
    return entries


def totals(entries: list[QueueEntry]) -> list[tuple[str, str, int]]:
    """(kind, label, total count) for the kinds present, in the queue's order."""
    summed = {}
    for entry in entries:
        label, count = summed.get(entry.kind, (entry.label, 0))
        summed[entry.kind] = (label, count + entry.count)
    return [(kind, label, count) for kind, (label, count) in summed.items()]
