"""Web pages of engagements: list, create, the engagement page, workflow steps, team, timeline,
conflicts of interest."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from assessments import policy, workflow
from assessments.forms.engagements import (
    ConflictForm,
    EngagementEditForm,
    EngagementForm,
    TeamFormSet,
)
from assessments.models import Assignment, Engagement
from assessments.policy import Action
from assessments.selectors import engagements as selectors
from assessments.selectors.library import published_versions_for_engagements, scope_trees
from assessments.selectors.work import engagement_sections
from assessments.services import engagements as services
from portal import trail
from portal.errors import DomainError
from portal.forms import submitted
from tenants.roles import Capability, has_capability
from tenants.selectors import organizations_visible_to


def engagement_list(request):
    engagements = selectors.engagements_visible_to(request.membership)
    state = request.GET.get("state", "")
    if state in Engagement.State.values:
        engagements = engagements.filter(state=state)
    page = Paginator(engagements.order_by("-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessments/engagements/list.html",
        {
            "page": page,
            "state": state,
            "states": Engagement.State.choices,
            "query_string": f"state={state}" if state else "",
        },
    )


def _picker_context(form, versions):
    return scope_trees(
        versions,
        chosen_domains=form.chosen("scope_domains"),
        chosen_items=form.chosen("scope_items"),
    )


def engagement_create(request):
    policy.require_may_create_engagement(request.membership)
    versions = published_versions_for_engagements(request.membership).select_related("model")
    form = EngagementForm(
        submitted(request),
        organizations=organizations_visible_to(request.membership).filter(is_active=True),
        versions=versions,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            engagement = services.create_engagement(
                tenant=request.tenant,
                by=request.membership,
                organization=data["organization"],
                model_version=data["model_version"],
                title=data["title"],
                target_level=data["target_level"],
                scope_domain_ids=data["scope_domains"],
                scope_item_ids=data["scope_items"],
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                kind=data["kind"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Engagement %(ref)s created.") % {"ref": engagement})
            return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)
    return render(
        request,
        "assessments/engagements/form.html",
        {"form": form, "trees": _picker_context(form, versions), "editing": False},
    )


def engagement_edit(request, engagement_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    verdict = policy.can(request.membership, Action.EDIT, engagement)
    if not verdict and not verdict.by_state:
        raise PermissionDenied(verdict.reason)
    if not verdict:  # the phase refuses: say why on the engagement's page
        messages.error(request, verdict.reason)
        return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)
    version = engagement.model_version
    form = EngagementEditForm(
        submitted(request),
        version=version,
        initial={
            "title": engagement.title,
            "target_level": engagement.target_level,
            "planned_start": engagement.planned_start,
            "planned_end": engagement.planned_end,
            "scope_items": list(engagement.scope_items.values_list("pk", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_engagement(
                engagement=engagement,
                by=request.membership,
                title=data["title"],
                target_level=data["target_level"],
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                scope_domain_ids=data["scope_domains"],
                scope_item_ids=data["scope_items"],
            )
        except (ValidationError, DomainError) as error:
            form.add_error(None, error if isinstance(error, ValidationError) else error.message)
        else:
            messages.success(request, _("Engagement %(ref)s changed.") % {"ref": engagement})
            return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)
    return render(
        request,
        "assessments/engagements/form.html",
        {
            "form": form,
            "trees": _picker_context(form, [version]),
            "editing": True,
            "engagement": engagement,
        },
    )


def engagement_detail(request, engagement_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    may = policy.abilities(request.membership, engagement, tokens=tokens)
    work = engagement_sections(engagement, may=may)
    transitions = workflow.available_transitions(engagement, tokens)
    return render(
        request,
        "assessments/engagements/detail.html",
        {
            "engagement": engagement,
            "version": engagement.model_version,
            "level_names": engagement.model_version.level_names(),
            "transitions": transitions,
            "steps": _steps(engagement),
            "team": selectors.team(engagement),
            "work": work,
            "may": may,
        },
    )


def _steps(engagement):
    order = [s for s in Engagement.State if s != Engagement.State.CANCELLED]
    current = order.index(engagement.state) if engagement.state in order else -1
    return [
        {"label": state.label, "done": index < current, "current": index == current}
        for index, state in enumerate(order)
    ]


@require_POST
def engagement_transition(request, engagement_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    target = request.POST.get("to", "")
    try:
        services.transition(
            engagement=engagement,
            to=target,
            by=request.membership,
            reason=request.POST.get("reason", ""),
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The engagement moved to %(state)s.") % {"state": Engagement.State(target).label},
        )
    return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)


def engagement_team(request, engagement_id):
    """The team, and (for the body's administrators) a form that assigns several people with
    their roles at once: every row passes or nothing is saved, each refusal shown on its row."""
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    policy.require(request.membership, Action.VIEW_TEAM, engagement)
    may_assign = policy.can(request.membership, Action.ASSIGN, engagement)
    people = selectors.assignable_people(request.tenant)
    formset = TeamFormSet(submitted(request), prefix="team", form_kwargs={"people": people})
    if request.method == "POST":
        policy.require(request.membership, Action.ASSIGN, engagement)
        if formset.is_valid():
            filled = [form for form in formset if form.filled]
            try:
                services.assign_team(
                    engagement=engagement,
                    rows=[(f.cleaned_data["user"], f.cleaned_data["role"]) for f in filled],
                    by=request.membership,
                )
            except services.TeamRefused as refused:
                for form, errors in zip(filled, refused.rows, strict=True):
                    for field, texts in errors.items():
                        for text in texts:
                            form.add_error(field if field in form.fields else None, text)
                messages.error(request, _("Nobody was assigned: see the rows marked below."))
            except (ValidationError, DomainError) as error:
                messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
            else:
                count = len(filled)
                messages.success(
                    request,
                    ngettext("%(count)s person assigned.", "%(count)s people assigned.", count)
                    % {"count": count},
                )
                return redirect("assessments:engagement_team", request.tenant.slug, engagement.pk)
    return render(
        request,
        "assessments/engagements/team.html",
        {
            "engagement": engagement,
            "team": selectors.team(engagement),
            "formset": formset,
            "is_admin": bool(may_assign),
        },
    )


@require_POST
def engagement_unassign(request, engagement_id, assignment_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    assignment = get_object_or_404(
        Assignment.objects.select_related("user", "engagement"),
        pk=assignment_id,
        engagement=engagement,
    )
    services.unassign(assignment=assignment, by=request.membership)
    messages.success(
        request, _("%(person)s was taken off the engagement.") % {"person": assignment.user}
    )
    return redirect("assessments:engagement_team", request.tenant.slug, engagement.pk)


def engagement_timeline(request, engagement_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    policy.require(request.membership, Action.VIEW_TIMELINE, engagement)
    params = request.GET.copy()
    export = params.pop("export", [None])[-1] == "csv"
    form, names, entries = selectors.worded_timeline(engagement, params)
    if export and not form.errors:
        return trail.csv_response(entries, names, f"{engagement.reference}-audit-trail.csv")
    return render(
        request,
        "assessments/engagements/timeline.html",
        {
            "engagement": engagement,
            "form": form,
            "entries": [(entry, trail.sentence(entry, names)) for entry in entries],
            "export_query": _query_with(params, export="csv"),
        },
    )


def _query_with(params, **extra):
    query = params.copy()
    for key, value in extra.items():
        query[key] = value
    return query.urlencode()


def conflict_list(request):
    verdict = policy.may_declare_conflict(request.membership, for_user=request.user)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    is_admin = has_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
    organizations = organizations_visible_to(request.membership).filter(is_active=True)
    form = ConflictForm(
        submitted(request),
        organizations=organizations,
        people=selectors.assignable_people(request.tenant) if is_admin else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.declare_conflict(
                tenant=request.tenant,
                by=request.membership,
                user=form.cleaned_data.get("user") or request.user,
                organization=form.cleaned_data["organization"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Conflict of interest recorded."))
            return redirect("assessments:conflict_list", request.tenant.slug)
    conflicts = policy.conflicts_visible_to(request.membership).filter(is_active=True)
    return render(
        request,
        "assessments/engagements/conflicts.html",
        {
            "form": form,
            "conflicts": [
                (conflict, bool(policy.may_withdraw_conflict(request.membership, conflict)))
                for conflict in conflicts
            ],
            "is_admin": is_admin,
        },
    )


@require_POST
def conflict_withdraw(request, conflict_id):
    conflict = get_object_or_404(
        policy.conflicts_visible_to(request.membership), pk=conflict_id, is_active=True
    )
    services.withdraw_conflict(conflict=conflict, by=request.membership)
    messages.success(request, _("Conflict of interest withdrawn."))
    return redirect("assessments:conflict_list", request.tenant.slug)
