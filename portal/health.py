"""Probes for load balancers and orchestrators (docs/scaling.md).

`/healthz`: the process answers; nothing else is touched, so a database outage does not make
every web process look dead. `/readyz`: the database, the broker and the file storage answer;
a 503 names the one that does not (the exception's class only: the probe is public).
"""

import os

import redis
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

PROBE_TIMEOUT_S = 2


def _database():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker():
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(
            url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=PROBE_TIMEOUT_S
        )
        try:
            client.ping()
        finally:
            client.close()
        return
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in")
    if folder and not os.path.isdir(folder):  # the development filesystem broker
        raise FileNotFoundError(folder)


def _storage():
    if isinstance(default_storage, FileSystemStorage):
        location = default_storage.location
        if not (os.path.isdir(location) and os.access(location, os.W_OK)):
            raise FileNotFoundError("media directory missing or not writable")
        return
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:  # S3-compatible: one HEAD of the bucket (a missing bucket is not ready either)
        default_storage.connection.meta.client.head_bucket(Bucket=bucket)
        return
    default_storage.exists(".readyz")


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure is an answer here, never a 500
            results[name] = f"unavailable: {type(error).__name__}"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
