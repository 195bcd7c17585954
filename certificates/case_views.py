"""Pages of complaints and appeals: the public complaint form (no login), the client's appeal,
the body's register and a case's page (docs/architecture.md, "Complaints and appeals")."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit
from django_scopes import scope

from assessments.models import Decision, Engagement
from assessments.selectors.engagements import assignable_people, visible_engagement_or_404
from certificates import policy, selectors
from certificates.forms import (
    AppealForm,
    AssignHandlerForm,
    CaseFilterForm,
    ComplaintForm,
    DecideCaseForm,
    ReasonForm,
)
from certificates.models import Case
from certificates.services import cases as services
from portal.errors import DomainError
from portal.forms import submitted
from tenants.models import Organization, Tenant

DONE = {
    "assign": gettext_lazy("Handler assigned; they were emailed."),
    "decide": gettext_lazy("Outcome recorded; the reply was emailed."),
    "withdraw": gettext_lazy("Withdrawal recorded."),
}
RATE = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"]
LODGED = "lodged_case_numbers"


def _fail(form, error):
    """A service's refusal as form errors: on its field when it names one of the form's."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        text = getattr(error, "message", None)
        if text is None:
            text = " ".join(error.messages) if hasattr(error, "messages") else str(error)
        form.add_error(None, text)


def _body(slug):
    return get_object_or_404(Tenant, slug=slug, is_active=True)


def _too_many(request):
    return render(
        request,
        "error.html",
        {
            "status": 429,
            "title": _("Too many requests"),
            "message": _("Too many requests from your address; wait a minute and try again."),
        },
        status=429,
    )


