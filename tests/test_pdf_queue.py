"""PDF work runs on its own Celery queue, `pdf`, under Celery's time limits, in worker
processes replaced when they have grown too big."""

import pytest
from django.conf import settings
from django_scopes import scope

from certificates import tasks
from certificates.models import Certificate
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
def test_pdf_tasks_have_celery_time_limits_beyond_the_render_limit(task):
    assert task.soft_time_limit > settings.PDF_RENDER_TIMEOUT_S
    assert task.time_limit > task.soft_time_limit


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
