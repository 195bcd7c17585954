"""In a real browser: a visitor downloads a certificate's digital credential from its
verification page and checks it on /verify/, in English and Chinese, on a desktop and a phone."""

import pytest

from tests.conftest import SCREENSHOTS
from tests.test_browser_grid import DESKTOP, PHONE, serious_violations, visit_in

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_visitor_checks_the_downloaded_credential(
    issued_certificate, live_server, browser_page, tmp_path, language
):
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit_in(page, base, language)
    number = issued_certificate.number
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/verify/{number}/")
    with page.expect_download() as download:
        page.click(f"a[href='/verify/{number}/credential/']")
    token = tmp_path / "credential.jwt"
    download.value.save_as(token)
    assert token.read_text() == issued_certificate.credential

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/verify/")
        page.set_input_files("input[name=credential]", str(token))
        page.click("button[value=credential]")
        page.wait_for_selector(".verdict.tone-ok[data-verdict=valid]")
        assert serious_violations(page) == []
        page.screenshot(
            path=str(SCREENSHOTS / f"verify-credential-{language}-{name}.png"), full_page=True
        )
    page.goto(f"{base}/verify/")
    page.fill("textarea[name=credential_text]", "not a credential")
    page.click("button[value=credential]")
    page.wait_for_selector("#credential .errorlist, #credential [role=alert], #credential .error")
