"""In a real browser: a visitor uploads an assessment report on /verify/ and reads that it is the
genuine report of its engagement; in English and Chinese, on a desktop and a phone."""

import pytest

from tests.conftest import SCREENSHOTS
from tests.test_browser_grid import DESKTOP, PHONE, serious_violations, visit_in

pytestmark = [pytest.mark.browser]

HEADLINES = {"en": "Genuine report", "zh-hans": "真实报告"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_visitor_checks_an_uploaded_report(
    report_versions, live_server, browser_page, tmp_path, language
):
    page, base = browser_page, live_server.url
    world, (_first, latest) = report_versions
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / "report.pdf"
    with latest.pdf.open("rb") as file:
        pdf.write_bytes(file.read())
    visit_in(page, base, language)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/verify/")
        page.set_input_files("input[name=pdf]", str(pdf))
        page.click("button[value=pdf]")
        page.wait_for_selector(".verdict.tone-ok[data-verdict=report]")
        assert page.text_content(".verdict-word").strip() == HEADLINES[language]
        facts = page.text_content("dl.facts")
        assert world.engagement.reference in facts and world.organization.legal_name in facts
        assert serious_violations(page) == []
        page.screenshot(
            path=str(SCREENSHOTS / f"verify-report-{language}-{name}.png"), full_page=True
        )
