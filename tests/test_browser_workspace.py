"""The changed pages in a real browser, on a desktop and a phone, in English and Chinese: the
header folds into a menu on a phone, hashes wrap instead of widening the page, the review with
its one-step approval, the decision form and the audit trail in sentences; axe-core finds
nothing critical or serious on them."""

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import Evidence
from tests.conftest import SCREENSHOTS
from tests.engagement_world import advance, build_world
from tests.test_browser_grid import DESKTOP, PHONE, login, serious_violations

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(tenant):
    world = build_world(tenant, items=2)
    advance(world, "review")
    return world


def _pages(world):
    slug, pk = world.tenant.slug, world.engagement.pk
    with scope(tenant=world.tenant):
        evidence = Evidence.objects.filter(engagement=world.engagement).first()
    return {
        "engagement": reverse("assessments:engagement_detail", args=[slug, pk]),
        "review": reverse("assessments:review_create", args=[slug, pk]),
        "timeline": reverse("assessments:engagement_timeline", args=[slug, pk]),
        "evidence": reverse("assessments:evidence_detail", args=[slug, pk, evidence.pk]),
    }


def _overflows(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def test_the_header_folds_into_a_menu_on_a_phone(live_server, world, browser_page):
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    login(page, base, world.lead)
    page.goto(base + _pages(world)["engagement"])
    nav = page.locator("header.top nav")
    assert not nav.is_visible()
    page.locator("details.menu > summary").click()
    assert nav.is_visible()
    assert page.locator("header.top .account button").is_visible()  # logging out is there
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(100)
    assert nav.is_visible() and not page.locator("details.menu > summary").is_visible()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("viewport", "device"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_changed_pages_fit_and_have_no_serious_violations(
    live_server, world, browser_page, language, viewport, device
):
    page, base = browser_page, live_server.url
    page.set_viewport_size(viewport)
    pages = _pages(world)
    login(page, base, world.reviewer, language)
    for name in ("engagement", "review", "timeline", "evidence"):
        page.goto(base + pages[name])
        page.screenshot(
            path=str(SCREENSHOTS / f"workspace-{name}-{device}-{language}.png"), full_page=True
        )
        assert not _overflows(page), name
        assert serious_violations(page) == [], name
    # The one step of the reviewer: approved and passed to the decision.
    page.goto(base + pages["review"])
    page.fill("textarea[name=comments]", "Sound." if language == "en" else "证据充分。")
    page.locator("button[name=approve_and_pass]").click()
    page.wait_for_load_state()
    assert page.url.endswith(pages["engagement"])
    login(page, base, world.officer, language)
    page.goto(base + pages["engagement"].rstrip("/") + "/decision/")
    page.screenshot(
        path=str(SCREENSHOTS / f"workspace-decision-{device}-{language}.png"), full_page=True
    )
    assert not _overflows(page)
    assert serious_violations(page) == []
