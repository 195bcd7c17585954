"""Complaints and appeals in a real browser, in English and Chinese, on a desktop and a phone: a
visitor lodges a complaint from a certificate's verification page and reads the number; the
admin's register and a case's page, where an involved handler is refused with the reason; the
client's appeal. axe-core finds nothing critical or serious on these pages."""

import pytest
from django.core.cache import cache
from django_scopes import scope

from certificates.services import cases
from tenants.roles import Role
from tests.conftest import SCREENSHOTS
from tests.cycle_helpers import certified_world
from tests.factories import MembershipFactory
from tests.test_browser_grid import DESKTOP, PHONE, login, serious_violations

pytestmark = [pytest.mark.browser]

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def _shot(page, name, size, language):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}-{language}.png"), full_page=True)


def _in(page, language):
    if language != "en":
        page.select_option("#language", language)
        page.wait_for_load_state()


@pytest.fixture
def world(live_server, tenant):
    """Made before the browser starts: issuing the certificate forks its render's process,
    which must not inherit Playwright's."""
    cache.clear()
    world = certified_world(tenant)
    world.handler = MembershipFactory(tenant=tenant, role=Role.REVIEWER)
    with scope(tenant=tenant):
        world.appeal = cases.lodge_appeal(
            engagement=world.engagement, by=world.client, grounds="Level 4 was reached in P."
        )
    return world


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_complaints_and_appeals_pages(world, live_server, tenant, browser_page, size, language):
    handler, appeal = world.handler, world.appeal
    page, base = browser_page, live_server.url
    page.set_viewport_size(VIEWPORTS[size])

    # A visitor, from the certificate's verification page.
    page.context.clear_cookies()
    page.goto(f"{base}/verify/{world.certificate.number}/")
    _in(page, language)
    page.click(f"a[href*='/complaints/{tenant.slug}/']")
    page.wait_for_selector("input[name=name]")
    assert page.input_value("input[name=certificate_number]") == world.certificate.number
    page.click("button[type=submit]")  # empty: the errors show on their fields
    page.wait_for_selector(".errorlist")
    assert serious_violations(page) == []
    _shot(page, "complaint-form-errors", size, language)
    page.fill("input[name=name]", "王芳")
    page.fill("input[name=email]", "wang.fang@example.org")
    page.fill("textarea[name=text]", "The delivery pipeline is not gated as the certificate says.")
    page.click("button[type=submit]")
    page.wait_for_selector(".ack-number")
    number = page.text_content(".ack-number").strip()
    assert number.startswith("CMP-")
    assert serious_violations(page) == []
    _shot(page, "complaint-lodged", size, language)

    # The admin: the register, and an involved handler refused on the case's page.
    login(page, base, world.admin, language)
    page.goto(f"{base}/t/{tenant.slug}/cases/")
    page.wait_for_selector(f"text={number}")
    assert serious_violations(page) == []
    _shot(page, "case-register", size, language)
    page.goto(f"{base}/t/{tenant.slug}/cases/{appeal.pk}/")
    page.select_option("select[name=handler]", str(world.officer.user.pk))
    page.click("form:has(input[name=assign]) button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert world.engagement.reference in page.text_content(".errorlist")
    assert serious_violations(page) == []
    _shot(page, "case-refused-handler", size, language)
    page.select_option("select[name=handler]", str(handler.user.pk))
    page.click("form:has(input[name=assign]) button[type=submit]")
    page.wait_for_selector(".messages, .message, [role=status]")

    # The handler answers.
    login(page, base, handler, language)
    page.goto(f"{base}/t/{tenant.slug}/cases/{appeal.pk}/")
    page.wait_for_selector("textarea[name=reply]")
    _shot(page, "case-handler", size, language)
    page.select_option("select[name=outcome]", "partly_upheld")
    page.fill("textarea[name=reply]", "The level of domain P is reviewed in a special audit.")
    page.click("form:has(input[name=decide]) button[type=submit]")
    page.wait_for_selector(".badge.ok")
    assert serious_violations(page) == []
    _shot(page, "case-decided", size, language)

    # The client's appeal page.
    login(page, base, world.client, language)
    page.goto(f"{base}/t/{tenant.slug}/engagements/{world.engagement.pk}/appeal/")
    page.wait_for_selector("textarea[name=grounds]")
    assert serious_violations(page) == []
    _shot(page, "appeal-form", size, language)
