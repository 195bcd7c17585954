"""The certification cycle in a real browser, in English and in Chinese (issue 13, "Done when"):
the officer concludes the first surveillance (maintained) and the second (suspended) on the
certificate page, a visitor sees the suspension on the public verification page, the officer
lifts it, and the recertification supersedes the certificate. The assessment work inside each
engagement is done by the services, as the workspace journeys cover it in the browser.
Screenshots of each state, at a desktop and a phone size, go to var/screenshots/cycle-*."""

import pytest
from django_scopes import scope, scopes_disabled

from assessments.models import Engagement
from certificates.models import Certificate, ProgrammeVisit
from certificates.services import issue_certificate, programme
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.cycle_helpers import activate, certified_world, take_to

pytestmark = [pytest.mark.browser]

WORDS = {
    "en": {
        "logged_in": "Your assessment bodies",
        "valid": "Valid",
        "suspended": "Suspended",
        "superseded": "Superseded",
    },
    "zh-hans": {
        "logged_in": "您所在的评估机构",
        "valid": "有效",
        "suspended": "已暂停",
        "superseded": "已被替代",
    },
}
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"cycle-{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _language(page, base, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])


def _login(page, base, membership, words, language):
    page.context.clear_cookies()
    _language(page, base, language)
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", membership.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"text={words['logged_in']}")


def _open_next(world, kind):
    with scope(tenant=world.tenant):
        visit = (
            ProgrammeVisit.objects.filter(
                certificate=world.certificate, kind=kind, status="planned"
            )
            .order_by("due_on")
            .first()
        )
    with scopes_disabled():
        programme.sweep(today=visit.opens_on, send=False)
    visit.refresh_from_db()
    with scope(tenant=world.tenant):
        return visit, Engagement.objects.get(pk=visit.engagement_id)


def _verdict(page, base, number, word, language, name):
    page.context.clear_cookies()
    _language(page, base, language)
    page.goto(f"{base}/verify/{number}/")
    assert word in page.text_content(".verdict-word"), page.text_content(".verdict-word")
    _shoot(page, f"{name}-{language}")


def _conclude(page, base, world, visit, outcome, reason):
    # Not "#programme": after the last conclusion the page is at this URL already, and a
    # fragment alone would not load it again.
    page.goto(f"{base}/t/{world.tenant.slug}/certificates/{world.certificate.pk}/")
    form = page.locator(f"form[action$='/programme/{visit.pk}/conclude/']")
    form.locator("select[name=outcome]").select_option(outcome)
    form.locator("[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def no_render(monkeypatch):
    """Certificates are made active by the test (tests/cycle_helpers.activate): no PDF render,
    whose forked process would outlive the browser's event loop at teardown."""
    from certificates import tasks

    monkeypatch.setattr(tasks.render_certificate, "delay", lambda *args, **kwargs: None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_certificate_through_its_cycle_in_the_browser(
    language, tenant, live_server, browser_page, no_render
):
    words, page, base = WORDS[language], browser_page, live_server.url
    page.set_default_timeout(20_000)
    world = certified_world(tenant)
    number = world.certificate.number
    _verdict(page, base, number, words["valid"], language, "granted")

    visit, engagement = _open_next(world, "surveillance")
    take_to(world, engagement, "closed")
    _login(page, base, world.officer, words, language)
    _conclude(page, base, world, visit, "maintain", "Practices kept.")
    visit.refresh_from_db()
    assert visit.outcome == "maintain"
    _shoot(page, f"maintained-{language}")

    visit, engagement = _open_next(world, "surveillance")
    take_to(world, engagement, "closed")
    _conclude(page, base, world, visit, "suspend", "Deployments no longer gated.")
    world.certificate.refresh_from_db()
    assert world.certificate.status == "suspended"
    _verdict(page, base, number, words["suspended"], language, "suspended")
    assert "Deployments no longer gated." in page.content()

    # A visitor complains about the certified organization from the verification page.
    page.click(f"a[href*='/complaints/{tenant.slug}/']")
    page.fill("[name=name]", "Li Lei")
    page.fill("[name=email]", "li.lei@example.test")
    page.fill("[name=text]", "Their releases still skip the approval gate.")
    page.click("form button[type=submit]")
    page.wait_for_selector(".ack-number")
    assert page.text_content(".ack-number").strip().startswith("CMP-")
    _shoot(page, f"complaint-{language}")

    _login(page, base, world.officer, words, language)
    page.goto(f"{base}/t/{world.tenant.slug}/certificates/{world.certificate.pk}/")
    reinstate = page.locator("form[action$='/reinstate/']")
    reinstate.locator("[name=reason]").fill("Gates restored and verified.")
    reinstate.locator("button[type=submit]").click()
    page.wait_for_load_state()
    world.certificate.refresh_from_db()
    assert world.certificate.status == "active"
    _shoot(page, f"reinstated-{language}")
    _verdict(page, base, number, words["valid"], language, "reinstated-public")

    visit, engagement = _open_next(world, "recertification")
    take_to(world, engagement, "closed")
    with scope(tenant=tenant):
        renewed = activate(issue_certificate(engagement=engagement, by=world.officer))
        assert Certificate.objects.get(pk=world.certificate.pk).status == "superseded"
    _verdict(page, base, number, words["superseded"], language, "superseded")
    _verdict(page, base, renewed.number, words["valid"], language, "renewed")
