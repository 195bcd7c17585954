"""Repeated failed logins lock the account and the address out, on the form and the token API,
until the cool-off ends or an administrator lifts it."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT
TOKEN_URL = "/api/v1/auth/token/"


def _login(client, email, password, address="192.0.2.10"):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def _token(client, email, password, address="192.0.2.10"):
    return client.post(
        TOKEN_URL,
        {"email": email, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_login_form_refuses_the_right_password_after_repeated_failures(client, admin_membership):
    email = admin_membership.user.email
    for _ in range(LIMIT):
        _login(client, email, "wrong password")
    response = _login(client, email, PASSWORD)
    assert response.status_code == 429
    assert client.get(reverse("dashboard")).status_code == 302  # not logged in


def test_a_locked_login_says_why_and_how_to_get_unlocked(client, admin_membership):
    for _ in range(LIMIT):
        _login(client, admin_membership.user.email, "wrong password")
    page = _login(client, admin_membership.user.email, PASSWORD).content.decode()
    assert "Too many failed logins" in page
    assert "administrator" in page


def test_the_account_is_locked_from_every_address(client, admin_membership):
    email = admin_membership.user.email
    for n in range(LIMIT):
        _login(client, email, "wrong password", address=f"198.51.100.{n}")
    assert _login(client, email, PASSWORD, address="203.0.113.5").status_code == 429


def test_the_address_is_locked_for_every_account(client, db):
    for n in range(LIMIT):
        _login(client, f"guess{n}@example.org", "wrong password", address="203.0.113.66")
    someone = UserFactory(email="someone@example.org")
    assert _login(client, someone.email, PASSWORD, address="203.0.113.66").status_code == 429
    assert _login(client, someone.email, PASSWORD, address="203.0.113.67").status_code == 302


def test_the_lockout_ignores_the_case_of_the_email(client, admin_membership):
    email = admin_membership.user.email
    for n in range(LIMIT):
        _login(client, email.upper() if n % 2 else email, "wrong", address=f"198.51.100.{n}")
    assert _login(client, email, PASSWORD, address="203.0.113.5").status_code == 429


def test_a_successful_login_forgets_earlier_failures(client, admin_membership):
    email = admin_membership.user.email
    for _ in range(LIMIT - 1):
        _login(client, email, "wrong password")
    assert _login(client, email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    _login(client, email, "wrong password")
    assert _login(client, email, PASSWORD).status_code == 302


def test_token_endpoint_refuses_the_right_password_after_repeated_failures(
    client, admin_membership
):
    email = admin_membership.user.email
    for _ in range(LIMIT):
        _token(client, email, "wrong password")
    response = _token(client, email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert "token" not in response.json()


def test_failures_on_the_token_endpoint_lock_the_login_form_too(client, admin_membership):
    email = admin_membership.user.email
    for _ in range(LIMIT):
        _token(client, email, "wrong password")
    assert _login(client, email, PASSWORD).status_code == 429


def test_the_lockout_is_listed_in_the_admin(client_for, admin_membership, client):
    for _ in range(LIMIT):
        _login(client, admin_membership.user.email, "wrong password")
    platform_admin = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    page = client_for(platform_admin).get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert admin_membership.user.email in page.content.decode()


def test_an_admin_deleting_the_attempts_lifts_the_lockout(client_for, admin_membership, client):
    email = admin_membership.user.email
    for _ in range(LIMIT):
        _login(client, email, "wrong password")
    platform_admin = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    client_for(platform_admin).post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert _login(client, email, PASSWORD).status_code == 302


@pytest.mark.parametrize("command", [["axes_reset"], ["axes_reset_ip", "192.0.2.10"]])
def test_the_reset_command_lifts_the_lockout(client, admin_membership, command):
    email = admin_membership.user.email
    for _ in range(LIMIT):
        _login(client, email, "wrong password")
    call_command(*command)
    if command[0] == "axes_reset_ip":  # the account's own lock remains until it is reset too
        call_command("axes_reset_username", email)
    assert _login(client, email, PASSWORD).status_code == 302
