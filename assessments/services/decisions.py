"""The technical review of the findings and the certification decision."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments import policy, workflow
from assessments.models import Decision, Engagement, Review
from assessments.policy import Action
from assessments.selectors.work import engagement_score
from assessments.services.engagements import transition
from portal import audit
from portal.errors import Conflict


@transaction.atomic
def record_review(*, engagement, by, outcome, comments=""):
    """The technical reviewer approves the findings or asks for changes."""
    policy.require(by, Action.REVIEW, engagement)
    if outcome not in Review.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    if outcome == Review.Outcome.CHANGES_REQUESTED and not comments.strip():
        raise ValidationError({"comments": _("Say what has to change.")})
    review = Review.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        reviewer=by.user,
        outcome=outcome,
        comments=comments.strip(),
    )
    audit.record(
        verb="review.recorded",
        obj=review,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="create",
        changes={"outcome": [None, outcome]},
    )
    return review


@transaction.atomic
def approve_and_pass_to_decision(*, engagement, by, comments=""):
    """The technical reviewer approves the findings and hands the engagement to the
    certification officer in one step: the review and the transition are recorded together,
    or neither is (a refused transition undoes the review)."""
    review = record_review(
        engagement=engagement, by=by, outcome=Review.Outcome.APPROVED, comments=comments
    )
    transition(engagement=engagement, to=Engagement.State.DECISION, by=by)
    return review


def grantable_levels(engagement):
    """(level the findings reach, [(level, name)] of the levels the model declares that may be
    granted: 1 up to the level reached)."""
    reached = engagement_score(engagement).overall or 0
    names = engagement.model_version.level_names()
    return reached, [(level, names.get(level, str(level))) for level in range(1, reached + 1)]


@transaction.atomic
def record_decision(*, engagement, by, outcome, reasons, level=None):
    """The certification officer grants certification at a level, or refuses it, with reasons.

    A major nonconformity still open blocks the decision; a level is one the model declares and
    at most the overall level the findings reach. A lower one may be granted, the reasons saying
    why; the level computed is recorded beside it.
    """
    policy.require(by, Action.DECIDE, engagement)
    open_majors = workflow.open_major_nonconformities(engagement).count()
    if open_majors:
        raise Conflict(
            _("%(n)d major nonconformity still open: close it before deciding.")
            % {"n": open_majors}
        )
    if Decision.objects.filter(engagement=engagement).exists():
        raise Conflict(_("The decision is recorded already."))
    if outcome not in Decision.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    if not (reasons or "").strip():
        raise ValidationError({"reasons": _("Give the reasons of the decision.")})
    reached = engagement_score(engagement).overall or 0
    if outcome == Decision.Outcome.GRANTED:
        top = engagement.model_version.top_level
        if level is None or not 1 <= int(level) <= top:
            raise ValidationError(
                {"level": _("Choose the level granted (1 to %(top)d).") % {"top": top}}
            )
        if int(level) > reached:
            raise ValidationError(
                {
                    "level": _(
                        "The findings reach level %(reached)d; a higher level cannot be granted."
                    )
                    % {"reached": reached}
                }
            )
    else:
        level = None
    decision = Decision.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        outcome=outcome,
        level=level,
        computed_level=reached,
        reasons=reasons.strip(),
        decided_by=by.user,
    )
    audit.record(
        verb="decision.recorded",
        obj=decision,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="create",
        changes={
            "outcome": [None, outcome],
            "level": [None, str(level or "")],
            "computed_level": [None, str(reached)],
        },
    )
    return decision
