"""Choosing a password from an invitation or a reset link logs the person in: no second
trip through the login page with the password just typed."""

import re

from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from tenants.models import User
from tenants.roles import Role
from tenants.services import add_member

NEW = "a new long passphrase 42"


def _choose(client, link):
    form = client.get(link, follow=True)
    assert form.status_code == 200
    return client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})


def test_a_reset_password_logs_the_person_in(client, admin_membership):
    client.post(reverse("password_reset"), {"email": admin_membership.user.email})
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    done = _choose(client, link)
    assert done.status_code == 302 and done["Location"] == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert page.wsgi_request.user == admin_membership.user
    assert "Your password is set" in page.content.decode()
    with scopes_disabled():
        assert User.objects.get(pk=admin_membership.user.pk).check_password(NEW)


def test_an_invitation_link_logs_the_new_person_in(
    client, tenant, admin_membership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        add_member(
            tenant=tenant, by=admin_membership, email="new.person@example.com", role=Role.ASSESSOR
        )
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)
    assert _choose(client, link).status_code == 302
    assert client.get(reverse("dashboard")).wsgi_request.user.email == "new.person@example.com"


def test_a_used_link_neither_sets_a_password_nor_logs_in(client, admin_membership):
    client.post(reverse("password_reset"), {"email": admin_membership.user.email})
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    _choose(client, link)
    client.post(reverse("logout"))
    again = client.get(link, follow=True)
    assert "new_password1" not in again.content.decode()
    assert not again.wsgi_request.user.is_authenticated


def test_mismatched_passwords_are_a_form_error_and_nobody_is_logged_in(client, admin_membership):
    client.post(reverse("password_reset"), {"email": admin_membership.user.email})
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    assert not response.wsgi_request.user.is_authenticated
