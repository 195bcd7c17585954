"""Celery tasks: render and sign PDFs, sweep what was left behind, expire certificates.

Tasks take ids, re-read their rows and do nothing when the work is done already, so running one
twice (a redelivered message, a sweep) is harmless. `acks_late` with `reject_on_worker_lost`
puts a killed worker's message back; the sweeper re-enqueues from the database what a lost
message left pending.
"""

import logging

from celery import chord, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_scopes import scope, scopes_disabled

from certificates import rendering, services
from certificates.credentials import SigningNotConfigured
from certificates.models import Certificate, Report, pdf_upload_to
from certificates.pdf.render import RenderError, RenderFailed
from certificates.pdf.signing import SigningError, TimestampUnavailable
from portal.metrics import PDF_RENDER_SECONDS

# Failures worth another try: a render that crashed, a timestamp authority that did not answer.
TRANSIENT = (RenderFailed, TimestampUnavailable)

log = logging.getLogger(__name__)

RENDER = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 5,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    # The render runs in this worker process, bounded by Celery alone: the soft limit raises
    # SoftTimeLimitExceeded into it (recorded; the sweeper sends the certificate again), the
    # hard one kills the process, which the pool replaces (the message is acknowledged as
    # failed, the sweeper sends it again). docs/architecture.md, "PDF work on Celery's terms".
    "soft_time_limit": settings.PDF_TASK_SOFT_TIME_LIMIT_S,
    "time_limit": settings.PDF_TASK_TIME_LIMIT_S,
}


def _store(row, pdf):
    return default_storage.save(pdf_upload_to(row, "document.pdf"), ContentFile(pdf))


@shared_task(**RENDER)
def render_certificate(self, certificate_id):
    with scopes_disabled():
        certificate = (
            Certificate.objects.select_related(
                "tenant", "organization", "model_version", "issued_by", "engagement"
            )
            .filter(pk=certificate_id)
            .first()
        )
    if certificate is None or certificate.status != Certificate.Status.ISSUING:
        return "done already"
    with scope(tenant=certificate.tenant):
        try:
            with PDF_RENDER_SECONDS.labels(kind="certificate").time():
                pdf, sha256, fingerprint = rendering.render_certificate_pdf(certificate)
        except SoftTimeLimitExceeded:
            _failed(Certificate, certificate_id, "stopped by the task's time limit")
            return "failed"  # still `issuing`: the sweeper sends it again
        except (SigningNotConfigured, RenderError, SigningError) as error:
            _failed(Certificate, certificate_id, error)
            if isinstance(error, TRANSIENT):
                raise self.retry(exc=error) from error
            return "failed"
        name = _store(certificate, pdf)
        certificate, changed = services.activate_rendered(
            certificate_id, pdf_name=name, sha256=sha256, fingerprint=fingerprint
        )
        if not changed:  # another run got there first: keep its file, drop ours
            default_storage.delete(name)
    return certificate.status


@shared_task(**RENDER)
def render_report(self, report_id):
    with scopes_disabled():
        report = (
            Report.objects.select_related(
                "engagement__tenant", "engagement__organization", "engagement__model_version__model"
            )
            .filter(pk=report_id)
            .first()
        )
    if report is None or report.status == Report.Status.READY:
        return "done already"
    from certificates import report_parts

    with scope(tenant=report.engagement.tenant):
        context = rendering.report_context(report)
        parts = report_parts.split(context)
        if parts:  # a large report: its parts on the pdf workers, joined by the last one
            header = report_parts.running_header(context)
            chord(render_report_part.s(report_id, index, html) for index, html in enumerate(parts))(
                join_report.s(report_id, header)
            )
            return f"rendering in {len(parts)} parts"
        try:
            with PDF_RENDER_SECONDS.labels(kind="report").time():
                pdf, sha256, fingerprint, pages = rendering.render_report_pdf(report, context)
        except SoftTimeLimitExceeded:
            _failed(Report, report_id, "stopped by the task's time limit")
            return "failed"
        except (SigningNotConfigured, RenderError, SigningError) as error:
            _failed(Report, report_id, error)
            if isinstance(error, TRANSIENT):
                raise self.retry(exc=error) from error
            return "failed"
        return _report_done(report, pdf, sha256, fingerprint, pages)


