"""The whole PDF path with a real Redis and real Celery worker processes.

The web request only records the certificate and sends a message; a worker process renders,
signs and stores the PDF. A worker killed in the middle, or a message lost, still ends with one
active certificate with one number and one PDF.
"""

import shutil
import subprocess
import threading

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from certificates import services, tasks
from certificates.models import Certificate, CertificateEvent, Report
from tests.engagement_world import advance, build_world
from tests.workers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workers")]


def _status(world, pk, model=Certificate):
    with scope(tenant=world.tenant):
        return model.objects.get(pk=pk)


def test_issue_in_the_browser_and_a_worker_process_signs_the_pdf(
    granted, celery_workers, client_for, tmp_path
):
    celery_workers.start()
    client = client_for(granted.officer)
    base = f"/t/{granted.tenant.slug}"
    response = client.post(f"{base}/engagements/{granted.engagement.pk}/certificate/issue/", {})
    assert response.status_code == 302
    with scope(tenant=granted.tenant):
        certificate = Certificate.objects.get(engagement=granted.engagement)
    assert certificate.status == "issuing"  # the request itself rendered nothing

    status_url = f"{base}/certificates/{certificate.pk}/status/"
    wait_for(
        lambda: client.get(status_url).json() == {"status": "active", "ready": True},
        timeout=60,
        what=f"the certificate to become active\n{celery_workers.logs()}",
    )
    download = client.get(f"{base}/certificates/{certificate.pk}/download/")
    assert download.status_code == 200
    path = tmp_path / "certificate.pdf"
    path.write_bytes(b"".join(download.streaming_content))
    if shutil.which("pdfsig"):
        checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
        assert "Signature is Valid." in checked.stdout
    verify = client.get(f"/verify/{certificate.number}/")
    assert "Active" in verify.content.decode()


def test_a_report_is_rendered_by_the_worker_and_a_new_version_keeps_the_old(
    granted, celery_workers, api_for
):
    celery_workers.start()
    api = api_for(granted.officer)
    url = f"/api/v1/t/{granted.tenant.slug}/reports/"
    first = api.post(url, {"engagement": granted.engagement.pk}, format="json")
    second = api.post(url, {"engagement": granted.engagement.pk}, format="json")
    assert first.status_code == second.status_code == 201, first.json()

    def both_ready():
        return all(
            _status(granted, r.json()["id"], Report).status == "ready" for r in (first, second)
        )

    wait_for(both_ready, timeout=90, what=f"both reports\n{celery_workers.logs()}")
    versions = [_status(granted, r.json()["id"], Report) for r in (first, second)]
    assert [r.version for r in versions] == [1, 2]
    assert versions[0].sha256 != versions[1].sha256  # each version its own signed file
    assert all(r.pdf.read().startswith(b"%PDF") for r in versions)


def test_a_worker_killed_while_rendering_still_ends_with_one_active_certificate(
    granted, celery_workers, tmp_path
):
    marker = tmp_path / "killed"
    worker = celery_workers.start(
        include=["tests.worker_hooks"], env={"ASSAY_TEST_KILL_MARKER": str(marker)}
    )
    with scope(tenant=granted.tenant):
        certificate = services.issue_certificate(engagement=granted.engagement, by=granted.officer)
    wait_for(
        lambda: _status(granted, certificate.pk).status == "active",
        timeout=90,
        what=f"the certificate to become active\n{celery_workers.logs()}",
    )
    assert marker.exists(), "the hook did not kill the worker process"
    assert worker.poll() is None  # the pool replaced its child; the worker runs on
    assert "WorkerLostError" in worker.log.read_text()
    with scopes_disabled():
        assert Certificate.objects.filter(engagement=granted.engagement).count() == 1
        activations = CertificateEvent.objects.filter(certificate=certificate, to_status="active")
        assert activations.count() == 1
    stored = _status(granted, certificate.pk)
    assert stored.number == certificate.number
    assert stored.pdf.read().startswith(b"%PDF")


def test_a_lost_message_is_sent_again_by_the_sweeper(granted, celery_workers, settings):
    from portal.celery import app

    with scope(tenant=granted.tenant):
        certificate = services.issue_certificate(engagement=granted.engagement, by=granted.officer)
    app.control.purge()  # the message is lost (a broker wiped, a worker killed with it)
    celery_workers.start()
    settings.PDF_SWEEP_AFTER_SECONDS = 0
    assert tasks.sweep_pending() == 1
    wait_for(
        lambda: _status(granted, certificate.pk).status == "active",
        timeout=60,
        what=f"the swept certificate\n{celery_workers.logs()}",
    )


@pytest.mark.django_db(transaction=True)
def test_many_officers_issuing_at_once_get_distinct_gap_free_numbers(tenant, pdf_settings):
    """Run on PostgreSQL by CI's second pass; SQLite serializes writers, which also holds."""
    worlds = []
    for _ in range(6):
        world = build_world(tenant, items=1)
        advance(world, "closed")
        worlds.append(world)
    not_granted = build_world(tenant, items=1)
    advance(not_granted, "decision")
    start = threading.Barrier(len(worlds) + 1)
    errors = []

    def issue(world):
        try:
            start.wait(timeout=30)
            with scope(tenant=tenant):
                services.issue_certificate(engagement=world.engagement, by=world.officer)
        except Exception as error:  # noqa: BLE001 - collected and reported below
            errors.append(error)
        finally:
            connection.close()

    originals = tasks.render_certificate.delay
    tasks.render_certificate.delay = lambda pk: None  # numbering only: no rendering here
    try:
        threads = [threading.Thread(target=issue, args=(w,)) for w in [*worlds, not_granted]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        tasks.render_certificate.delay = originals
    assert len(errors) == 1 and "granted" in str(errors[0])  # the one not granted
    with scopes_disabled():
        numbers = sorted(Certificate.objects.filter(tenant=tenant).values_list("number", flat=True))
    year = numbers[0].split("-")[-2]
    prefix = tenant.certificate_prefix
    assert numbers == [f"{prefix}-{year}-{n:05d}" for n in range(1, len(worlds) + 1)]


def test_a_large_report_renders_in_parts_on_two_workers_and_is_signed_once(
    granted, celery_workers, tmp_path
):
    """The chord on real workers and Redis: the parts rendered by whichever worker is free,
    joined by the last, one signature, pages numbered across the parts."""
    from certificates.credentials import trust_roots
    from certificates.pdf.signing import validate_pdf

    env = {"REPORT_SPLIT_ITEMS": "1", "REPORT_PARTS": "2"}  # two items: a "large" report
    for _ in range(2):
        celery_workers.start(env=env)
    with scope(tenant=granted.tenant):
        report = services.request_report(engagement=granted.engagement, by=granted.officer)
    wait_for(
        lambda: _status(granted, report.pk, Report).status != "rendering",
        timeout=120,
        what=f"the report in parts\n{celery_workers.logs()}",
    )
    logs = celery_workers.logs()
    report = _status(granted, report.pk, Report)
    assert report.status == "ready", report.last_error
    assert "rendering in 2 parts" in logs and "join_report" in logs
    data = report.pdf.read()
    assert validate_pdf(data, trust_roots=trust_roots()).ok
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        last = report.page_count
        assert f"{last}/{last}" in text.replace(" ", "")
