"""In a real browser: a visitor takes the OpenSSL check and the trusted authorities from /verify/
and checks a certificate's PDF with them, away from the portal; in English and Chinese, on a
desktop and a phone."""

import shutil

import pytest

from tests.certificate_fixtures import run_openssl_check
from tests.conftest import SCREENSHOTS
from tests.test_browser_grid import DESKTOP, PHONE, serious_violations, visit_in

pytestmark = [pytest.mark.browser]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_visitor_checks_a_certificate_offline_with_what_the_page_offers(
    issued_certificate, live_server, browser_page, tmp_path, language
):
    page, base = browser_page, live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit_in(page, base, language)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/verify/")
        page.locator("#offline").scroll_into_view_if_needed()
        assert serious_violations(page) == []
        page.screenshot(
            path=str(SCREENSHOTS / f"verify-offline-{language}-{name}.png"), full_page=True
        )
    saved = {}
    for href in ("/verify/trust/openssl_check.py", "/verify/trust/roots.pem"):
        with page.expect_download() as download:
            page.click(f"#offline a[href='{href}']")
        saved[href] = tmp_path / download.value.suggested_filename
        download.value.save_as(saved[href])
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(issued_certificate.pdf.read())

    code, output = run_openssl_check(
        pdf, saved["/verify/trust/roots.pem"], script=saved["/verify/trust/openssl_check.py"]
    )

    assert saved["/verify/trust/roots.pem"].name == "assay-trust-roots.pem"
    assert code == 0, output
    assert output.rstrip().endswith("VALID")
