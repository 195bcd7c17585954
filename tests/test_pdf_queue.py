"""PDF work runs on its own Celery queue, `pdf`, in the worker process itself, under Celery's
time limits, in worker processes replaced when they have grown too big: no render process of
its own (docs/architecture.md, "PDF work on Celery's terms")."""

import pytest
from django.conf import settings
from django_scopes import scope, scopes_disabled

from certificates import tasks
from certificates.models import Certificate, CertificateEvent
from portal.celery import app
from tests.workers import wait_for


@pytest.mark.parametrize("task", [tasks.render_certificate, tasks.render_report])
def test_pdf_tasks_go_to_the_pdf_queue(task):
    route = app.amqp.router.route({}, task.name, args=(1,), kwargs={})

    assert route["queue"].name == "pdf"


def test_other_tasks_stay_on_the_default_queue():
    route = app.amqp.router.route({}, tasks.expire_certificates.name, args=(), kwargs={})

    assert route["queue"].name == "default"


def test_a_worker_started_without_queues_consumes_both():
    assert {queue.name for queue in app.conf.task_queues} == {"default", "pdf"}


@pytest.mark.parametrize("task", [tasks.render_certificate, tasks.render_report])
def test_pdf_tasks_have_the_configured_celery_time_limits(task):
    assert task.soft_time_limit == settings.PDF_TASK_SOFT_TIME_LIMIT_S
    assert task.time_limit == settings.PDF_TASK_TIME_LIMIT_S > task.soft_time_limit


def test_worker_processes_are_replaced_past_a_memory_ceiling():
    assert app.conf.worker_max_memory_per_child == settings.PDF_WORKER_MAX_MEMORY_MB * 1024


def test_a_render_stopped_by_the_soft_time_limit_is_recorded_not_lost(granted, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from certificates import rendering, services

    def too_slow(certificate):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(rendering, "render_certificate_pdf", too_slow)
    with scope(tenant=granted.tenant):
        certificate = services.issue_certificate(engagement=granted.engagement, by=granted.officer)

    assert tasks.render_certificate.apply(args=[certificate.pk]).get() == "failed"
    with scope(tenant=granted.tenant):
        certificate.refresh_from_db()
    assert certificate.status == "issuing"  # the sweeper sends it again
    assert certificate.render_attempts == 1 and "time limit" in certificate.last_error


@pytest.mark.slow
@pytest.mark.xdist_group("workers")
def test_a_worker_on_the_pdf_queue_alone_renders_certificates(
    granted, celery_workers, django_capture_on_commit_callbacks
):
    from certificates import services

    celery_workers.start(queues=("pdf",))
    with scope(tenant=granted.tenant):
        certificate = services.issue_certificate(engagement=granted.engagement, by=granted.officer)
    tasks.render_certificate.delay(certificate.pk)

    def active():
        with scope(tenant=granted.tenant):
            return Certificate.objects.get(pk=certificate.pk).status == "active"

    wait_for(active, timeout=120, what=f"certificate rendered\n{celery_workers.logs()}")


def _active_once(world, certificate):
    with scopes_disabled():
        stored = Certificate.objects.get(pk=certificate.pk)
        activations = CertificateEvent.objects.filter(certificate=certificate, to_status="active")
        assert activations.count() == 1
        assert Certificate.objects.filter(engagement=world.engagement).count() == 1
    assert stored.number == certificate.number
    assert stored.pdf.read().startswith(b"%PDF")


SHORT_LIMITS = {"PDF_TASK_SOFT_TIME_LIMIT_S": "3", "PDF_TASK_TIME_LIMIT_S": "6"}


@pytest.mark.slow
@pytest.mark.xdist_group("workers")
@pytest.mark.parametrize(
    ("past_soft_limit", "stopped_by"),
    [("0", "Soft time limit"), ("1", "Hard time limit")],
    ids=["soft-limit", "hard-limit"],
)
def test_a_hanging_render_is_stopped_by_celery_and_the_certificate_ends_active_once(
    granted, celery_workers, tmp_path, settings, monkeypatch, past_soft_limit, stopped_by
):
    from certificates import services

    # The limits travel in the message (the sender's task options): short ones for the first
    # message, the configured ones again for the sweeper's (a real render on a busy machine).
    task = tasks.render_certificate
    configured = task.soft_time_limit, task.time_limit
    monkeypatch.setattr(task, "soft_time_limit", 3)
    monkeypatch.setattr(task, "time_limit", 6)
    monkeypatch.setattr(task, "_exec_options", None)  # Celery's cache of them
    marker = tmp_path / "hung"
    worker = celery_workers.start(
        include=["tests.worker_hooks_hang"],
        queues=("pdf",),
        env={
            **SHORT_LIMITS,
            "ASSAY_TEST_HANG_MARKER": str(marker),
            "ASSAY_TEST_HANG_PAST_SOFT_LIMIT": past_soft_limit,
        },
    )
    with scope(tenant=granted.tenant):
        certificate = services.issue_certificate(engagement=granted.engagement, by=granted.officer)
    wait_for(
        lambda: stopped_by in worker.log.read_text(),
        timeout=60,
        what=f"Celery's time limit to stop the render\n{celery_workers.logs()}",
    )
    assert marker.exists()
    with scopes_disabled():
        assert Certificate.objects.get(pk=certificate.pk).status == "issuing"
    task.soft_time_limit, task.time_limit = configured
    task._exec_options = None
    settings.PDF_SWEEP_AFTER_SECONDS = 0
    assert tasks.sweep_pending() == 1  # as beat does every minute
    wait_for(
        lambda: _status(certificate) == "active",
        timeout=90,
        what=f"the certificate sent again by the sweeper\n{celery_workers.logs()}",
    )
    assert worker.poll() is None  # the worker runs on (after the hard limit, a new process)
    _active_once(granted, certificate)


@pytest.mark.slow
@pytest.mark.xdist_group("workers")
def test_a_worker_process_grown_past_its_memory_ceiling_is_replaced_after_its_task(
    granted, celery_workers, tmp_path
):
    from certificates import services
    from tests.engagement_world import advance, build_world

    pid_log = tmp_path / "pids"
    # 1 MB: every process that has rendered a PDF is past it, so each render gets a fresh one.
    celery_workers.start(
        include=["tests.worker_hooks_pids"],
        queues=("pdf",),
        env={"PDF_WORKER_MAX_MEMORY_MB": "1", "ASSAY_TEST_PID_LOG": str(pid_log)},
    )
    other = build_world(granted.tenant, items=1)
    advance(other, "closed")
    issued = []
    for world in (granted, other):
        with scope(tenant=world.tenant):
            issued.append(services.issue_certificate(engagement=world.engagement, by=world.officer))
        wait_for(
            lambda certificate=issued[-1]: _status(certificate) == "active",
            timeout=90,
            what=f"certificate rendered\n{celery_workers.logs()}",
        )
    pids = pid_log.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]


def _status(certificate):
    with scopes_disabled():
        return Certificate.objects.get(pk=certificate.pk).status
