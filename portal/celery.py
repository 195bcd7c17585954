"""The Celery app. Redis is the broker when REDIS_URL is set, else kombu's filesystem transport
(development only: with DEBUG off a worker or beat refuses to start without REDIS_URL)."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

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
