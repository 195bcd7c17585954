"""Prometheus metrics at /metrics: django-prometheus's request and response figures, the depth
of each Celery queue (read from Redis at scrape time) and how long PDF renders take (observed in
the render tasks, certificates/tasks.py).

Under gunicorn and Celery each process counts on its own; with PROMETHEUS_MULTIPROC_DIR set
(make prod sets it) every process of the machine writes its figures there and /metrics adds
them up, so a scrape sees the workers' renders as well as the web's requests.

Only the addresses in METRICS_ALLOWED_IPS, or a caller sending `Authorization: Bearer
<METRICS_TOKEN>`, may read them; anyone else gets a 403.
"""

import hmac
import os

import redis
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

QUEUES = ("default", "pdf")
# kombu's Redis transport keeps a queue's messages of each priority in a list of its own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

PDF_RENDER_SECONDS = Histogram(
    "assay_pdf_render_seconds",
    "Seconds to render and sign one PDF, by kind (certificate, report)",
    ["kind"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)


def queue_lengths():
    """Messages waiting in each Celery queue (empty when the broker is not Redis)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline() as pipe:
            for queue in QUEUES:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            counts = pipe.execute()
    finally:
        client.close()
    step = len(_PRIORITY_SUFFIXES)
    return {queue: sum(counts[i * step : (i + 1) * step]) for i, queue in enumerate(QUEUES)}


class QueueDepthCollector:
    def collect(self):
        gauge = GaugeMetricFamily(
            "assay_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"]
        )
        try:
            lengths = queue_lengths()
        except redis.RedisError:
            lengths = {}  # the broker is down: /readyz says so; the scrape still answers
        for queue, length in lengths.items():
            gauge.add_metric([queue], length)
        yield gauge


QUEUE_DEPTH = QueueDepthCollector()


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Everything())
    registry.register(QUEUE_DEPTH)
    return registry


class _Everything:
    """This process's default registry, as one collector of a per-scrape registry."""

    def collect(self):
        return REGISTRY.collect()


def _allowed(request):
    # Imported here: the render tasks import this module while Celery loads its task modules,
    # before DRF (which portal.addresses imports) may be imported without a cycle.
    from portal.addresses import client_ip

    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


@never_cache
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics: address not allowed\n")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
