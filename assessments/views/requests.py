"""Web pages of evidence requests: the to-do list of the client, the assessors' requests and
their pre-review (材料初审, 限期调整)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments import policy
from assessments.forms.engagements import (
    CatalogueRequestForm,
    EvidenceRequestForm,
    ReviewRequestForm,
    SubmitRequestForm,
)
from assessments.models import Evidence, EvidenceRequest
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from assessments.services import evidence as evidence_services
from assessments.services import requests as services
from assessments.views.work import _fail, _require_who
from portal.errors import DomainError


def _list_url(request, engagement):
    return redirect("assessments:request_list", request.tenant.slug, engagement.pk)


def request_list(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_EVIDENCE, engagement, tokens=tokens)
    may_request = bool(
        policy.can(request.membership, Action.REQUEST_EVIDENCE, engagement, tokens=tokens)
    )
    posted = request.POST if request.method == "POST" else None
    catalogue = "catalogue" in request.POST
    form = EvidenceRequestForm(
        None if catalogue else posted, items=evidence_services.scope_items(engagement)
    )
    catalogue_form = CatalogueRequestForm(posted if catalogue else None)
    if request.method == "POST":
        _require_who(request, Action.REQUEST_EVIDENCE, engagement, tokens=tokens)
        chosen = catalogue_form if catalogue else form
        if chosen.is_valid():
            data = chosen.cleaned_data
            try:
                if catalogue:
                    made = services.request_from_catalogue(
                        engagement=engagement,
                        by=request.membership,
                        due_date=data["catalogue_due_date"],
                    )
                    n = len(made)
                else:
                    services.request_evidence(engagement=engagement, by=request.membership, **data)
                    n = 1
            except (ValidationError, DomainError) as error:
                _fail(chosen, error)
            else:
                messages.success(
                    request,
                    ngettext("%(n)d request sent.", "%(n)d requests sent.", n) % {"n": n},
                )
                return _list_url(request, engagement)
    requests = list(
        EvidenceRequest.objects.filter(engagement=engagement)
        .select_related("item", "expected")
        .prefetch_related("evidence")
    )
    is_client = request.membership.is_client
    return render(
        request,
        "assessments/work/request_list.html",
        {
            "engagement": engagement,
            "to_do": [r for r in requests if (r.awaits_client if is_client else r.awaits_team)],
            "others": [
                r for r in requests if not (r.awaits_client if is_client else r.awaits_team)
            ],
            "is_client": is_client,
            "may_request": may_request,
            "form": form,
            "catalogue_form": catalogue_form,
        },
    )


def request_detail(request, engagement_id, request_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_EVIDENCE, engagement, tokens=tokens)
    asked = get_object_or_404(
        EvidenceRequest.objects.select_related("item", "requested_by", "reviewed_by"),
        pk=request_id,
        engagement=engagement,
    )
    may_answer = bool(
        policy.can(request.membership, Action.ANSWER_REQUEST, engagement, tokens=tokens)
    )
    may_review = bool(
        policy.can(request.membership, Action.REQUEST_EVIDENCE, engagement, tokens=tokens)
    )
    submit = SubmitRequestForm(
        request.POST if "submit" in request.POST else None,
        evidence=Evidence.objects.filter(engagement=engagement).order_by("-uploaded_at"),
    )
    review = ReviewRequestForm(request.POST if "review" in request.POST else None)
    if request.method == "POST":
        is_submit = "submit" in request.POST
        form = submit if is_submit else review
        _require_who(
            request,
            Action.ANSWER_REQUEST if is_submit else Action.REQUEST_EVIDENCE,
            engagement,
            tokens=tokens,
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                if is_submit:
                    services.submit_request(
                        request=asked,
                        by=request.membership,
                        evidence_ids=[e.pk for e in data["evidence"]],
                        note=data["note"],
                    )
                else:
                    services.review_request(request=asked, by=request.membership, **data)
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "assessments:request_detail", request.tenant.slug, engagement.pk, asked.pk
                )
    return render(
        request,
        "assessments/work/request_detail.html",
        {
            "engagement": engagement,
            "asked": asked,
            "files": asked.evidence.all(),
            "submit_form": submit,
            "review_form": review,
            "may_answer": may_answer and asked.awaits_client,
            "may_review": may_review and asked.awaits_team,
            "may_upload": may_answer,
        },
    )
