"""Background work of engagements (docs/architecture.md: given ids, idempotent)."""

from celery import shared_task


@shared_task
def remind_evidence_requests():
    """Daily: remind clients of evidence requests due soon or overdue (once a day each)."""
    from assessments.services import requests

    return requests.send_reminders()
