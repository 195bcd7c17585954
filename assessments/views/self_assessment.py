"""The client's self-assessment page (企业自评): a table of the in-scope leaves; the team sees it
read-only beside the levels its ratings reach."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assessments import policy
from assessments.forms.engagements import SelfAssessmentForm
from assessments.models import SelfRating
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from assessments.selectors.work import self_assessment_gap
from assessments.services import evidence as evidence_services
from assessments.services import self_assessment as services
from assessments.views.work import _fail, _require_who
from portal.errors import DomainError


def self_assessment(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_SELF_ASSESSMENT, engagement, tokens=tokens)
    may = policy.abilities(request.membership, engagement, tokens=tokens)
    current = {r.item_id: r for r in SelfRating.objects.filter(engagement=engagement)}
    form = SelfAssessmentForm(
        request.POST if request.method == "POST" else None,
        items=evidence_services.scope_items(engagement),
        top=engagement.model_version.top_level,
        current=current,
    )
    if request.method == "POST":
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
        },
    )
