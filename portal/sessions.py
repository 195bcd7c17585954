"""Idle timeout of web sessions: a session ends SESSION_IDLE_TIMEOUT seconds after its last
request.

The session's expiry (SESSION_COOKIE_AGE, the same number) is pushed back by saving the session,
at most once per SESSION_IDLE_REFRESH seconds rather than on every request
(SESSION_SAVE_EVERY_REQUEST would add a write to each page); so the deadline is exact to within
that refresh interval.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LAST_SEEN = "_last_seen"


@receiver(user_logged_in)
def _note_the_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = time.time()


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key and LAST_SEEN in session:
            now = time.time()
            if now - session[LAST_SEEN] >= settings.SESSION_IDLE_REFRESH:
                session[LAST_SEEN] = now  # modified: saved with a new expiry after the response
        return self.get_response(request)
