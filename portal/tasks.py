"""Outgoing email as a Celery task: a request never waits on the mail server, and a refused or
unreachable server is retried with growing pauses, a bounded number of times.

Callers enqueue it after their transaction commits (they already run from
`transaction.on_commit`, docs/architecture.md). One message per recipient, so a retry resends
only what failed.
"""

import logging
import smtplib

from celery import shared_task
from django.core.mail import send_mail

log = logging.getLogger(__name__)

EMAIL_RETRIES = 5


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    max_retries=EMAIL_RETRIES,
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    acks_late=True,
)
def send_email(subject, body, to):
    send_mail(subject, body, None, [to])
    log.info("email sent", extra={"subject": subject[:200]})
    return to