def _report_done(report, pdf, sha256, fingerprint, pages):
    name = _store(report, pdf)
    report, changed = services.report_stored(
        report.pk, pdf_name=name, sha256=sha256, fingerprint=fingerprint, page_count=pages
    )
    if not changed:
        default_storage.delete(name)
    return report.status


@shared_task(**RENDER, ignore_result=False)
def render_report_part(self, report_id, index, html):
    """One part of a large report, stored unsigned; its name is the chord's result."""
    from certificates import report_parts

    try:
        with PDF_RENDER_SECONDS.labels(kind="report_part").time():
            pdf = report_parts.render_part(html)
    except SoftTimeLimitExceeded:
        _failed(Report, report_id, f"part {index} stopped by the task's time limit")
        raise
    except RenderError as error:
        _failed(Report, report_id, error)
        if isinstance(error, TRANSIENT):
            raise self.retry(exc=error) from error
        raise
    return default_storage.save(f"reports/parts/{report_id}/{index}.pdf", ContentFile(pdf))


@shared_task(**RENDER)
def join_report(self, part_names, report_id, header):
    """The chord's end: the parts joined in order, signed once, stored; then the parts go
    (kept only for a retry when the timestamp authority did not answer)."""
    from certificates import report_parts

    with scopes_disabled():
        report = Report.objects.select_related("engagement__tenant").filter(pk=report_id).first()
    if report is None or report.status == Report.Status.READY:
        _delete(part_names)
        return "done already"
    parts = []
    for name in part_names:
        with default_storage.open(name, "rb") as part:
            parts.append(part.read())
    with scope(tenant=report.engagement.tenant):
        try:
            with PDF_RENDER_SECONDS.labels(kind="report_join").time():
                pdf, sha256, fingerprint, pages = report_parts.join_and_sign(parts, report, header)
        except SoftTimeLimitExceeded:
            _failed(Report, report_id, "the join was stopped by the task's time limit")
            _delete(part_names)
            return "failed"
        except (SigningNotConfigured, RenderError, SigningError) as error:
            _failed(Report, report_id, error)
            if isinstance(error, TRANSIENT):
                raise self.retry(exc=error) from error
            _delete(part_names)
            return "failed"
        status = _report_done(report, pdf, sha256, fingerprint, pages)
    _delete(part_names)
    return status


def _delete(names):
    for name in names:
        default_storage.delete(name)


def _failed(model, pk, error):
    log.error("rendering %s %s failed: %s", model.__name__, pk, error)
    with scopes_disabled():
        row = model.objects.get(pk=pk)
        row.render_attempts += 1
        row.last_error = str(error)[:2000]
        if model is Report and not isinstance(error, TRANSIENT):
            row.status = Report.Status.FAILED
        row.save(
            update_fields=[
                f for f in ("render_attempts", "last_error", "status") if hasattr(row, f)
            ]
        )


@shared_task(acks_late=True)
def sweep_pending():
    """Re-enqueue certificates and reports whose PDF should exist by now (lost messages,
    killed workers). Each render is idempotent, so a duplicate costs only time."""
    with scopes_disabled():
        certificates, reports = services.pending_since(settings.PDF_SWEEP_AFTER_SECONDS)
    for pk in certificates:
        render_certificate.delay(pk)
    for pk in reports:
        render_report.delay(pk)
    return len(certificates) + len(reports)


@shared_task(acks_late=True)
def expire_certificates():
    with scopes_disabled():
        return services.expire_due()


@shared_task(acks_late=True)
def run_programme():
    """Daily: open the surveillance and recertification engagements whose day has come, remind
    the body and the client, flag overdue visits (idempotent: docs/architecture.md, "The
    certification cycle")."""
    from certificates.services import programme

    with scopes_disabled():
        result = programme.sweep()
    return {"opened": result.opened, "overdue": result.overdue}


@shared_task(acks_late=True)
def withdraw_lapsed_suspensions():
    """Daily: withdraw certificates whose suspension deadline passed without reinstatement."""
    with scopes_disabled():
        return services.withdraw_lapsed_suspensions()
