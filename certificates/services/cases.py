"""Complaints and appeals (ISO/IEC 17021-1 9.7, 9.8; docs/architecture.md, "Complaints and
appeals").

Anyone lodges a complaint about a certified organization or the body, without logging in; a
client's person appeals the decision of their engagement. Each gets a gap-free number of its
body and year at once (`CMP-2026-0001`, `APL-2026-0001`), emailed with the deadline. A tenant
admin assigns a handler whom `policy.impartial_handler` shows was not involved; the handler
alone answers with an outcome and a reply, emailed to the complainant or appellant. Every
change writes an audit entry in its own transaction.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Decision, Engagement
from certificates import notifications, policy
from certificates.models import Case, Certificate
from portal import audit
from portal.errors import Conflict
from tenants.numbering import next_number

PREFIX = {Case.Kind.COMPLAINT: "CMP", Case.Kind.APPEAL: "APL"}
TEXT_LIMIT = 10_000


def _number(tenant, kind, today):
    value = next_number(tenant=tenant, sequence=kind, year=today.year)
    return f"{PREFIX[kind]}-{today.year}-{value:04d}"


def _due(tenant, kind, today):
    days = (
        tenant.complaint_resolution_days
        if kind == Case.Kind.COMPLAINT
        else tenant.appeal_resolution_days
    )
    return today + datetime.timedelta(days=days)


def _text(value, field, *, required, limit):
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(limit)d characters, please.") % {"limit": limit}}
        )
    if "\x00" in value:
        raise ValidationError({field: _("Null characters are not allowed.")})
    return value


def _audit(case, by, verb, changes, action="update", data=None):
    # Cases stay off the engagement's trail: its team may not see who handles an appeal.
    audit.record(
        verb=verb,
        obj=case,
        actor=by,
        tenant=case.tenant,
        action=action,
        changes=changes,
        data=data,
    )


@transaction.atomic
def lodge_complaint(
    *, tenant, name, email, text, about, certificate_number="", organization_name=""
) -> Case:
    """Anyone's complaint about a certified organization (named, or found by its certificate
    number) or about the body itself. Answers with the acknowledgement number; the complainant
    is emailed it with the date the body resolves it by."""
    name = _text(name, "name", required=True, limit=150)
    email = _text(email, "email", required=True, limit=254)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    text = _text(text, "text", required=True, limit=TEXT_LIMIT)
    if about not in Case.About.values:
        raise ValidationError({"about": _("Say whether it is about an organization or the body.")})
    certificate = organization = None
    certificate_number = _text(certificate_number, "certificate_number", required=False, limit=40)
    organization_name = _text(organization_name, "organization_name", required=False, limit=200)
    if about == Case.About.ORGANIZATION:
        if certificate_number:
            certificate = (
                Certificate.objects.filter(tenant=tenant, number=certificate_number.upper())
                .exclude(status=Certificate.Status.ISSUING)
                .select_related("organization")
                .first()
            )
            if certificate is None:
                raise ValidationError(
                    {"certificate_number": _("This body issued no certificate with that number.")}
                )
            organization = certificate.organization
            organization_name = organization_name or certificate.organization_name
        elif not organization_name:
            raise ValidationError(
                {"organization_name": _("Name the organization or give its certificate number.")}
            )
    else:
        certificate_number = organization_name = ""
    today = timezone.localdate()
    case = Case.objects.create(
        tenant=tenant,
        kind=Case.Kind.COMPLAINT,
        number=_number(tenant, Case.Kind.COMPLAINT, today),
        about=about,
        organization=organization,
        organization_name=organization_name,
        certificate=certificate,
        engagement=certificate.engagement if certificate else None,
        name=name,
        email=email,
        text=text,
        due_on=_due(tenant, Case.Kind.COMPLAINT, today),
    )
    _audit(
        case,
        None,
        "complaint.lodged",
        {"status": [None, case.status], "due_on": [None, str(case.due_on)]},
        action="create",
        data={"about": about, "certificate": certificate.number if certificate else None},
    )
    transaction.on_commit(lambda: notifications.case_lodged(case.pk))
    return case


@transaction.atomic
def lodge_appeal(*, engagement: Engagement, by, grounds: str) -> Case:
    """A client's person appeals the decision of their organization's engagement, with the
    grounds. One open appeal per decision."""
    verdict = policy.may_appeal(by, engagement)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    decision = Decision.objects.filter(engagement=engagement).first()
    if decision is None:
        raise ValidationError({"engagement": _("This engagement has no decision to appeal yet.")})
    grounds = _text(grounds, "grounds", required=True, limit=TEXT_LIMIT)
    pending = Case.objects.filter(decision=decision, status__in=Case.OPEN).first()
    if pending is not None:
        raise ValidationError(
            {
                "engagement": _("An appeal of this decision is open already: %(number)s.")
                % {"number": pending.number}
            }
        )
    tenant = engagement.tenant
    today = timezone.localdate()
    certificate = (
        Certificate.objects.filter(engagement=engagement).order_by("-created_at", "-pk").first()
    )
    case = Case.objects.create(
        tenant=tenant,
        kind=Case.Kind.APPEAL,
        number=_number(tenant, Case.Kind.APPEAL, today),
        about=Case.About.ORGANIZATION,
        organization=engagement.organization,
        organization_name=engagement.organization.legal_name,
        certificate=certificate,
        decision=decision,
        engagement=engagement,
        name=by.user.get_full_name() or by.user.email,
        email=by.user.email,
        lodged_by=by.user,
        text=grounds,
        due_on=_due(tenant, Case.Kind.APPEAL, today),
    )
    _audit(
        case,
        by,
        "appeal.lodged",
        {"status": [None, case.status], "due_on": [None, str(case.due_on)]},
        action="create",
        data={"engagement": engagement.reference, "decision": decision.pk},
    )
    transaction.on_commit(lambda: notifications.case_lodged(case.pk))
    return case


def _locked(case) -> Case:
    return Case.objects.select_for_update().select_related("tenant").get(pk=case.pk)


def _require_open(case):
    if not case.is_open:
        raise Conflict(
            _("%(number)s is %(status)s: nothing more is done on it.")
            % {"number": case.number, "status": case.get_status_display().lower()}
        )


@transaction.atomic
def assign_handler(*, case: Case, user, by, organization=None) -> Case:
    """A tenant admin gives the case to a handler the portal shows was not involved (refused
    with the reason, a 400 on `handler`); a complaint that named an organization in words may
    be linked to the client here, so that the check covers its engagements."""
    if not policy.may_manage_cases(by) or by.tenant_id != case.tenant_id:
        raise PermissionDenied(_("Only the body's administrators assign complaints and appeals."))
    case = _locked(case)
    _require_open(case)
    changes = {}
    if organization is not None and organization.pk != case.organization_id:
        if case.kind != Case.Kind.COMPLAINT or case.about != Case.About.ORGANIZATION:
            raise ValidationError(
                {"organization": _("Only a complaint about an organization is linked to one.")}
            )
        if case.certificate_id:
            raise ValidationError(
                {"organization": _("The complaint names a certificate: its holder is linked.")}
            )
        changes["organization"] = [audit.text(case.organization_id), str(organization.pk)]
        case.organization = organization
    verdict = policy.impartial_handler(user, case)
    if not verdict:
        raise ValidationError({"handler": verdict.reason})
    if case.handler_id != user.pk:
        changes["handler"] = [audit.text(case.handler_id), str(user.pk)]
    if case.status == Case.Status.RECEIVED:
        changes["status"] = [case.status, Case.Status.INVESTIGATING]
        case.status = Case.Status.INVESTIGATING
    if not changes:
        return case
    case.handler = user
    case.assigned_at = timezone.now()
    case.save(update_fields=["organization", "handler", "assigned_at", "status"])
    _audit(case, by, "case.handler_assigned", changes, data={"handler": user.email})
    transaction.on_commit(lambda: notifications.case_assigned(case.pk))
    return case


@transaction.atomic
def decide(*, case: Case, by, outcome: str, reply: str, follow_up: Engagement | None = None):
    """The handler answers: upheld, partly upheld or not upheld, with the reply emailed to the
    complainant or appellant. An upheld case may name the engagement in which the body takes
    the matter up again (for an appeal: the decision taken anew)."""
    verdict = policy.may_decide_case(by, case)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    case = _locked(case)
    _require_open(case)
    # Still uninvolved now: a conflict declared since the assignment stops the answer.
    impartial = policy.impartial_handler(by.user, case)
    if not impartial:
        raise PermissionDenied(impartial.reason)
    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": _("Choose upheld, partly upheld or not upheld.")})
    reply = _text(reply, "reply", required=True, limit=TEXT_LIMIT)
    if follow_up is not None:
        if outcome == Case.Outcome.NOT_UPHELD:
            raise ValidationError(
                {"follow_up": _("A case not upheld leads to no follow-up engagement.")}
            )
        if case.organization_id is None or follow_up.organization_id != case.organization_id:
            raise ValidationError(
                {"follow_up": _("Choose an engagement of the organization concerned.")}
            )
    before = case.status
    case.status = Case.Status.DECIDED
    case.outcome = outcome
    case.reply = reply
    case.follow_up = follow_up
    case.closed_at = timezone.now()
    case.closed_by = by.user
    case.save(update_fields=["status", "outcome", "reply", "follow_up", "closed_at", "closed_by"])
    changes = {"status": [before, case.status], "outcome": [None, outcome]}
    if follow_up is not None:
        changes["follow_up"] = [None, follow_up.reference]
    _audit(case, by, "case.decided", changes, data={"reply": reply})
    transaction.on_commit(lambda: notifications.case_answered(case.pk))
    return case


@transaction.atomic
def withdraw(*, case: Case, by, reason: str = "") -> Case:
    """The complainant or appellant withdraws: the appellant themselves, or an admin on the
    complainant's word (the reason records it)."""
    verdict = policy.may_withdraw_case(by, case)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    case = _locked(case)
    _require_open(case)
    reason = _text(reason, "reason", required=False, limit=TEXT_LIMIT)
    before = case.status
    case.status = Case.Status.WITHDRAWN
    case.reply = reason
    case.closed_at = timezone.now()
    case.closed_by = by.user
    case.save(update_fields=["status", "reply", "closed_at", "closed_by"])
    _audit(case, by, "case.withdrawn", {"status": [before, case.status]}, data={"reason": reason})
    return case
