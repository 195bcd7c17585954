"""Operations: request ids in responses, logs and the tasks a request enqueued; emails sent by
a task with bounded retries; Prometheus metrics for allowed callers; PDF renders on their own
queue."""

import io
import json
import logging
import smtplib

import pytest
import redis
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from portal import requestid
from portal.celery import app
from portal.tasks import EMAIL_RETRIES, send_email
from tests.engagement_world import build_world
from tests.workers import wait_for

# --------------------------------------------------------------------------- request ids


def test_a_well_formed_request_id_is_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.1")
    assert response["X-Request-ID"] == "lb-7f3a.1"


def test_a_request_without_an_id_gets_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level": "forged"}')
    assert response["X-Request-ID"] != 'x"\n{"level": "forged"}'
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_of_a_request_are_json_with_its_id(client, db, settings):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(requestid.RequestIdFilter())
    json_format = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(
        JsonFormatter(json_format["fmt"], rename_fields=json_format["rename_fields"])
    )
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["request_id"] == "req-404"
    assert line["level"] == "WARNING" and "Not Found" in line["message"]


def test_a_published_task_carries_the_request_id_in_its_headers():
    headers = {}
    token = requestid.current.set("req-abc")
    try:
        requestid.add_to_task_headers(headers)
    finally:
        requestid.current.reset(token)
    assert headers == {"request_id": "req-abc"}


@pytest.mark.slow
def test_a_task_logs_the_request_id_of_the_request_that_enqueued_it(
    tenant, celery_workers, client_for
):
    world = build_world(tenant, items=1)
    worker = celery_workers.start(env={"LOG_FORMAT": "json"})
    url = f"/t/{tenant.slug}/engagements/{world.engagement.pk}/transition/"
    assert client_for(world.admin).post(url, {"to": "planning"}).status_code == 302
    response = client_for(world.lead).post(url, {"to": "evidence"}, HTTP_X_REQUEST_ID="req-e2e-42")
    assert response.status_code == 302 and response["X-Request-ID"] == "req-e2e-42"

    def email_logged():
        for line in worker.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record["message"] == "email sent" and record["request_id"] == "req-e2e-42":
                    return True
        return False

    wait_for(email_logged, timeout=60, what="the worker's email log line with the request id")


# --------------------------------------------------------------------------- email task


def test_notifications_are_enqueued_only_when_the_change_commits(
    tenant, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    world = build_world(tenant, items=1)
    sent = []
    monkeypatch.setattr(send_email, "delay", lambda *args: sent.append(args))
    url = f"/t/{tenant.slug}/engagements/{world.engagement.pk}/transition/"
    client_for(world.admin).post(url, {"to": "planning"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(world.lead).post(url, {"to": "evidence"})
    assert sent == []
    for callback in callbacks:
        callback()
    assert [args[2] for args in sent] == [world.client.user.email]


@pytest.fixture
def eager_retries():
    """Eager tasks that do not propagate errors: Celery runs each retry at once (no pause)."""
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


def test_an_email_the_server_refuses_is_retried_until_it_goes(monkeypatch, eager_retries):
    calls, delivered = [], []

    def flaky(subject, body, sender, to):
        calls.append(to)
        if len(calls) < 3:
            raise smtplib.SMTPServerDisconnected("try later")
        delivered.append(to)

    monkeypatch.setattr("portal.tasks.send_mail", flaky)
    result = send_email.apply(args=("Subject", "Body", "someone@example.org"))
    assert result.successful()
    assert len(calls) == 3
    assert delivered == [["someone@example.org"]]


def test_an_email_is_retried_a_bounded_number_of_times(monkeypatch, eager_retries):
    calls = []

    def down(*args):
        calls.append(args)
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("portal.tasks.send_mail", down)
    result = send_email.apply(args=("Subject", "Body", "someone@example.org"))
    assert result.failed() and isinstance(result.result, ConnectionRefusedError)
    assert len(calls) == EMAIL_RETRIES + 1


# --------------------------------------------------------------------------- queues, metrics


def test_pdf_renders_go_to_the_pdf_queue_and_the_rest_to_default():
    route = app.amqp.router.route
    assert route({}, "certificates.tasks.render_certificate")["queue"].name == "pdf"
    assert route({}, "certificates.tasks.render_report")["queue"].name == "pdf"
    assert route({}, "portal.tasks.send_email")["queue"].name == "default"
    assert route({}, "certificates.tasks.sweep_pending")["queue"].name == "default"


@pytest.fixture
def metrics_broker(settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete("default", "pdf")
    yield client
    client.delete("default", "pdf")
    client.close()


def test_metrics_show_each_queue_depth_to_an_allowed_address(client, db, metrics_broker):
    metrics_broker.rpush("pdf", "m1", "m2")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'assay_celery_queue_length{queue="pdf"} 2.0' in text
    assert 'assay_celery_queue_length{queue="default"} 0.0' in text
    assert "django_http_requests_total_by_method_total" in text


def test_metrics_are_refused_to_other_addresses(client, db, metrics_broker):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"assay_" not in response.content


def test_metrics_are_shown_to_a_caller_with_the_token(client, db, metrics_broker, settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    wrong = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token"
    )
    right = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}"
    )
    assert wrong.status_code == 403
    assert right.status_code == 200 and b"assay_celery_queue_length" in right.content


def test_pdf_render_seconds_are_observed_by_the_render_task(request):
    labels = {"kind": "certificate"}
    before = REGISTRY.get_sample_value("assay_pdf_render_seconds_count", labels) or 0
    request.getfixturevalue("issued_certificate")
    after = REGISTRY.get_sample_value("assay_pdf_render_seconds_count", labels)
    assert after == before + 1
