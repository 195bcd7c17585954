"""Findings per capability item, ratings per level requirement, and nonconformities."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import notifications, policy
from assessments.models import (
    Evidence,
    Finding,
    LevelRequirement,
    Nonconformity,
    RequirementRating,
)
from assessments.policy import Action
from assessments.scoring import Rating
from portal import audit
from portal.errors import Conflict


@transaction.atomic
def record_finding(*, engagement, item, by, ratings, narrative="", evidence_ids=(), final=False):
    """An assessor records what they found for one item in scope.

    `ratings` maps requirement ids to (rating, note); ratings are written in bulk and each
    changed one gets its own audit entry (bulk writes take the same path as single ones). A
    final finding needs every requirement of the item rated.
    """
    policy.require(by, Action.RECORD_FINDING, engagement)
    if not engagement.scope_items.filter(pk=item.pk).exists():
        raise ValidationError({"item": _("This item is not in the engagement's scope.")})
    requirements = {r.pk: r for r in LevelRequirement.objects.filter(item=item)}
    unknown = set(ratings) - set(requirements)
    if unknown:
        raise ValidationError({"ratings": _("A rating names a requirement of another item.")})
    for value, _note in ratings.values():
        if value not in {r.value for r in Rating}:
            raise ValidationError({"ratings": _("Unknown rating: %(value)s") % {"value": value}})
    evidence = list(Evidence.objects.filter(engagement=engagement, pk__in=evidence_ids))
    if len(evidence) != len(set(evidence_ids)):
        raise ValidationError({"evidence": _("Refer to evidence of this engagement only.")})

    finding, created = Finding.objects.select_for_update().get_or_create(
        engagement=engagement,
        item=item,
        defaults={"tenant": engagement.tenant, "updated_by": by.user, "narrative": narrative},
    )
    existing = {r.requirement_id: r for r in RequirementRating.objects.filter(finding=finding)}
    to_create, to_update = [], []
    for requirement_id, (value, note) in ratings.items():
        current = existing.get(requirement_id)
        if current is None:
            to_create.append(
                RequirementRating(
                    tenant=engagement.tenant,
                    finding=finding,
                    requirement_id=requirement_id,
                    rating=value,
                    note=note or "",
                    rated_by=by.user,
                )
            )
        elif current.rating != value or current.note != (note or ""):
            to_update.append((current, current.rating, value, note or ""))
    RequirementRating.objects.bulk_create(to_create)
    for current, _old, value, note in to_update:
        current.rating, current.note, current.rated_by = value, note, by.user
        current.rated_at = timezone.now()
        current.version += 1  # a grid open elsewhere sees its save refused (services/ratings.py)
    RequirementRating.objects.bulk_update(
        [u[0] for u in to_update], ["rating", "note", "rated_by", "rated_at", "version"]
    )
    # One INSERT for the entries of every rating (audit.record_many), not one each.
    entries = [
        audit.entry(
            verb="rating.recorded",
            obj=rating,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            action="create",
            changes={"rating": [None, rating.rating]},
            data={"requirement": requirements[rating.requirement_id].code},
        )
        for rating in to_create
    ]
    entries += [
        audit.entry(
            verb="rating.changed",
            obj=current,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            changes={"rating": [old, value]},
            data={"requirement": requirements[current.requirement_id].code},
        )
        for current, old, value, _note in to_update
    ]
    audit.record_many(entries)

    rated = set(existing) | {r.requirement_id for r in to_create}
    status = Finding.Status.FINAL if final else Finding.Status.DRAFT
    if final and rated != set(requirements):
        raise ValidationError(
            {
                "final": _(
                    "Rate every requirement of the item before making the finding final "
                    "(%(n)d not rated)."
                )
                % {"n": len(set(requirements) - rated)}
            }
        )
    changes = {}
    if finding.status != status:
        changes["status"] = [finding.status, status]
    if finding.narrative != narrative:
        changes["narrative"] = ["…", "…"]
    finding.narrative, finding.status, finding.updated_by = narrative, status, by.user
    finding.save()
    finding.evidence.set(evidence)
    if changes or created:
        audit.record(
            verb="finding.recorded",
            obj=finding,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            changes=changes,
            action="create" if created else "update",
            data={"item": item.code},
        )
    return finding


@transaction.atomic
def raise_nonconformity(
    *, engagement, finding, by, grade, description, requirement=None, due_date=None
):
    """An assessor raises a nonconformity on a finding; the client is told."""
    policy.require(by, Action.RAISE_NC, engagement)
    if finding.engagement_id != engagement.pk:
        raise ValidationError({"finding": _("Unknown finding.")})
    if requirement is not None and requirement.item_id != finding.item_id:
        raise ValidationError({"requirement": _("Choose a requirement of the finding's item.")})
    if grade not in Nonconformity.Grade.values:
        raise ValidationError({"grade": _("Unknown grade.")})
    if not (description or "").strip():
        raise ValidationError({"description": _("Describe the nonconformity.")})
    nc = Nonconformity.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        finding=finding,
        requirement=requirement,
        grade=grade,
        description=description.strip(),
        due_date=due_date,
        raised_by=by.user,
    )
    audit.record(
        verb="nonconformity.raised",
        obj=nc,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="create",
        changes={"grade": [None, grade]},
    )
    transaction.on_commit(lambda: notifications.nonconformity_raised(nc.pk))
    return nc


@transaction.atomic
def answer_nonconformity(*, nonconformity, by, corrective_action, evidence_ids=()):
    """The client answers with a corrective action and may point to evidence."""
    engagement = nonconformity.engagement
    policy.require(by, Action.ANSWER_NC, engagement)
    if nonconformity.status == Nonconformity.Status.CLOSED:
        raise Conflict(_("This nonconformity is closed."))
    if not (corrective_action or "").strip():
        raise ValidationError({"corrective_action": _("Describe the corrective action.")})
    evidence = list(Evidence.objects.filter(engagement=engagement, pk__in=evidence_ids))
    if len(evidence) != len(set(evidence_ids)):
        raise ValidationError({"evidence": _("Refer to evidence of this engagement only.")})
    previous = nonconformity.status
    nonconformity.corrective_action = corrective_action.strip()
    nonconformity.status = Nonconformity.Status.ANSWERED
    nonconformity.answered_by, nonconformity.answered_at = by.user, timezone.now()
    nonconformity.save()
    nonconformity.response_evidence.set(evidence)
    audit.record(
        verb="nonconformity.answered",
        obj=nonconformity,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        changes={"status": [previous, nonconformity.status]},
    )
    transaction.on_commit(lambda: notifications.nonconformity_answered(nonconformity.pk))
    return nonconformity


@transaction.atomic
def close_nonconformity(*, nonconformity, by, verification_note):
    """An assessor verifies the corrective action and closes the nonconformity."""
    engagement = nonconformity.engagement
    policy.require(by, Action.CLOSE_NC, engagement)
    if nonconformity.status != Nonconformity.Status.ANSWERED:
        raise Conflict(_("Only an answered nonconformity can be verified and closed."))
    if not (verification_note or "").strip():
        raise ValidationError({"verification_note": _("Say how the correction was verified.")})
    nonconformity.verification_note = verification_note.strip()
    nonconformity.status = Nonconformity.Status.CLOSED
    nonconformity.closed_by, nonconformity.closed_at = by.user, timezone.now()
    nonconformity.save()
    audit.record(
        verb="nonconformity.closed",
        obj=nonconformity,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        changes={"status": ["answered", "closed"]},
    )
    return nonconformity
