"""Certificates and reports: issuing, lifecycle, report versions.

Work that must happen (a PDF to render) is a database row first: the certificate is created as
`issuing` (the report as `rendering`) in the transaction that allocates its number, and the
render task is enqueued after commit. A sweeper re-enqueues whatever a lost message or a killed
worker left behind. The web request never renders a PDF.
"""

import contextlib
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Decision, Engagement
from assessments.selectors.library import version_tree
from certificates import policy
from certificates.credentials import SigningNotConfigured
from certificates.models import Certificate, CertificateEvent, ProgrammeVisit, Report
from certificates.services import badges, programme
from portal import audit
from portal.errors import Conflict
from tenants.numbering import next_number

LIVE = (Certificate.Status.ISSUING, Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED)


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _scope_snapshot(engagement):
    """The domains of the scope as the certificate states them (both languages)."""
    tree = version_tree(engagement.model_version)
    scope_ids = set(engagement.scope_items.values_list("pk", flat=True))
    rows = []
    for part in tree.domains:
        for domain in part.domains or [part]:
            if any(item.pk in scope_ids for item in domain.all_items()):
                rows.append(
                    {
                        "code": domain.code,
                        "name_en": domain.row.name_en,
                        "name_zh": domain.row.name_zh,
                    }
                )
    return rows


def _event(certificate, *, to_status, by=None, reason="", from_status=""):
    CertificateEvent.objects.create(
        tenant=certificate.tenant,
        certificate=certificate,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=getattr(by, "user", by),
    )


def _require_officer(by, engagement):
    policy.require_manage(by, engagement)


def issue_certificate(*, engagement, by, supersede=None):
    """Issue the level certificate of a granted engagement (idempotent).

    In one transaction: the next number of the tenant and year (gap-free, the counter row
    locked), the certificate row as `issuing` with what it states frozen, the audit entry; after
    commit, the render task. Issuing again returns the live certificate instead of a second one.
    """
    from certificates import tasks

    try:
        with transaction.atomic():
            certificate, created = _issue(engagement=engagement, by=by, supersede=supersede)
    except IntegrityError:
        # Another officer issued it at the same moment: theirs is the certificate.
        certificate = Certificate.objects.get(engagement=engagement, status__in=LIVE)
        created = False
    if created:
        transaction.on_commit(lambda: tasks.render_certificate.delay(certificate.pk))
    return certificate


def _issue(*, engagement, by, supersede):
    engagement = (
        Engagement.objects.select_for_update()
        .select_related("tenant", "organization", "model_version__model")
        .get(pk=engagement.pk)
    )
    _require_officer(by, engagement)
    existing = Certificate.objects.filter(engagement=engagement, status__in=LIVE).first()
    if existing:
        return existing, False
    decision = Decision.objects.filter(engagement=engagement).first()
    if decision is None or decision.outcome != Decision.Outcome.GRANTED:
        raise Conflict(
            _("Only an engagement granted by the certification officer gets a certificate.")
        )
    predecessor = _predecessor(engagement, supersede)
    tenant = engagement.tenant
    today = timezone.localdate()
    version = engagement.model_version
    level_names = {e["level"]: e for e in version.levels}
    organization = engagement.organization
    if predecessor is None:
        # As long as any number of the year: the page is checked with the widest one.
        number = f"{tenant.certificate_prefix}-{today.year}-99999"
        base_number, revision, original = "", 0, today
        expires_on = _add_years(today, tenant.certificate_validity_years)
    else:
        # A revision of the same registration (docs/architecture.md, "The certification cycle").
        base_number = predecessor.base_number or predecessor.number
        revision = predecessor.revision + 1
        number = f"{base_number}-R{revision}"
        original = predecessor.original_issued_on or predecessor.issued_on
        if engagement.kind == Engagement.Kind.RECERTIFICATION:
            expires_on = _add_years(
                max(today, predecessor.expires_on), tenant.certificate_validity_years
            )
        else:
            expires_on = predecessor.expires_on
    certificate = Certificate(
        tenant=tenant,
        engagement=engagement,
        organization=organization,
        model_version=version,
        number=number,
        base_number=base_number,
        revision=revision,
        original_issued_on=original,
        organization_name=organization.legal_name,
        organization_name_en=organization.english_name,
        organization_address=organization.address,
        model_name_en=version.model.name_en,
        model_name_zh=version.model.name_zh,
        scope=_scope_snapshot(engagement),
        level=decision.level,
        level_name_en=level_names.get(decision.level, {}).get("name_en", ""),
        level_name_zh=level_names.get(decision.level, {}).get("name_zh", ""),
        standard_identifier=version.standard_identifier,
        standard_status=version.standard_status,
        issued_on=today,
        expires_on=expires_on,
        supersedes=supersede if predecessor is None else predecessor,
        issued_by=by.user,
    )
    _check_printable(certificate)  # before a number is used: refusing leaves no gap
    if predecessor is None:
        sequence = next_number(tenant=tenant, sequence="certificate", year=today.year)
        certificate.number = certificate.base_number = (
            f"{tenant.certificate_prefix}-{today.year}-{sequence:05d}"
        )
    certificate.save(force_insert=True)
    if predecessor is None or engagement.kind == Engagement.Kind.RECERTIFICATION:
        programme.plan(certificate, decided_on=timezone.localdate(decision.decided_at))
    if engagement.kind == Engagement.Kind.RECERTIFICATION:
        programme.finish_recertification(engagement=engagement, certificate=certificate)
    _event(certificate, to_status=Certificate.Status.ISSUING, by=by)
    audit.record(
        verb="certificate.issued",
        obj=certificate,
        actor=by,
        tenant=tenant,
        engagement=engagement,
        action="create",
        changes={"number": [None, certificate.number], "level": [None, str(certificate.level)]},
    )
    return certificate, True


