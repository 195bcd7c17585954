"""Web pages of the work inside an engagement: evidence, findings, nonconformities, review and
decision."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from assessments import policy
from assessments.forms.engagements import (
    AnswerForm,
    CloseForm,
    DecisionForm,
    EvidenceForm,
    FindingForm,
    JudgeForm,
    JudgeManyForm,
    LinkForm,
    NonconformityForm,
    ReviewForm,
)
from assessments.models import Evidence, LevelRequirement, Nonconformity, Review, SelfRating
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from assessments.selectors.work import engagement_score, evidence_links, finding_detail
from assessments.services import decisions, findings
from assessments.services import evidence as evidence_services
from portal.errors import DomainError
from portal.forms import submitted


def _back(request, engagement):
    return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)


def _fail(form, error):
    form.add_error(None, getattr(error, "message", None) or error)


def _require_who(request, action, engagement, *, tokens=None):
    """403 unless the person's standing allows the action. A refusal only because of the phase
    is left to the service, which the form shows as an error."""
    verdict = policy.can(request.membership, action, engagement, tokens=tokens)
    if not verdict and not verdict.by_state:
        raise PermissionDenied(verdict.reason)


def _scope_requirements(engagement):
    return LevelRequirement.objects.filter(item__in=engagement.scope_items.all()).order_by(
        "item__position", "level", "position"
    )


def evidence_upload(request, engagement_id, evidence_id=None):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    previous = None
    if evidence_id is not None:
        previous = get_object_or_404(Evidence, pk=evidence_id, engagement=engagement)
    _require_who(request, Action.UPLOAD_EVIDENCE, engagement)
    posted = request.method == "POST"  # bound even when the only file was refused
    form = EvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        items=evidence_services.scope_items(engagement),
        requirements=_scope_requirements(engagement),
        upload_errors=getattr(request, "upload_errors", None),
        single=previous is not None,
        initial={"requirements": request.GET.getlist("requirement")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        links = {
            "description": data["description"],
            "item_ids": [item.pk for item in data["items"]],
            "requirement_ids": [r.pk for r in data["requirements"]],
        }
        try:
            if previous is not None:
                evidence_services.upload_evidence(
                    engagement=engagement,
                    by=request.membership,
                    uploaded=data["file"][0],
                    supersedes=previous,
                    **links,
                )
                count = 1
            else:
                count = len(
                    evidence_services.upload_many(
                        engagement=engagement,
                        by=request.membership,
                        files=data["file"],
                        **links,
                    )
                )
        except (ValidationError, DomainError) as error:
            _fail(form, error)
        else:
            messages.success(
                request,
                _("Evidence uploaded.")
                if count == 1
                else ngettext("%(n)d file uploaded.", "%(n)d files uploaded.", count)
                % {"n": count},
            )
            return _back(request, engagement)
    return render(
        request,
        "assessments/work/evidence_upload.html",
        {"engagement": engagement, "form": form, "previous": previous},
    )


def evidence_detail(request, engagement_id, evidence_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    evidence = get_object_or_404(
        Evidence.objects.select_related("uploaded_by", "reviewed_by", "supersedes"),
        pk=evidence_id,
        engagement=engagement,
    )
    policy.require(request.membership, Action.VIEW_EVIDENCE, engagement)
    may = policy.abilities(request.membership, engagement)
    judging = "link" not in request.POST
    form = JudgeForm(request.POST if request.method == "POST" and judging else None)
    link_form = LinkForm(
        request.POST if request.method == "POST" and not judging else None,
        items=evidence_services.scope_items(engagement),
        requirements=_scope_requirements(engagement),
        initial={
            "items": list(evidence.items.all()),
            "requirements": list(evidence.requirements.all()),
        },
    )
    if request.method == "POST" and not judging:
        _require_who(request, Action.LINK_EVIDENCE, engagement)
        if link_form.is_valid():
            try:
                evidence_services.link_evidence(
                    evidence=evidence,
                    by=request.membership,
                    item_ids=[i.pk for i in link_form.cleaned_data["items"]],
                    requirement_ids=[r.pk for r in link_form.cleaned_data["requirements"]],
                )
            except (ValidationError, DomainError) as error:
                _fail(link_form, error)
            else:
                messages.success(request, _("Links saved."))
                return redirect(
                    "assessments:evidence_detail", request.tenant.slug, engagement.pk, evidence.pk
                )
    elif request.method == "POST":
        _require_who(request, Action.JUDGE_EVIDENCE, engagement)
        if form.is_valid():
            try:
                evidence_services.judge_evidence(
                    evidence=evidence,
                    by=request.membership,
                    accept=form.cleaned_data["accept"],
                    note=form.cleaned_data["note"],
                )
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Judgement recorded."))
                return redirect(
                    "assessments:evidence_detail", request.tenant.slug, engagement.pk, evidence.pk
                )
    return render(
        request,
        "assessments/work/evidence_detail.html",
        {
            "engagement": engagement,
            "evidence": evidence,
            "form": form,
            "link_form": link_form,
            "may_judge": may["judge_evidence"],
            "may_link": may["link_evidence"],
            "items": evidence.items.all(),
            "requirements": evidence.requirements.select_related("item"),
            "preview": evidence.content_type in evidence_services.PREVIEW_TYPES,
            "newer": Evidence.objects.filter(supersedes=evidence).first(),
            "may_upload": may["upload_evidence"],
        },
    )


def _tampered(request, error):
    return render(
        request,
        "error.html",
        {"status": 409, "title": _("File altered"), "message": str(error)},
        status=409,
    )


def evidence_download(request, engagement_id, evidence_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    evidence = get_object_or_404(Evidence, pk=evidence_id, engagement=engagement)
    try:
        handle = evidence_services.open_for_download(evidence=evidence, by=request.membership)
    except evidence_services.TamperedFile as error:
        return _tampered(request, error)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


# The preview's own policy (docs/architecture.md, "Evidence previews"): nothing loads, nothing
# runs, framed only by this site's pages; images are sandboxed too.
PREVIEW_CSP = "default-src 'none'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'"


@xframe_options_sameorigin
def evidence_preview(request, engagement_id, evidence_id):
    """PDF, PNG and JPEG inline (after the SHA-256 check), for the evidence page's preview."""
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    evidence = get_object_or_404(Evidence, pk=evidence_id, engagement=engagement)
    try:
        handle = evidence_services.open_for_preview(evidence=evidence, by=request.membership)
    except evidence_services.NotPreviewable as error:
        raise Http404(str(error)) from error
    except evidence_services.TamperedFile as error:
        return _tampered(request, error)
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    policy_header = PREVIEW_CSP
    if evidence.content_type.startswith("image/"):
        policy_header += "; sandbox"
    response["Content-Security-Policy"] = policy_header
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def evidence_judge_many(request, engagement_id):
    """Accept or reject the files ticked on the engagement page, in one step."""
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    _require_who(request, Action.JUDGE_EVIDENCE, engagement)
    form = JudgeManyForm(request.POST, evidence=Evidence.objects.filter(engagement=engagement))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, engagement)
    try:
        judged = evidence_services.judge_many(
            engagement=engagement,
            by=request.membership,
            evidence_ids=[e.pk for e in form.cleaned_data["evidence"]],
            accept=form.cleaned_data["accept"],
            note=form.cleaned_data["note"],
        )
    except (ValidationError, DomainError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
    else:
        n = len(judged)
        messages.success(
            request, ngettext("%(n)d file judged.", "%(n)d files judged.", n) % {"n": n}
        )
    return _back(request, engagement)


def finding_edit(request, engagement_id, item_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_FINDINGS, engagement, tokens=tokens)
    item = get_object_or_404(engagement.scope_items.all(), pk=item_id)
    finding = finding_detail(engagement, item)
    may_assess = bool(
        policy.can(request.membership, Action.RECORD_FINDING, engagement, tokens=tokens)
    )
    requirements = list(LevelRequirement.objects.filter(item=item).order_by("level", "position"))
    current = (
        {r.requirement_id: (r.rating, r.note) for r in finding.ratings.all()} if (finding) else {}
    )
    # Only the files linked to this leaf or its requirements (and those the finding already
    # refers to): the row shows the evidence that bears on it, not the engagement's every file.
    links = evidence_links(engagement, item_ids=[item.pk])
    linked = links.for_leaf(item.pk, [r.pk for r in requirements])
    referred = [e.pk for e in finding.evidence.all()] if finding else []
    evidence = Evidence.objects.filter(
        engagement=engagement, pk__in=[e.pk for e in linked] + referred
    ).order_by("-uploaded_at", "-pk")
    own_view = None
    if policy.can(request.membership, Action.VIEW_SELF_ASSESSMENT, engagement, tokens=tokens):
        own_view = SelfRating.objects.filter(engagement=engagement, item=item).first()
    initial = {}
    if finding:
        initial = {
            "narrative": finding.narrative,
            "final": finding.status == "final",
            "evidence": list(finding.evidence.all()),
        }
    form = FindingForm(
        submitted(request),
        initial=initial,
        requirements=requirements,
        evidence=evidence,
        current=current,
    )
    if request.method == "POST":
        _require_who(request, Action.RECORD_FINDING, engagement, tokens=tokens)
        if form.is_valid():
            try:
                findings.record_finding(
                    engagement=engagement,
                    item=item,
                    by=request.membership,
                    ratings=form.ratings(),
                    narrative=form.cleaned_data["narrative"],
                    evidence_ids=[e.pk for e in form.cleaned_data["evidence"]],
                    final=form.cleaned_data["final"],
                )
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Finding saved."))
                return _back(request, engagement)
    score = engagement_score(engagement)
    return render(
        request,
        "assessments/work/finding.html",
        {
            "engagement": engagement,
            "item": item,
            "finding": finding,
            "form": form,
            "may_assess": may_assess,
            "level": score.result.items[item.code].level,
            "gap": score.result.items[item.code].gap,
            "level_names": engagement.model_version.level_names(),
            "files_by_requirement": {
                r.pk: links.by_requirement.get(r.pk, []) for r in requirements
            },
            "item_files": links.by_item.get(item.pk, []),
            "own_view": own_view,
        },
    )


def nonconformity_create(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    _require_who(request, Action.RAISE_NC, engagement)
    form = NonconformityForm(submitted(request), items=evidence_services.scope_items(engagement))
    if request.method == "POST" and form.is_valid():
        item = form.cleaned_data["item"]
        finding = engagement.findings.filter(item=item).first()
        if finding is None:
            form.add_error("item", _("Record a finding for this item first."))
        else:
            try:
                findings.raise_nonconformity(
                    engagement=engagement,
                    finding=finding,
                    by=request.membership,
                    grade=form.cleaned_data["grade"],
                    description=form.cleaned_data["description"],
                    due_date=form.cleaned_data["due_date"],
                )
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Nonconformity raised; the client was told."))
                return _back(request, engagement)
    return render(
        request,
        "assessments/work/nonconformity_form.html",
        {"engagement": engagement, "form": form},
    )


def nonconformity_detail(request, engagement_id, nonconformity_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_NONCONFORMITIES, engagement, tokens=tokens)
    nc = get_object_or_404(
        Nonconformity.objects.select_related(
            "finding__item", "raised_by", "answered_by", "closed_by"
        ),
        pk=nonconformity_id,
        engagement=engagement,
    )
    may_answer = bool(policy.can(request.membership, Action.ANSWER_NC, engagement, tokens=tokens))
    may_close = bool(policy.can(request.membership, Action.CLOSE_NC, engagement, tokens=tokens))
    answer = AnswerForm(
        request.POST if "answer" in request.POST else None,
        evidence=Evidence.objects.filter(engagement=engagement),
    )
    close = CloseForm(request.POST if "close" in request.POST else None)
    if request.method == "POST":
        form = answer if "answer" in request.POST else close
        action = Action.ANSWER_NC if form is answer else Action.CLOSE_NC
        _require_who(request, action, engagement, tokens=tokens)
        if form.is_valid():
            try:
                if form is answer:
                    findings.answer_nonconformity(
                        nonconformity=nc,
                        by=request.membership,
                        corrective_action=form.cleaned_data["corrective_action"],
                        evidence_ids=[e.pk for e in form.cleaned_data["evidence"]],
                    )
                else:
                    findings.close_nonconformity(
                        nonconformity=nc,
                        by=request.membership,
                        verification_note=form.cleaned_data["verification_note"],
                    )
            except (ValidationError, DomainError) as error:
                _fail(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "assessments:nonconformity_detail", request.tenant.slug, engagement.pk, nc.pk
                )
    return render(
        request,
        "assessments/work/nonconformity_detail.html",
        {
            "engagement": engagement,
            "nc": nc,
            "answer_form": answer,
            "close_form": close,
            "may_answer": may_answer,
            "may_close": may_close,
            "response_evidence": nc.response_evidence.all(),
        },
    )


def review_create(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    _require_who(request, Action.REVIEW, engagement)
    data = submitted(request)
    # "Approve and pass to decision" is one button: the approval and the transition together.
    passing_on = data is not None and "approve_and_pass" in data
    if passing_on:
        data = data.copy()
        data["outcome"] = Review.Outcome.APPROVED
    form = ReviewForm(data)
    if request.method == "POST" and form.is_valid():
        try:
            if passing_on:
                decisions.approve_and_pass_to_decision(
                    engagement=engagement,
                    by=request.membership,
                    comments=form.cleaned_data["comments"],
                )
            else:
                decisions.record_review(
                    engagement=engagement, by=request.membership, **form.cleaned_data
                )
        except (ValidationError, DomainError) as error:
            _fail(form, error)
        else:
            done = _("Review recorded; the engagement is with the decision.")
            messages.success(request, done if passing_on else _("Review recorded."))
            return _back(request, engagement)
    return render(
        request, "assessments/work/review_form.html", {"engagement": engagement, "form": form}
    )


def decision_create(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    _require_who(request, Action.DECIDE, engagement)
    score = engagement_score(engagement)
    form = DecisionForm(
        submitted(request),
        initial={"level": score.overall or None},
        version=engagement.model_version,
        reached=score.overall or 0,
    )
    if request.method == "POST" and form.is_valid():
        try:
            decisions.record_decision(
                engagement=engagement, by=request.membership, **form.cleaned_data
            )
        except (ValidationError, DomainError) as error:
            _fail(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return _back(request, engagement)
    return render(
        request,
        "assessments/work/decision_form.html",
        {
            "engagement": engagement,
            "form": form,
            "reached": score.overall,
            "level_names": engagement.model_version.level_names(),
        },
    )
