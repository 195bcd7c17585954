"""The client's review of the draft report (报告复核): the team sends the latest report version
with a deadline; the client comments or accepts within it; comments and the team's answers are
kept; the technical review waits until the client answered or the deadline passed
(`review_blocker`, connected to assessments.workflow.review_blockers)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import policy
from assessments.policy import Action
from certificates.models import Report, ReportComment, ReportReview
from portal import audit
from portal.errors import Conflict

S = ReportReview.Status


def _audit(review, by, verb, changes, action="update"):
    audit.record(
        verb=verb,
        obj=review,
        actor=by,
        tenant=review.engagement.tenant,
        engagement=review.engagement,
        action=action,
        changes=changes,
    )


@transaction.atomic
def send_for_client_review(*, engagement, by, due_date):
    """Send the latest ready report version to the client, to answer by `due_date`."""
    policy.require(by, Action.SEND_DRAFT_REPORT, engagement)
    if due_date is None or due_date < timezone.localdate():
        raise ValidationError({"due_date": _("Give a date from today on.")})
    report = (
        Report.objects.filter(engagement=engagement, status=Report.Status.READY)
        .order_by("-version")
        .first()
    )
    if report is None:
        raise Conflict(_("Make a report version first: none is ready yet."))
    review = ReportReview.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        report=report,
        due_date=due_date,
        sent_by=by.user,
    )
    _audit(
        review,
        by,
        "report.sent_for_review",
        {"version": [None, str(report.version)], "due_date": [None, str(due_date)]},
        action="create",
    )
    return review


def _locked(review):
    return (
        ReportReview.objects.select_for_update()
        .select_related("engagement__tenant")
        .get(pk=review.pk)
    )


def _require_open(review):
    if not review.is_open(timezone.localdate()):
        raise Conflict(_("The deadline for the client's review has passed."))


@transaction.atomic
def comment(*, review, by, body):
    """A comment of the client (within the deadline) or an answer of the team."""
    body = (body or "").strip()
    from_client = by.is_client
    policy.require(
        by,
        Action.REVIEW_DRAFT_REPORT if from_client else Action.ANSWER_REPORT_COMMENT,
        review.engagement,
    )
    if not body:
        raise ValidationError({"body": _("Write the comment.")})
    review = _locked(review)
    if from_client:
        _require_open(review)
    note = ReportComment.objects.create(
        tenant=review.tenant, review=review, author=by.user, from_client=from_client, body=body
    )
    changes = {}
    if from_client and review.status == S.PENDING:
        changes["status"] = [review.status, S.COMMENTED]
        review.status = S.COMMENTED
        review.answered_by, review.answered_at = by.user, timezone.now()
        review.save(update_fields=["status", "answered_by", "answered_at"])
    _audit(
        review,
        by,
        "report.commented" if from_client else "report.comment_answered",
        {**changes, "comment": [None, str(note.pk)]},
    )
    return review


@transaction.atomic
def accept(*, review, by):
    """The client accepts the draft report (within the deadline)."""
    policy.require(by, Action.REVIEW_DRAFT_REPORT, review.engagement)
    review = _locked(review)
    _require_open(review)
    if review.status == S.ACCEPTED:
        return review
    before = review.status
    review.status = S.ACCEPTED
    review.answered_by, review.answered_at = by.user, timezone.now()
    review.save(update_fields=["status", "answered_by", "answered_at"])
    _audit(review, by, "report.accepted_by_client", {"status": [before, S.ACCEPTED]})
    return review


def review_blocker(sender, *, engagement, **kwargs):
    """The reason the technical review may not start yet, or None: the latest draft sent to
    the client is unanswered and its deadline has not passed."""
    latest = ReportReview.objects.filter(engagement=engagement).order_by("-sent_at", "-pk").first()
    if latest and latest.status == S.PENDING and latest.is_open(timezone.localdate()):
        return _("The client is reviewing the draft report until %(date)s.") % {
            "date": latest.due_date.isoformat()
        }
    return None
