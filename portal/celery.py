"""The Celery app. Redis is the broker when REDIS_URL is set, else kombu's filesystem transport
(development only: with DEBUG off a worker or beat refuses to start without REDIS_URL)."""

import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("assay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_unsafe_production(**kwargs):
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()
    from portal.checks import refuse_unsafe_production

    try:
        refuse_unsafe_production()
    except ImproperlyConfigured as error:
        # Celery logs and swallows a receiver's exception; an exit is not swallowed.
        raise SystemExit(str(error)) from error


@setup_logging.connect
def use_django_logging(**kwargs):
    """Workers log as the web does (portal/settings.py, LOGGING: JSON lines with request ids in
    production), not with Celery's own handlers."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@before_task_publish.connect
def carry_request_id(headers=None, **kwargs):
    from portal.requestid import add_to_task_headers

    add_to_task_headers(headers)


@task_prerun.connect
def adopt_request_id(task=None, **kwargs):
    from portal.requestid import adopt_from_task

    adopt_from_task(task)


@task_postrun.connect
def drop_request_id(task=None, **kwargs):
    from portal.requestid import TASK_HEADER, current

    if getattr(task.request, TASK_HEADER, None):  # taken from the message: not the next task's
        current.set(None)
