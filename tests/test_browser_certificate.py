"""In a real browser with a real worker: the officer issues, the page follows the rendering, and
anyone verifies the certificate by number and by its PDF; a suspension shows at once."""

import pytest

from tests.conftest import SCREENSHOTS
from tests.test_browser_journey import _login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("workers")]


def test_officer_issues_and_a_visitor_verifies(
    granted, celery_workers, live_server, browser_page, tmp_path
):
    celery_workers.start()
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _login(page, base, granted.officer)
    page.goto(f"{base}/t/{granted.tenant.slug}/engagements/{granted.engagement.pk}/")
    page.click("text=Issue the certificate")
    page.click("button:has-text('Issue')")
    page.wait_for_selector("text=is being issued")
    page.wait_for_selector("text=Download the signed PDF", timeout=60_000)
    page.screenshot(path=str(SCREENSHOTS / "certificate-detail.png"), full_page=True)
    number = page.text_content("h1").split()[0]
    with page.expect_download() as download:
        page.click("text=Download the signed PDF")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)

    page.context.clear_cookies()
    page.goto(f"{base}/verify/")
    page.fill("input[name=number]", number)
    page.click("button:has-text('Look it up')")
    page.wait_for_selector(".verdict.tone-ok .verdict-word:has-text('Valid')")
    page.screenshot(path=str(SCREENSHOTS / "verify-number.png"), full_page=True)
    page.goto(f"{base}/verify/")
    page.set_input_files("input[name=pdf]", str(pdf))
    page.click("button:has-text('Check the file')")
    page.wait_for_selector(".verdict.tone-ok:has-text('exactly as issued')")
    page.screenshot(path=str(SCREENSHOTS / "verify-file.png"), full_page=True)

    _login(page, base, granted.officer)
    page.goto(f"{base}/t/{granted.tenant.slug}/certificates/")
    page.click(f"text={number}")
    page.fill("form:has(button:has-text('Suspend')) textarea[name=reason]", "Scope changed")
    page.click("button:has-text('Suspend')")
    page.wait_for_selector("#status:has-text('Suspended')")
    page.context.clear_cookies()
    page.goto(f"{base}/verify/{number}/")
    assert page.text_content(".verdict-word") == "Suspended" and "Scope changed" in page.content()
