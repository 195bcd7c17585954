import os
import time
from pathlib import Path
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import translation
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, TenantFactory

pytest_plugins = ["tests.certificate_fixtures", "tests.workers"]

PASSWORD = "correct horse battery staple"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request in Chinese leaves its language
    active in the thread (LocaleMiddleware never deactivates), which messages checked in
    the next test would otherwise be in."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def empty_cache(monkeypatch):
    """Rate limits counted afresh: an empty cache, and django-ratelimit's clock held still.
    Its windows are fixed, so a test that counts up to a limit on a slow machine could
    otherwise straddle two windows and never see the refusal (DRF's throttles slide)."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    cache.clear()
    yield
    cache.clear()  # leave no counted requests to the next test


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="acme", name="ACME Assessments")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(slug="other", name="Other Body")


@pytest.fixture
def organization(tenant):
    return OrganizationFactory(tenant=tenant)


@pytest.fixture
def member(tenant):
    """Make an active member of `tenant` with a role: member("assessor")."""

    def make(role=Role.TENANT_ADMIN, **kwargs):
        kwargs.setdefault("tenant", tenant)
        return MembershipFactory(role=role, **kwargs)

    return make


@pytest.fixture
def admin_membership(member):
    return member(Role.TENANT_ADMIN)


@pytest.fixture
def client_for():
    """A logged-in test client for a membership (or user)."""
    from django.test import Client

    def make(membership_or_user):
        user = getattr(membership_or_user, "user", membership_or_user)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():
    """An API client authenticated as the membership's user."""

    def make(membership_or_user):
        user = getattr(membership_or_user, "user", membership_or_user)
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def in_scope():
    """Run ORM reads inside a tenant's scope: `with in_scope(tenant): ...`."""
    return lambda tenant: scope(tenant=tenant)


@pytest.fixture
def unscoped():
    return scopes_disabled


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
    # are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # The ORM calls of the test ran in Playwright's context, on connections of their own
        # that the database teardown does not know of: close them here.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