@ratelimit(key="ip", rate=RATE, method="POST", block=False)
def complaint_new(request, body):
    """Anyone lodges a complaint about a certified organization or the body (no login)."""
    if getattr(request, "limited", False):
        return _too_many(request)
    tenant = _body(body)
    initial = {}
    if number := request.GET.get("certificate", "")[:40]:
        initial = {"about": "organization", "certificate_number": number}
    form = ComplaintForm(submitted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with scope(tenant=tenant):
                case = services.lodge_complaint(tenant=tenant, **form.cleaned_data)
        except ValidationError as error:
            _fail(form, error)
        else:
            lodged = request.session.get(LODGED, [])[-9:]
            request.session[LODGED] = [*lodged, case.number]
            return redirect("complaints:lodged", tenant.slug, case.number)
    return render(
        request,
        "certificates/complaint_new.html",
        {"body": tenant, "form": form},
        status=400 if form.errors else 200,
    )


def complaint_lodged(request, body, number):
    """The acknowledgement, shown to the browser that lodged the complaint only."""
    tenant = _body(body)
    if number not in request.session.get(LODGED, []):
        raise Http404
    with scope(tenant=tenant):
        case = get_object_or_404(Case, tenant=tenant, number=number)
    return render(request, "certificates/complaint_lodged.html", {"body": tenant, "case": case})


def appeal_new(request, engagement_id):
    """A client's person appeals the decision of their organization's engagement."""
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    verdict = policy.may_appeal(request.membership, engagement)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    decision = Decision.objects.filter(engagement=engagement).first()
    form = AppealForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            case = services.lodge_appeal(
                engagement=engagement, by=request.membership, grounds=form.cleaned_data["grounds"]
            )
        except (ValidationError, DomainError) as error:
            _fail(form, error)
        else:
            messages.success(
                request,
                _("Appeal %(number)s lodged; the acknowledgement was emailed to you.")
                % {"number": case.number},
            )
            return redirect("certificates:case_detail", request.tenant.slug, case.pk)
    return render(
        request,
        "certificates/appeal_new.html",
        {"engagement": engagement, "decision": decision, "form": form},
        status=400 if form.errors else 200,
    )


def case_list(request):
    """The register: all of the body's cases for its admins; handlers and appellants see
    theirs."""
    cases = selectors.cases_visible_to(request.membership)
    form = CaseFilterForm(request.GET or None)
    today = timezone.localdate()
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            cases = cases.filter(kind=data["kind"])
        if data["status"] == "open":
            cases = cases.filter(status__in=Case.OPEN)
        elif data["status"]:
            cases = cases.filter(status=data["status"])
        if data["overdue"]:
            cases = cases.filter(status__in=Case.OPEN, due_on__lt=today)
    elif form.is_bound:
        cases = cases.none()
    return render(
        request,
        "certificates/case_list.html",
        {
            "cases": cases[:500],
            "form": form,
            "today": today,
            "may_manage": policy.may_manage_cases(request.membership),
        },
        status=400 if form.errors else 200,
    )


def case_detail(request, case_id):
    case = get_object_or_404(selectors.cases_visible_to(request.membership), pk=case_id)
    membership = request.membership
    may_assign = policy.may_manage_cases(membership) and case.is_open
    may_decide = bool(policy.may_decide_case(membership, case)) and case.is_open
    may_withdraw = bool(policy.may_withdraw_case(membership, case)) and case.is_open
    action = next((a for a in ("assign", "decide", "withdraw") if a in request.POST), None)
    assign_form = AssignHandlerForm(
        request.POST if action == "assign" else None,
        staff=assignable_people(request.tenant),
        organizations=Organization.objects.all(),
        initial={"handler": case.handler_id, "organization": case.organization_id},
    )
    if case.certificate_id or case.kind == Case.Kind.APPEAL or case.about == Case.About.BODY:
        del assign_form.fields["organization"]
    follow_ups = Engagement.objects.filter(organization_id=case.organization_id).order_by("-pk")
    decide_form = DecideCaseForm(
        request.POST if action == "decide" else None, engagements=follow_ups
    )
    withdraw_form = ReasonForm(request.POST if action == "withdraw" else None)
    if request.method == "POST":
        allowed = {"assign": may_assign, "decide": may_decide, "withdraw": may_withdraw}
        if action is None or not allowed[action]:
            raise PermissionDenied(_("You may not do this on this case."))
        form = {"assign": assign_form, "decide": decide_form, "withdraw": withdraw_form}[action]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "assign":
                    services.assign_handler(
                        case=case,
                        user=data["handler"],
                        by=membership,
                        organization=data.get("organization"),
                    )
                elif action == "decide":
                    services.decide(
                        case=case,
                        by=membership,
                        outcome=data["outcome"],
                        reply=data["reply"],
                        follow_up=data["follow_up"],
                    )
                else:
                    services.withdraw(case=case, by=membership, reason=data["reason"])
            except (ValidationError, DomainError, PermissionDenied) as error:
                _fail(form, error)
            else:
                messages.success(request, DONE[action])
                return redirect("certificates:case_detail", request.tenant.slug, case.pk)
    return render(
        request,
        "certificates/case_detail.html",
        {
            "case": case,
            "history": _history(case),
            "overdue": case.is_overdue(),
            "may_assign": may_assign,
            "may_decide": may_decide,
            "may_withdraw": may_withdraw,
            "may_manage": policy.may_manage_cases(membership),
            "assign_form": assign_form,
            "decide_form": decide_form,
            "withdraw_form": withdraw_form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _history(case):
    """The case's audit entries in words: what happened, and to what."""
    from django.utils.translation import pgettext_lazy

    labels = {
        "complaint.lodged": gettext_lazy("Complaint lodged"),
        "appeal.lodged": gettext_lazy("Appeal lodged"),
        "case.handler_assigned": gettext_lazy("Handler assigned"),
        "case.decided": gettext_lazy("Decided"),
        "case.withdrawn": pgettext_lazy("complaint or appeal", "Withdrawn"),
    }
    entries = selectors.case_history(case)
    for entry in entries:
        entry.label = labels.get(entry.verb, entry.verb)
        data = entry.additional_data or {}
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        if "handler" in data:
            entry.detail = data["handler"]
        elif "outcome" in changes:
            entry.detail = Case.Outcome(changes["outcome"][1]).label
        elif data.get("reason"):
            entry.detail = data["reason"]
        else:
            entry.detail = ""
    return entries
