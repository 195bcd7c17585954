"""The page of the client's review of the draft report (报告复核)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import policy
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from certificates import review_services as services
from certificates.forms import ReportCommentForm, SendForReviewForm
from certificates.models import ReportComment
from certificates.policy import report_reviews_visible_to
from portal.errors import DomainError


def _fail(form, error):
    form.add_error(None, getattr(error, "message", None) or error)


def report_review(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_DRAFT_REVIEW, engagement, tokens=tokens)
    may = policy.abilities(request.membership, engagement, tokens=tokens)
    reviews = list(
        report_reviews_visible_to(request.membership)
        .filter(engagement=engagement)
        .select_related("report", "sent_by", "answered_by")
        .prefetch_related(
            Prefetch("comments", queryset=ReportComment.objects.select_related("author"))
        )
    )
    latest = reviews[0] if reviews else None
    action = next((a for a in ("send", "comment", "accept") if a in request.POST), None)
    send_form = SendForReviewForm(request.POST if action == "send" else None)
    comment_form = ReportCommentForm(request.POST if action == "comment" else None)
    if request.method == "POST":
        needed = {
            "send": Action.SEND_DRAFT_REPORT,
            "accept": Action.REVIEW_DRAFT_REPORT,
            "comment": Action.REVIEW_DRAFT_REPORT
            if request.membership.is_client
            else Action.ANSWER_REPORT_COMMENT,
        }.get(action)
        verdict = (
            policy.can(request.membership, needed, engagement, tokens=tokens) if needed else None
        )
        if verdict is None or (not verdict and not verdict.by_state):
            raise PermissionDenied(getattr(verdict, "reason", ""))
        form = send_form if action == "send" else comment_form
        if action != "send" and latest is None:
            raise PermissionDenied(_("No draft report was sent to the client."))
        try:
            if action == "send":
                if form.is_valid():
                    services.send_for_client_review(
                        engagement=engagement,
                        by=request.membership,
                        due_date=form.cleaned_data["due_date"],
                    )
            elif action == "comment":
                if form.is_valid():
                    services.comment(
                        review=latest, by=request.membership, body=form.cleaned_data["body"]
                    )
            else:
                services.accept(review=latest, by=request.membership)
        except (ValidationError, DomainError) as error:
            if action == "accept":
                messages.error(request, getattr(error, "message", None) or str(error))
                return redirect("certificates:report_review", request.tenant.slug, engagement.pk)
            _fail(form, error)
        else:
            if action == "accept" or form.is_valid():
                messages.success(request, _("Saved."))
                return redirect("certificates:report_review", request.tenant.slug, engagement.pk)
    return render(
        request,
        "certificates/report_review.html",
        {
            "engagement": engagement,
            "reviews": reviews,
            "latest": latest,
            "open": latest is not None and latest.is_open(timezone.localdate()),
            "may": may,
            "send_form": send_form,
            "comment_form": comment_form,
        },
    )
