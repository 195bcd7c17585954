"""Web pages of engagements: list, create, the engagement page, workflow steps, team, timeline,
conflicts of interest."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import policy, workflow
from assessments.forms.engagements import AssignForm, ConflictForm, EngagementForm
from assessments.models import Assignment, Engagement
from assessments.policy import Action
from assessments.selectors import engagements as selectors
from assessments.selectors.library import published_versions_for_engagements
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


def engagement_create(request):
    policy.require_may_create_engagement(request.membership)
    form = EngagementForm(
        submitted(request),
        organizations=organizations_visible_to(request.membership).filter(is_active=True),
        versions=published_versions_for_engagements(request.membership),
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
                scope_codes=form.scope_codes(),
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                kind=data["kind"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Engagement %(ref)s created.") % {"ref": engagement})
            return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)
    return render(request, "assessments/engagements/form.html", {"form": form})


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
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    policy.require(request.membership, Action.VIEW_TEAM, engagement)
    may_assign = policy.can(request.membership, Action.ASSIGN, engagement)
    form = AssignForm(submitted(request), people=selectors.assignable_people(request.tenant))
    if request.method == "POST":
        policy.require(request.membership, Action.ASSIGN, engagement)
        if form.is_valid():
            try:
                services.assign(
                    engagement=engagement,
                    user=form.cleaned_data["user"],
                    role=form.cleaned_data["role"],
                    by=request.membership,
                )
            except (ValidationError, DomainError) as error:
                form.add_error(None, getattr(error, "message", None) or error)
            else:
                messages.success(request, _("Assigned."))
                return redirect("assessments:engagement_team", request.tenant.slug, engagement.pk)
    return render(
        request,
        "assessments/engagements/team.html",
        {
            "engagement": engagement,
            "team": selectors.team(engagement),
            "form": form,
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
