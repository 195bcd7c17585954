"""A person logs in with a real browser (Debian's Chromium driven by Playwright) and sees the
dashboard. The screenshot is kept under var/screenshots/ to look at."""

import os
import shutil

import pytest

from tenants.roles import Role
from tests.conftest import CHROMIUM, PASSWORD, SCREENSHOTS  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (make test installs it)",
    ),
]


def test_person_logs_in_and_sees_the_dashboard(live_server, tenant, member, browser_page):
    membership = member(Role.TENANT_ADMIN)
    page = browser_page
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", membership.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your assessment bodies")
    assert tenant.name in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    page.click(f"a.card:has-text('{tenant.name}')")
    page.wait_for_selector("text=Client organizations")
    page.screenshot(path=str(SCREENSHOTS / "tenant-home.png"), full_page=True)
