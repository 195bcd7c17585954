"""A web session ends after SESSION_IDLE_TIMEOUT seconds without a request."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD


def _log_in(client, membership):
    response = client.post(
        reverse("login"), {"username": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return Session.objects.get(session_key=client.session.session_key)


def test_a_new_session_lasts_the_idle_timeout(client, admin_membership):
    session = _log_in(client, admin_membership)
    left = (session.expire_date - timezone.now()).total_seconds()
    assert left == pytest.approx(settings.SESSION_IDLE_TIMEOUT, abs=30)


def test_a_request_pushes_the_idle_deadline_back(client, admin_membership):
    session = _log_in(client, admin_membership)
    store = client.session
    store["_last_seen"] = (timezone.now() - timedelta(minutes=5)).timestamp()
    store.save()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(seconds=60))
    assert client.get(reverse("dashboard")).status_code == 200
    session.refresh_from_db()
    left = (session.expire_date - timezone.now()).total_seconds()
    assert left == pytest.approx(settings.SESSION_IDLE_TIMEOUT, abs=30)


def test_requests_close_together_do_not_rewrite_the_session(
    client, admin_membership, django_assert_max_num_queries
):
    _log_in(client, admin_membership)
    client.get(reverse("dashboard"))
    with django_assert_max_num_queries(20) as queries:
        client.get(reverse("dashboard"))
    assert not any("UPDATE" in q["sql"] and "django_session" in q["sql"] for q in queries)


def test_an_idle_session_is_logged_out(client, admin_membership):
    session = _log_in(client, admin_membership)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
