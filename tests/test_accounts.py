"""Logging in and out, resetting a password, the dashboard and the API token."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.crypto import hash_token
from knox.models import AuthToken

from tenants.roles import Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory


def test_login_then_dashboard_lists_the_users_tenants(client, tenant, other_tenant, member):
    membership = member(Role.ASSESSOR)
    MembershipFactory(tenant=other_tenant, user=membership.user, role=Role.REVIEWER)
    response = client.post(
        reverse("login"), {"username": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(reverse("dashboard")).content.decode()
    assert tenant.name in page and other_tenant.name in page


def test_dashboard_needs_a_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_is_a_post(client_for, admin_membership):
    client = client_for(admin_membership)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_by_email(client, admin_membership):
    client.post(reverse("password_reset"), {"email": admin_membership.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert done.status_code == 302
    assert client.login(
        request=HttpRequest(),  # axes counts logins per request
        username=admin_membership.user.email,
        password="a new long passphrase 42",
    )


def test_tenant_home_shows_what_the_role_allows(tenant, member, client_for):
    admin_page = client_for(member(Role.TENANT_ADMIN)).get(f"/t/{tenant.slug}/").content.decode()
    client_page = client_for(member(Role.CLIENT_CONTRIBUTOR)).get(f"/t/{tenant.slug}/")
    assert "People and roles" in admin_page
    assert "People and roles" not in client_page.content.decode()


def test_anonymous_tenant_page_redirects_to_login(client, tenant):
    response = client.get(f"/t/{tenant.slug}/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_api_token_for_email_and_password(client, admin_membership, tenant):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": admin_membership.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    token = response.json()["token"]
    listed = client.get(
        f"/api/v1/t/{tenant.slug}/organizations/", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert listed.status_code == 200


def test_api_token_with_a_wrong_password_is_a_400(client, admin_membership):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": admin_membership.user.email, "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400


def _token_for(client, user):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()["token"]


def _orgs(client, tenant, token):
    return client.get(
        f"/api/v1/t/{tenant.slug}/organizations/", HTTP_AUTHORIZATION=f"Token {token}"
    ).status_code


def test_api_token_is_stored_only_as_a_hash(client, admin_membership):
    token = _token_for(client, admin_membership.user)
    stored = AuthToken.objects.get(user=admin_membership.user)
    assert token not in (stored.digest, stored.token_key)
    assert stored.digest == hash_token(token)


def test_api_token_answer_says_when_it_expires(client, admin_membership):
    response = client.post(
        "/api/v1/auth/token/",
        {"email": admin_membership.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    expiry = parse_datetime(response.json()["expiry"])
    assert expiry - timezone.now() == pytest.approx(
        settings.REST_KNOX["TOKEN_TTL"], abs=timedelta(minutes=1)
    )


def test_an_expired_api_token_is_refused(client, admin_membership, tenant):
    token = _token_for(client, admin_membership.user)
    AuthToken.objects.filter(user=admin_membership.user).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert _orgs(client, tenant, token) == 401


def test_logout_revokes_only_the_token_used(client, admin_membership, tenant):
    first = _token_for(client, admin_membership.user)
    second = _token_for(client, admin_membership.user)
    response = client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {first}")
    assert response.status_code == 204
    assert _orgs(client, tenant, first) == 401
    assert _orgs(client, tenant, second) == 200


def test_logout_everywhere_revokes_every_token_of_the_user(client, admin_membership, tenant):
    first = _token_for(client, admin_membership.user)
    second = _token_for(client, admin_membership.user)
    response = client.post("/api/v1/auth/logoutall/", HTTP_AUTHORIZATION=f"Token {first}")
    assert response.status_code == 204
    assert _orgs(client, tenant, first) == 401 and _orgs(client, tenant, second) == 401
    assert not AuthToken.objects.filter(user=admin_membership.user).exists()


def test_rotating_a_token_gives_a_new_one_and_revokes_the_old(client, admin_membership, tenant):
    old = _token_for(client, admin_membership.user)
    response = client.post("/api/v1/auth/token/rotate/", HTTP_AUTHORIZATION=f"Token {old}")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert _orgs(client, tenant, old) == 401
    assert _orgs(client, tenant, new) == 200
    assert AuthToken.objects.filter(user=admin_membership.user).count() == 1


def test_rotating_needs_a_token(client, db):
    assert client.post("/api/v1/auth/token/rotate/").status_code == 401


def test_changing_the_password_revokes_every_api_token(client, client_for, admin_membership):
    token = _token_for(client, admin_membership.user)
    response = client_for(admin_membership).post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase 42",
            "new_password2": "a new long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=admin_membership.user).exists()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_resetting_the_password_revokes_every_api_token(client, admin_membership):
    token = _token_for(client, admin_membership.user)
    client.post(reverse("password_reset"), {"email": admin_membership.user.email})
    link = re.search(r"(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert not AuthToken.objects.filter(user=admin_membership.user).exists()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_saving_a_user_without_a_new_password_keeps_the_tokens(client, admin_membership):
    _token_for(client, admin_membership.user)
    user = admin_membership.user
    user.first_name = "Renamed"
    user.save()
    assert AuthToken.objects.filter(user=user).count() == 1


def test_api_without_credentials_is_refused(client, tenant):
    assert client.get(f"/api/v1/t/{tenant.slug}/organizations/").status_code in (401, 403)


def test_me_lists_memberships(api_for, admin_membership, tenant):
    body = api_for(admin_membership).get("/api/v1/me/").json()
    assert body == [
        {
            "tenant": tenant.slug,
            "tenant_name": tenant.name,
            "role": "tenant_admin",
            "organization": None,
        }
    ]


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/t/{tenant}/organizations/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_chinese_interface(client_for, admin_membership, tenant):
    client = client_for(admin_membership)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(f"/t/{tenant.slug}/").content.decode()
    assert "客户组织" in page


def test_a_person_changes_their_own_name_and_language_on_my_account(client_for, member):
    from portal.models import AuditEntry
    from tenants.models import User

    membership = member(Role.ASSESSOR)
    client = client_for(membership)
    url = reverse("account")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"first_name": "Mei", "last_name": "Li", "preferred_language": "zh-hans"}
    )
    assert response.status_code == 302
    user = User.objects.get(pk=membership.user.pk)
    assert (user.first_name, user.last_name, user.preferred_language) == ("Mei", "Li", "zh-hans")
    entry = AuditEntry.objects.get(verb="account.updated")
    assert entry.actor == user and entry.tenant is None
    assert entry.changes["first_name"][1] == "Mei"


def test_my_account_needs_a_login(client, db):
    response = client.get(reverse("account"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_person_changes_their_own_name_through_the_api(api_for, member):
    from tenants.models import User

    membership = member(Role.CLIENT_ADMIN)
    api = api_for(membership)
    response = api.patch(
        "/api/v1/me/account/", {"first_name": "Mei", "email": "x@evil.test"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Mei"
    user = User.objects.get(pk=membership.user.pk)
    assert user.first_name == "Mei" and user.email == membership.user.email


def test_an_unknown_language_on_my_account_is_a_400_naming_the_field(api_for, member):
    response = api_for(member(Role.ASSESSOR)).patch(
        "/api/v1/me/account/", {"preferred_language": "xx"}, format="json"
    )
    assert response.status_code == 400
    assert "preferred_language" in response.json()