def _check_printable(certificate):
    """Refuse a certificate whose page would not say what its record says
    (docs/architecture.md, "PDF layout and fonts")."""
    from certificates import rendering
    from certificates.pdf.fonts import describe_character
    from certificates.pdf.render import LayoutOverflow, UnprintableText

    try:
        rendering.check_certificate_fits(certificate)
    except UnprintableText as error:
        raise ValidationError(
            {
                "engagement": _(
                    "The certificate cannot be printed: no font of the certificate has "
                    "%(characters)s. Correct the organization's name, then issue it."
                )
                % {"characters": ", ".join(map(describe_character, error.characters))}
            }
        ) from None
    except LayoutOverflow:
        raise ValidationError(
            {
                "engagement": _(
                    "The organization's names and the scope do not fit on the certificate "
                    "even in its smallest type. Shorten the organization's legal or English "
                    "name, then issue it."
                )
            }
        ) from None


def _supersedable(certificate, engagement):
    return certificate is not None and (
        certificate.organization_id == engagement.organization_id
        and certificate.status in (Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED)
    )


def _predecessor(engagement, supersede):
    """The certificate a recertification or scope change re-issues (a revision of it), or None
    for a new registration. A recertification opened by the programme knows its certificate."""
    if supersede is not None and not _supersedable(supersede, engagement):
        raise ValidationError(
            {
                "supersede": _(
                    "Only an active or suspended certificate of the same organization "
                    "can be superseded."
                )
            }
        )
    if engagement.kind not in (Engagement.Kind.RECERTIFICATION, Engagement.Kind.SCOPE_CHANGE):
        return None
    if supersede is None:
        visit = ProgrammeVisit.objects.filter(engagement=engagement).select_related("certificate")
        visit = visit.first()
        supersede = visit.certificate if visit else None
    if not _supersedable(supersede, engagement):
        raise ValidationError(
            {
                "supersede": _(
                    "A recertification or scope change re-issues an active or suspended "
                    "certificate of the organization: name it."
                )
            }
        )
    return supersede


def reissue(*, certificate, engagement, by, level, scope, reason):
    """Re-issue `certificate` reduced (a lower level or fewer domains) after a surveillance: a
    revision of the same registration, same dates, on the surveillance engagement."""
    from certificates import tasks

    policy.require_manage(by, engagement)
    level_names = {e["level"]: e for e in certificate.model_version.levels}
    revision = certificate.revision + 1
    base_number = certificate.base_number or certificate.number
    new = Certificate.objects.create(
        tenant=certificate.tenant,
        engagement=engagement,
        organization_id=certificate.organization_id,
        model_version_id=certificate.model_version_id,
        number=f"{base_number}-R{revision}",
        base_number=base_number,
        revision=revision,
        original_issued_on=certificate.original_issued_on or certificate.issued_on,
        organization_name=certificate.organization_name,
        organization_name_en=certificate.organization_name_en,
        organization_address=certificate.organization_address,
        standard_identifier=certificate.standard_identifier,
        standard_status=certificate.standard_status,
        model_name_en=certificate.model_name_en,
        model_name_zh=certificate.model_name_zh,
        scope=scope,
        level=level,
        level_name_en=level_names.get(level, {}).get("name_en", ""),
        level_name_zh=level_names.get(level, {}).get("name_zh", ""),
        issued_on=timezone.localdate(),
        expires_on=certificate.expires_on,
        supersedes=certificate,
        issued_by=by.user,
    )
    _event(new, to_status=Certificate.Status.ISSUING, by=by, reason=reason)
    audit.record(
        verb="certificate.reissued",
        obj=new,
        actor=by,
        tenant=new.tenant,
        engagement=engagement,
        action="create",
        changes={"number": [certificate.number, new.number], "level": [certificate.level, level]},
        data={"reason": reason},
    )
    transaction.on_commit(lambda: tasks.render_certificate.delay(new.pk))
    return new


