"""The Celery app. Redis is the broker when REDIS_URL is set, else kombu's filesystem transport
(development only: with DEBUG off a worker or beat refuses to start without REDIS_URL)."""

import gc
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


@worker_init.connect
def load_before_forking(**kwargs):
    """The URLconf imported and the startup objects frozen in the worker's main process,
    before it forks its pool (worker_init follows the import of the task modules).

    A task's first reverse() imported every view and API module, in each process, 0.3 to
    0.5 s on the first report or certificate after a start (measured); forked children now
    share them. gc.freeze() then keeps the garbage collector off those 200,000-odd objects,
    which live as long as the process: a full collection no longer walks them again in a
    task (docs/architecture.md, "PDF work on Celery's terms")."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - its evaluation loads and indexes every URL
    gc.freeze()


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
