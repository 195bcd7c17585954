"""Certificates and reports: issuing, lifecycle, report versions.

Work that must happen (a PDF to render) is a database row first: the certificate is created as
`issuing` (the report as `rendering`) in the transaction that allocates its number, and the
render task is enqueued after commit. A sweeper re-enqueues whatever a lost message or a killed
worker left behind. The web request never renders a PDF.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Decision, Engagement
from assessments.selectors.library import version_tree
from certificates import policy
from certificates.models import Certificate, CertificateEvent, Report
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
    if supersede is not None and (
        supersede.organization_id != engagement.organization_id
        or supersede.status not in (Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED)
    ):
        raise ValidationError(
            {
                "supersede": _(
                    "Only an active or suspended certificate of the same organization "
                    "can be superseded."
                )
            }
        )
    tenant = engagement.tenant
    today = timezone.localdate()
    version = engagement.model_version
    level_names = {e["level"]: e for e in version.levels}
    organization = engagement.organization
    certificate = Certificate(
        tenant=tenant,
        engagement=engagement,
        organization=organization,
        model_version=version,
        # As long as any number of the year: the page is checked with the widest one.
        number=f"{tenant.certificate_prefix}-{today.year}-99999",
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
        # A re-issue carries the first certification date over and counts one revision more.
        original_certified_on=(
            (supersede.original_certified_on or supersede.issued_on) if supersede else today
        ),
        revision=supersede.revision + 1 if supersede else 0,
        issued_on=today,
        expires_on=_add_years(today, tenant.certificate_validity_years),
        supersedes=supersede,
        issued_by=by.user,
    )
    _check_printable(certificate)  # before a number is used: refusing leaves no gap
    number = next_number(tenant=tenant, sequence="certificate", year=today.year)
    certificate.number = f"{tenant.certificate_prefix}-{today.year}-{number:05d}"
    certificate.save(force_insert=True)
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


def _change_status(certificate, *, to, by, reason, allowed_from, verb):
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
        certificate.save(update_fields=["status", "status_reason", "status_changed_at"])
        _event(certificate, to_status=to, from_status=previous, by=by, reason=reason)
        audit.record(
            verb=f"certificate.{to}",
            obj=certificate,
            actor=by,
            tenant=certificate.tenant,
            engagement=certificate.engagement,
            changes={"status": [previous, to]},
            data={"reason": reason} if reason else None,
        )
    return certificate


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason; it is shown on the public verification page.")}
        )
    return reason


def suspend(*, certificate, by, reason):
    _require_officer(by, certificate.engagement)
    return _change_status(
        certificate,
        to=Certificate.Status.SUSPENDED,
        by=by,
        reason=_reason(reason),
        allowed_from=(Certificate.Status.ACTIVE,),
        verb=_("suspended"),
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