def _change_status(certificate, *, to, by, reason, allowed_from, verb, suspended_until=None):
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status not in allowed_from:
            raise Conflict(
                _("A certificate that is %(status)s cannot be %(verb)s.")
                % {"status": certificate.get_status_display().lower(), "verb": verb}
            )
        previous = certificate.status
        certificate.status = to
        certificate.status_reason = reason
        certificate.status_changed_at = timezone.now()
        certificate.suspended_until = suspended_until
        certificate.save(
            update_fields=["status", "status_reason", "status_changed_at", "suspended_until"]
        )
        _event(certificate, to_status=to, from_status=previous, by=by, reason=reason)
        if certificate.status_list_index is not None:
            # The credential's bit flips with the status, in this transaction.
            changed = badges.purposes_changed(previous, to)
            if changed:
                with contextlib.suppress(SigningNotConfigured):  # made when a key is given
                    badges.refresh_status_lists(certificate.tenant, changed)
        audit.record(
            verb=f"certificate.{to}",
            obj=certificate,
            actor=by,
            tenant=certificate.tenant,
            engagement=certificate.engagement,
            changes={"status": [previous, to]},
            data={
                k: v
                for k, v in (
                    ("reason", reason),
                    ("until", suspended_until.isoformat() if suspended_until else None),
                )
                if v
            }
            or None,
        )
    return certificate


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason; it is shown on the public verification page.")}
        )
    return reason


def _deadline(certificate, deadline):
    """The day a suspension ends at the latest: the body's longest suspension by default, never
    later (docs/architecture.md, "The certification cycle")."""
    today = timezone.localdate()
    longest = programme.add_months(today, certificate.tenant.suspension_max_months)
    if deadline in (None, ""):
        return longest
    if isinstance(deadline, str):
        try:
            deadline = datetime.date.fromisoformat(deadline)
        except ValueError:
            raise ValidationError({"deadline": _("Enter a date as YYYY-MM-DD.")}) from None
    if deadline <= today or deadline > longest:
        raise ValidationError(
            {
                "deadline": _("The deadline is after today and at the latest %(date)s.")
                % {"date": longest.isoformat()}
            }
        )
    return deadline


def suspend(*, certificate, by, reason, deadline=None):
    """Suspend until a deadline: reinstated when the corrective action is verified, withdrawn by
    the daily task once the deadline has passed."""
    _require_officer(by, certificate.engagement)
    reason = _reason(reason)
    until = _deadline(certificate, deadline)
    return _change_status(
        certificate,
        to=Certificate.Status.SUSPENDED,
        by=by,
        reason=reason,
        allowed_from=(Certificate.Status.ACTIVE,),
        verb=_("suspended"),
        suspended_until=until,
    )


def request_suspension(*, certificate, by, reason):
    """The client asks for its certificate to be suspended (ISO/IEC 17021-1 allows a voluntary
    suspension): it is suspended at once, for the body's longest suspension."""
    verdict = policy.may_request_suspension(by, certificate)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    reason = _reason(reason)
    return _change_status(
        certificate,
        to=Certificate.Status.SUSPENDED,
        by=by,
        reason=_("At the client's request: %(reason)s") % {"reason": reason},
        allowed_from=(Certificate.Status.ACTIVE,),
        verb=_("suspended"),
        suspended_until=_deadline(certificate, None),
    )


def reinstate(*, certificate, by, reason=""):
    _require_officer(by, certificate.engagement)
    if certificate.expires_on < timezone.localdate():
        raise Conflict(_("The certificate has expired; it cannot be reinstated."))
    return _change_status(
        certificate,
        to=Certificate.Status.ACTIVE,
        by=by,
        reason=(reason or "").strip(),
        allowed_from=(Certificate.Status.SUSPENDED,),
        verb=_("reinstated"),
    )


def withdraw(*, certificate, by, reason):
    """Withdraw for good: a withdrawn certificate never comes back."""
    _require_officer(by, certificate.engagement)
    return _change_status(
        certificate,
        to=Certificate.Status.WITHDRAWN,
        by=by,
        reason=_reason(reason),
        allowed_from=(Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED),
        verb=_("withdrawn"),
    )


