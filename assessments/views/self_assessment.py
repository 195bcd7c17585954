"""The client's self-assessment page (企业自评): a table of the in-scope leaves; the team sees it
read-only beside the levels its ratings reach."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments import policy
from assessments.forms.engagements import SelfAssessmentForm, SelfAssessmentSheetForm
from assessments.models import SelfRating
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from assessments.selectors.work import self_assessment_gap
from assessments.self_assessment_sheet import self_assessment_sheet_response
from assessments.services import evidence as evidence_services
from assessments.services import self_assessment as services
from assessments.views.work import _fail, _require_who
from portal.errors import DomainError


def self_assessment(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_SELF_ASSESSMENT, engagement, tokens=tokens)
    return _page(request, engagement, tokens)


def _page(request, engagement, tokens, sheet_form=None):
    """The page; with `sheet_form`, a refused sheet shown again with its problems (400)."""
    may = policy.abilities(request.membership, engagement, tokens=tokens)
    current = {r.item_id: r for r in SelfRating.objects.filter(engagement=engagement)}
    form = SelfAssessmentForm(
        request.POST if request.method == "POST" and sheet_form is None else None,
        items=evidence_services.scope_items(engagement),
        top=engagement.model_version.top_level,
        current=current,
    )
    if request.method == "POST" and sheet_form is None:
        _require_who(request, Action.SELF_ASSESS, engagement, tokens=tokens)
        if form.is_valid():
            try:
                services.self_assess(
                    engagement=engagement, by=request.membership, ratings=form.ratings()
                )
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Self-assessment saved."))
                return redirect("assessments:self_assessment", request.tenant.slug, engagement.pk)
    return render(
        request,
        "assessments/work/self_assessment.html",
        {
            "engagement": engagement,
            "form": form,
            "may_edit": may["self_assess"],
            "gap": self_assessment_gap(engagement) if may["view_score"] else None,
            "current": current,
            "sheet_form": sheet_form or SelfAssessmentSheetForm(),
        },
        status=400 if sheet_form is not None else 200,
    )


def self_assessment_sheet(request, engagement_id):
    """GET: the engagement's sheet to fill in (?language=zh|en), with the organization, the
    target level and the ratings recorded so far. POST: a filled-in sheet recorded as the
    client's self-assessment (services.self_assessment.import_sheet)."""
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_SELF_ASSESSMENT, engagement, tokens=tokens)
    if request.method != "POST":
        language = request.GET.get("language") or request.LANGUAGE_CODE
        return self_assessment_sheet_response(engagement, language=language)
    _require_who(request, Action.SELF_ASSESS, engagement, tokens=tokens)
    form = SelfAssessmentSheetForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            saved, skipped = services.import_sheet(
                engagement=engagement, by=request.membership, file=form.cleaned_data["file"]
            )
        except (ValidationError, DomainError) as error:
            for message in getattr(error, "message_dict", {}).get("file", []) or [
                getattr(error, "message", None) or str(error)
            ]:
                form.add_error("file", message)
        else:
            messages.success(
                request,
                ngettext(
                    "The sheet rated %(count)d sub-item.",
                    "The sheet rated %(count)d sub-items.",
                    len(saved),
                )
                % {"count": len(saved)},
            )
            if skipped:
                messages.warning(
                    request,
                    _("Outside this engagement's scope, so not recorded: %(codes)s.")
                    % {"codes": ", ".join(skipped)},
                )
            return redirect("assessments:self_assessment", request.tenant.slug, engagement.pk)
    return _page(request, engagement, tokens, sheet_form=form)
