"""Reports and certificates through the portal's own code, with real worker processes.

* ``report_ms_per_page_60`` / ``report_ms_per_page_300`` — one assessment report version (HTML
  from the database, render in the sandboxed child, signature) of an engagement with 60 and 300
  capability items, every requirement rated, divided by its page count; median of 3. Time per
  page should stay flat as the report grows;
* ``report_351_items_s_1_worker`` / ``report_351_items_s`` / ``report_351_items_pages`` — the
  side-by-side case of issue 12 (a peer exports a 351-requirement assessment in 2.1 s): a
  351-item engagement, every requirement rated, one item in ten with an assessor's note
  (printed in full with its requirements; the others are one compact row each). From the
  request (``services.request_report``: row, message to Redis) until the report is
  downloadable (`ready`), done by one and by two `celery worker` processes (concurrency 1
  each): above ``REPORT_SPLIT_ITEMS`` the report renders in ``REPORT_PARTS`` parts, one task
  each, joined and signed by the last (certificates/report_parts.py); median of 3.
  ``report_351_items_s`` is the two-worker figure;
* ``certificates_per_min_1_worker`` / ``certificates_per_min_2_workers`` — certificates issued
  end to end: the officer's call (number, row, message to Redis) until every one is `active`
  with its signed PDF stored, done by one and by two `celery worker` processes (concurrency 1
  each) against a Redis server started for the run. The ratio says what a second process buys
  on this machine;
* ``credential_verify_ms`` — the public verification of an uploaded Open Badges credential of
  one of those certificates (``verification.verify_credential``: parse the VC-JWT, check its
  ES256 signature and x5c leaf against the trust roots, compare with the record, read its bits
  from the stored status lists); ``credential_vs_pdf_verify_ratio`` against the
  verification of the same certificate's signed PDF (``verify_upload``, PAdES B-LTA), timed
  in alternation.
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django_scopes import scope, scopes_disabled

from assessments.models import CapabilityItem, Decision, Engagement, Finding
from benchmarks.engagement_figures import _rated_engagement, _tenant
from benchmarks.timing import paired_ms
from certificates import rendering, services, verification
from certificates.credentials import ensure_dev_credentials
from certificates.models import Certificate, Report
from certificates.pdf.fonts import build_font_cache
from tenants.models import Membership
from tests.workers import Workers, redis_server, sending_to, wait_for

BATCH = 24


def figures():
    build_font_cache(settings.PDF_FONT_DIR)
    tenant, organization, users = _tenant(
        slug="bench-cert", prefix="BCRT", roles=("tenant_admin", "assessor", "officer")
    )
    with scopes_disabled():
        ensure_dev_credentials(tenant)
    rows = []
    for items in (60, 300):
        per_page, pages = _report_ms_per_page(tenant, organization, users, items)
        rows.append((f"report_ms_per_page_{items}", round(per_page, 1), "ms"))
        rows.append((f"report_pages_{items}", pages, "pages"))
    rows.append(("report_ms_per_page_300_vs_60_ratio", round(rows[2][1] / rows[0][1], 3), "x"))
    large = _report_351_engagement(tenant, organization, users)
    with (
        tempfile.TemporaryDirectory(prefix="assay-bench-redis-") as directory,
        redis_server(Path(directory)) as url,
        sending_to(url),
    ):
        env = {
            "REDIS_URL": url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        }
        for count, name in ((1, "1_worker"), (2, "2_workers")):
            workers = Workers({**os.environ, **env}, Path(directory))
            try:
                for _ in range(count):
                    workers.start(concurrency=1)
                seconds, pages = _report_351(tenant, users, large, workers)
                rate = _issue_batch(tenant, organization, users, workers)
            finally:
                workers.stop()
            figure = "report_351_items_s" if count == 2 else f"report_351_items_s_{name}"
            rows.append((figure, round(seconds, 3), "s"))
            if count == 2:
                rows.append(("report_351_items_pages", pages, "pages"))
            rows.append((f"certificates_per_min_{name}", round(rate, 1), "per min"))
    rows.extend(_credential_verify(tenant))
    return rows


def _credential_verify(tenant):
    with scopes_disabled():
        certificate = (
            Certificate.objects.filter(tenant=tenant, status=Certificate.Status.ACTIVE)
            .exclude(credential="")
            .first()
        )
        pdf = certificate.pdf.read()
    token = certificate.credential
    assert verification.verify_credential(token).code == "valid"
    credential_ms, pdf_ms, ratio = paired_ms(
        lambda: verification.verify_credential(token),
        lambda: verification.verify_upload(pdf),
        runs=30,
    )
    return [
        ("credential_verify_ms", round(credential_ms, 2), "ms"),
        ("credential_baseline_pdf_verify_ms", round(pdf_ms, 2), "ms"),
        ("credential_vs_pdf_verify_ratio", round(ratio, 3), "x"),
    ]


def _report_ms_per_page(tenant, organization, users, items):
    engagement = _rated_engagement(
        tenant, organization, users, items, f"BCRT-R-{items}", model="bench-report"
    )
    samples, pages = [], 0
    with scope(tenant=tenant):
        for version in range(1, 4):  # the row only: no task, only the timed render below
            report = Report.objects.create(
                tenant=tenant, engagement=engagement, version=version, requested_by=users["officer"]
            )
            started = time.perf_counter()
            _pdf, _sha, _fingerprint, pages = rendering.render_report_pdf(report)
            samples.append((time.perf_counter() - started) * 1000 / pages)
    return statistics.median(samples), pages


def _report_351_engagement(tenant, organization, users):
    engagement = _rated_engagement(
        tenant, organization, users, 351, "BCRT-R-351", model="bench-report"
    )
    with scope(tenant=tenant):
        found = Finding.objects.filter(engagement=engagement)
        noted = list(found.order_by("pk").values_list("pk", flat=True))[::10]
        found.exclude(pk__in=noted).update(narrative="")
        engagement.state = Engagement.State.REVIEW
        engagement.save(update_fields=["state"])
    return engagement


def _report_351(tenant, users, engagement, workers):
    lead = _member(tenant, users, "assessor")
    samples, pages = [], 0
    for _ in range(3):
        started = time.perf_counter()
        with scope(tenant=tenant):
            report = services.request_report(engagement=engagement, by=lead)

        def ready(pk=report.pk):
            with scopes_disabled():
                return Report.objects.get(pk=pk).status != Report.Status.RENDERING

        # Polled every 10 ms: at the tests' 100 ms, the figure moved in steps of a tenth.
        wait_for(ready, timeout=300, what=f"the 351-item report\n{workers.logs()}", interval=0.01)
        samples.append(time.perf_counter() - started)
        with scopes_disabled():
            report = Report.objects.get(pk=report.pk)
        assert report.status == Report.Status.READY, report.last_error
        pages = report.page_count
    return statistics.median(samples), pages


def _member(tenant, users, role):
    with scopes_disabled():
        return Membership.objects.get(tenant=tenant, user=users[role])


def _granted_engagements(tenant, organization, users, count):
    """Engagements closed with a granted decision, made directly (the flow is not timed)."""
    with scopes_disabled():
        version = Engagement.objects.get(reference="BCRT-R-60").model_version
    made = []
    with scope(tenant=tenant):
        items = list(CapabilityItem.objects.filter(version=version)[:10])
        start = Engagement.objects.filter(tenant=tenant).count()
        for n in range(count):
            engagement = Engagement.objects.create(
                tenant=tenant,
                reference=f"BCRT-G-{start + n:05d}",
                organization=organization,
                model_version=version,
                target_level=3,
                created_by=users["tenant_admin"],
                state=Engagement.State.CLOSED,
            )
            engagement.scope_items.set(items)
            Decision.objects.create(
                tenant=tenant,
                engagement=engagement,
                outcome=Decision.Outcome.GRANTED,
                level=3,
                reasons="Benchmark.",
                decided_by=users["officer"],
            )
            made.append(engagement)
    return made


def _issue_batch(tenant, organization, users, workers):
    engagements = _granted_engagements(tenant, organization, users, BATCH)
    officer = _member(tenant, users, "officer")
    started = time.perf_counter()
    with scope(tenant=tenant):
        issued = [services.issue_certificate(engagement=e, by=officer).pk for e in engagements]

    def all_active():
        with scopes_disabled():
            return Certificate.objects.filter(
                pk__in=issued, status=Certificate.Status.ACTIVE
            ).count() == len(issued)

    wait_for(all_active, timeout=600, what=f"{len(issued)} certificates\n{workers.logs()}")
    elapsed = time.perf_counter() - started
    with scopes_disabled():
        assert not Report.objects.filter(status=Report.Status.FAILED).exists()
    return len(issued) / elapsed * 60