def activate_rendered(certificate_id, *, pdf_name, sha256, fingerprint):
    """The worker's last step: the signed PDF is stored; the certificate becomes active (and
    the one it supersedes, superseded). Idempotent: only an `issuing` certificate changes."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.status != Certificate.Status.ISSUING:
            return certificate, False
        certificate.pdf.name = pdf_name
        certificate.sha256 = sha256
        certificate.signer_fingerprint = fingerprint
        certificate.status = Certificate.Status.ACTIVE
        certificate.rendered_at = certificate.status_changed_at = timezone.now()
        certificate.save()
        _event(
            certificate, to_status=Certificate.Status.ACTIVE, from_status=Certificate.Status.ISSUING
        )
        audit.record(
            verb="certificate.active",
            obj=certificate,
            actor=None,
            tenant=certificate.tenant,
            engagement=certificate.engagement,
            changes={"status": ["issuing", "active"], "sha256": [None, sha256]},
        )
        old = certificate.supersedes
        if old is not None and old.status in (
            Certificate.Status.ACTIVE,
            Certificate.Status.SUSPENDED,
        ):
            _change_status(
                old,
                to=Certificate.Status.SUPERSEDED,
                by=None,
                reason=_("Superseded by %(number)s") % {"number": certificate.number},
                allowed_from=(old.status,),
                verb="superseded",
            )
            programme.carry_over(old=old, new=certificate)
    return certificate, True


def expire_due(today=None):
    """Expire every active or suspended certificate past its date (the daily task)."""
    today = today or timezone.localdate()
    due = Certificate.objects.filter(
        status__in=(Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED),
        expires_on__lt=today,
    )
    count = 0
    for certificate in due.select_related("tenant", "engagement"):
        _change_status(
            certificate,
            to=Certificate.Status.EXPIRED,
            by=None,
            reason=_("Expired on %(date)s") % {"date": certificate.expires_on},
            allowed_from=(certificate.status,),
            verb="expired",
        )
        count += 1
    return count


def withdraw_lapsed_suspensions(today=None):
    """Withdraw every certificate still suspended after its deadline (the daily task): the
    corrective action was not verified in time."""
    today = today or timezone.localdate()
    lapsed = Certificate.objects.filter(
        status=Certificate.Status.SUSPENDED, suspended_until__lt=today
    ).select_related("tenant", "engagement")
    count = 0
    for certificate in lapsed:
        _change_status(
            certificate,
            to=Certificate.Status.WITHDRAWN,
            by=None,
            reason=_(
                "The suspension deadline (%(date)s) passed without the corrective action "
                "being verified."
            )
            % {"date": certificate.suspended_until.isoformat()},
            allowed_from=(Certificate.Status.SUSPENDED,),
            verb="withdrawn",
        )
        count += 1
    return count


def request_report(*, engagement, by):
    """A new version of the engagement's assessment report; earlier versions are kept."""
    from certificates import tasks

    policy.require_request_report(by, engagement)
    if engagement.state not in (
        Engagement.State.REVIEW,
        Engagement.State.DECISION,
        Engagement.State.CLOSED,
        Engagement.State.ASSESSMENT,
    ):
        raise Conflict(_("A report is made once the assessment has started."))
    with transaction.atomic():
        Engagement.objects.select_for_update().get(pk=engagement.pk)
        latest = Report.objects.filter(engagement=engagement).aggregate(v=Max("version"))["v"]
        report = Report.objects.create(
            tenant=engagement.tenant,
            engagement=engagement,
            version=(latest or 0) + 1,
            requested_by=by.user,
        )
        audit.record(
            verb="report.requested",
            obj=report,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            action="create",
            changes={"version": [None, str(report.version)]},
        )
        transaction.on_commit(lambda: tasks.render_report.delay(report.pk))
    return report


def report_stored(report_id, *, pdf_name, sha256, fingerprint, page_count):
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.READY:
            return report, False
        report.pdf.name, report.sha256 = pdf_name, sha256
        report.signer_fingerprint, report.page_count = fingerprint, page_count
        report.status, report.rendered_at = Report.Status.READY, timezone.now()
        report.save()
    return report, True


def pending_since(seconds):
    """Certificates and reports whose PDF is still to be made after `seconds`."""
    before = timezone.now() - datetime.timedelta(seconds=seconds)
    return (
        list(
            Certificate.objects.filter(
                status=Certificate.Status.ISSUING, created_at__lt=before
            ).values_list("pk", flat=True)
        ),
        list(
            Report.objects.filter(
                status=Report.Status.RENDERING, created_at__lt=before
            ).values_list("pk", flat=True)
        ),
    )
