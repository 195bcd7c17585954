"""Web pages of engagements: list, create, the engagement page, workflow steps, team, timeline,
conflicts of interest."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import permissions as perms
from assessments import workflow
from assessments.forms.engagements import AssignForm, ConflictForm, EngagementForm
from assessments.models import Assignment, Engagement
from assessments.selectors import engagements as selectors
from assessments.selectors.library import published_versions_for_engagements
from assessments.selectors.work import engagement_sections
from assessments.services import engagements as services
from portal.errors import DomainError
from portal.forms import submitted
from tenants.access import require_capability
from tenants.models import ConflictOfInterest
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
    require_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
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
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Engagement %(ref)s created.") % {"ref": engagement})
            return redirect("assessments:engagement_detail", request.tenant.slug, engagement.pk)
    return render(request, "assessments/engagements/form.html", {"form": form})


def _viewer(request, engagement):
    codenames = perms.engagement_permissions(request.user, engagement, request.membership)
    is_admin = has_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
    return codenames, is_admin


def engagement_detail(request, engagement_id):
    engagement = selectors.visible_engagement_or_404(request.membership, engagement_id)
    codenames, is_admin = _viewer(request, engagement)
    is_client = perms.is_client_of(request.membership, engagement)
    work = engagement_sections(engagement)
    transitions = workflow.available_transitions(engagement, codenames, is_admin)
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
            "may": {
                "assess": perms.ASSESS in codenames,
                "review": perms.REVIEW in codenames,
                "decide": perms.DECIDE in codenames,
                "admin": is_admin,
                "upload": is_client or perms.ASSESS in codenames,
                "client": is_client,
            },
            "states": {
                action: workflow.state_allows(engagement, action) is None
                for action in workflow.ACTIONS
            },
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
    is_admin = has_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
    form = AssignForm(submitted(request), people=selectors.assignable_people(request.tenant))
    if request.method == "POST":
        require_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
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
            "is_admin": is_admin,
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
    return render(
        request,
        "assessments/engagements/timeline.html",
        {"engagement": engagement, "entries": selectors.audit_timeline(engagement)},
    )


def conflict_list(request):
    is_admin = has_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
    if request.membership.is_client:
        raise PermissionDenied(_("Conflicts of interest are declared by staff."))
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
    conflicts = ConflictOfInterest.objects.select_related("user", "organization").filter(
        is_active=True
    )
    if not is_admin:
        conflicts = conflicts.filter(user=request.user)
    return render(
        request,
        "assessments/engagements/conflicts.html",
        {"form": form, "conflicts": conflicts, "is_admin": is_admin},
    )


@require_POST
def conflict_withdraw(request, conflict_id):
    conflict = get_object_or_404(
        ConflictOfInterest.objects.select_related("user"), pk=conflict_id, is_active=True
    )
    if conflict.user_id != request.user.pk:
        require_capability(request.membership, Capability.MANAGE_ENGAGEMENTS)
    services.withdraw_conflict(conflict=conflict, by=request.membership)
    messages.success(request, _("Conflict of interest withdrawn."))
    return redirect("assessments:conflict_list", request.tenant.slug)
