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


def _watch_for_csp_violations(page):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_pages_run_under_the_content_security_policy(live_server, tenant, member, browser_page):
    membership = member(Role.TENANT_ADMIN)
    page = browser_page
    violations = _watch_for_csp_violations(page)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", membership.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your assessment bodies")
    # The language switcher submits itself on change (a script of our own, not an attribute).
    with page.expect_navigation():
        page.select_option("#language", "zh-hans")
    assert "客户组织" in page.content() or "评估机构" in page.content()
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info")
    assert violations == []


def test_the_admin_runs_under_the_content_security_policy(live_server, browser_page, db):
    from tests.factories import UserFactory

    admin = UserFactory(email="root@example.org", is_staff=True, is_superuser=True)
    page = browser_page
    violations = _watch_for_csp_violations(page)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(live_server.url + "/admin/tenants/tenant/add/")
    page.wait_for_selector("form")
    assert violations == []
