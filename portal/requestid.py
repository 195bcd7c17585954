"""One id per request, in every log line it causes, the Celery tasks it enqueues included.

The id comes from the `X-Request-ID` header (a load balancer's, when it is well-formed) or is
made here; the response carries it back. Tasks carry it in a message header: set when the
message is published (`before_task_publish`), taken up when the task runs (`task_prerun`),
both connected in portal/celery.py. Logs name it as `request_id` (portal/settings.py, LOGGING).
"""

import logging
import re
import uuid
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

current = ContextVar("request_id", default=None)


def from_header(value):
    """The id a caller sent, if it is one we may echo into logs and headers; else a new one."""
    if value and _WELL_FORMED.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = from_header(request.headers.get(HEADER))
        # Kept until the response is closed (request_finished below): Django logs a 4xx or 5xx
        # after the middleware has returned.
        current.set(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


@receiver(request_finished)
def forget_request_id(**kwargs):
    current.set(None)


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` (empty outside a request or task)."""

    def filter(self, record):
        record.request_id = current.get() or ""
        return True


def add_to_task_headers(headers):
    request_id = current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def adopt_from_task(task):
    """Take up the id a task's message carries (an eager task keeps the caller's)."""
    request_id = getattr(task.request, TASK_HEADER, None)
    if request_id:
        current.set(request_id)
        return True
    return False
