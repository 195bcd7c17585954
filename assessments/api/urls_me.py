"""API routes of the caller's own assessment work (included under /api/v1/me/)."""

from django.urls import path

from assessments.api import queue

urlpatterns = [path("queue/", queue.my_queue, name="my_queue")]
