"""Web pages of applications: applying with the model's registration form, the list, the page
of one application with the body's contract review (notes, sampling, assessor-days) and its
decision (accept, opening the engagement; decline with reasons)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import application_form, policy
from assessments.forms.engagements import (
    ApplicationDecisionForm,
    ApplicationForm,
    ApplicationReviewForm,
    ApplicationVersionForm,
)
from assessments.models import Application
from assessments.policy import ApplicationAction
from assessments.selectors.library import published_versions_for_engagements
from assessments.services import applications as services
from portal.errors import DomainError
from portal.forms import submitted
from tenants.selectors import organizations_visible_to


def _visible_or_404(request, application_id):
    return get_object_or_404(
        policy.applications_visible(request.membership).select_related(
            "tenant", "organization", "model_version__model", "applicant", "engagement"
        ),
        pk=application_id,
    )


def _refused(request, application, action):
    """None when the person may do `action` now; a redirect to the application with the reason
    when only its state stands in the way (a 409's message, on the page); 403 otherwise."""
    verdict = policy.can(request.membership, action, application)
    if verdict:
        return None
    if not verdict.by_state:
        raise PermissionDenied(verdict.reason)
    messages.error(request, verdict.reason)
    return redirect("assessments:application_detail", request.tenant.slug, application.pk)


def _organizations(request):
    """The organizations the person may apply for: their own (client) or any active client."""
    if request.membership.is_client:
        return None
    return organizations_visible_to(request.membership).filter(is_active=True)


def application_list(request):
    applications = policy.applications_visible(request.membership).select_related(
        "organization", "model_version__model"
    )
    status = request.GET.get("status", "")
    if status in Application.Status.values:
        applications = applications.filter(status=status)
    page = Paginator(applications.order_by("-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessments/applications/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Application.Status.choices,
            "may_apply": bool(policy.may_apply(request.membership)),
            "query_string": f"status={status}" if status else "",
        },
    )


def application_create(request):
    verdict = policy.may_apply(request.membership)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    versions = published_versions_for_engagements(request.membership)
    chooser = ApplicationVersionForm(request.GET or None, versions=versions)
    if not chooser.is_valid():
        return render(request, "assessments/applications/choose_version.html", {"form": chooser})
    version = chooser.cleaned_data["version"]
    form = ApplicationForm(
        submitted(request), version=version, organizations=_organizations(request)
    )
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data.get("organization") or request.membership.organization
        try:
            application = services.create_application(
                tenant=request.tenant,
                by=request.membership,
                organization=organization,
                model_version=version,
                target_level=form.cleaned_data["target_level"],
                scope_codes=form.scope_codes(),
                answers=form.answers(),
                projects=form.project_names(),
                submit="submit" in request.POST,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if application.status == Application.Status.SUBMITTED:
                messages.success(request, _("Application submitted."))
            else:
                messages.success(request, _("Application saved as a draft."))
            return redirect("assessments:application_detail", request.tenant.slug, application.pk)
    return render(
        request,
        "assessments/applications/form.html",
        {"form": form, "version": version, "application": None},
    )


def application_edit(request, application_id):
    application = _visible_or_404(request, application_id)
    refused = _refused(request, application, ApplicationAction.EDIT)
    if refused:
        return refused
    form = ApplicationForm(
        submitted(request),
        version=application.model_version,
        organizations=None,
        initial=ApplicationForm.initial_from(application),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_application(
                application=application,
                by=request.membership,
                target_level=form.cleaned_data["target_level"],
                scope_codes=form.scope_codes(),
                answers=form.answers(),
                projects=form.project_names(),
            )
            if "submit" in request.POST:
                services.submit_application(application=application, by=request.membership)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Application saved."))
            return redirect("assessments:application_detail", request.tenant.slug, application.pk)
    return render(
        request,
        "assessments/applications/form.html",
        {"form": form, "version": application.model_version, "application": application},
    )


def application_detail(request, application_id):
    application = _visible_or_404(request, application_id)
    may = policy.application_abilities(request.membership, application)
    review_form = ApplicationReviewForm(
        submitted(request),
        application=application,
        initial={
            "review_notes": application.review_notes,
            "sampled_projects": application.sampled_projects,
            "estimated_days": application.estimated_days,
        },
    )
    if request.method == "POST":
        refused = _refused(request, application, ApplicationAction.REVIEW)
        if refused:
            return refused
        if review_form.is_valid():
            data = review_form.cleaned_data
            try:
                services.review_application(
                    application=application,
                    by=request.membership,
                    review_notes=data["review_notes"],
                    sampled_projects=data["sampled_projects"],
                    estimated_days=data["estimated_days"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        review_form.add_error(
                            field if field in review_form.fields else None, message
                        )
            else:
                messages.success(request, _("Review saved."))
                return redirect(
                    "assessments:application_detail", request.tenant.slug, application.pk
                )
    return render(
        request,
        "assessments/applications/detail.html",
        {
            "application": application,
            "version": application.model_version,
            "level_name": application.model_version.level_name(application.target_level),
            "answers": application_form.answer_rows(application.model_version, application.answers),
            "scope": list(application.scope_domains.all()),
            "has_formula": application_form.formula(application.model_version) is not None,
            "may": may,
            "review_form": review_form,
            "decision_form": ApplicationDecisionForm(),
            "entries": _timeline(application) if may["review"] or may["decide"] else [],
        },
    )


def _timeline(application):
    from django.contrib.contenttypes.models import ContentType

    from portal.models import AuditEntry

    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_pk=str(application.pk),
        )
        .select_related("actor")
        .order_by("timestamp", "pk")
    )


def _step(request, application_id, run, done):
    application = _visible_or_404(request, application_id)
    try:
        run(application)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("assessments:application_detail", request.tenant.slug, application.pk)


@require_POST
def application_submit(request, application_id):
    return _step(
        request,
        application_id,
        lambda a: services.submit_application(application=a, by=request.membership),
        _("Application submitted."),
    )


@require_POST
def application_withdraw(request, application_id):
    return _step(
        request,
        application_id,
        lambda a: services.withdraw_application(
            application=a, by=request.membership, reason=request.POST.get("reason", "")
        ),
        _("Application withdrawn."),
    )


@require_POST
def application_accept(request, application_id):
    form = ApplicationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the planned dates as dates."))
        return redirect("assessments:application_detail", request.tenant.slug, application_id)
    data = form.cleaned_data
    return _step(
        request,
        application_id,
        lambda a: services.accept_application(
            application=a,
            by=request.membership,
            reason=data["reason"],
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
        ),
        _("Application accepted: the engagement is open."),
    )


@require_POST
def application_decline(request, application_id):
    return _step(
        request,
        application_id,
        lambda a: services.decline_application(
            application=a, by=request.membership, reason=request.POST.get("reason", "")
        ),
        _("Application declined."),
    )
