"""The journey in a real browser: the client uploads evidence, the assessor rates, the reviewer
reviews, the officer decides (Debian's Chromium driven by Playwright)."""

import pytest
from django_scopes import scope

from assessments.models import Decision, Engagement
from tests.conftest import PASSWORD, SCREENSHOTS
from tests.engagement_world import PDF, advance, build_world

pytestmark = [pytest.mark.browser]


def _login(page, base, membership):
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", membership.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your assessment bodies")


def test_client_uploads_assessor_rates_reviewer_reviews_officer_decides(
    live_server,
    tenant,
    browser_page,
    tmp_path,
):
    world = build_world(tenant, items=1)
    advance(world, "evidence")
    page, base = browser_page, live_server.url
    engagement_url = f"{base}/t/{tenant.slug}/engagements/{world.engagement.pk}/"

    _login(page, base, world.client)
    page.goto(engagement_url)
    page.click("text=Upload evidence")
    evidence = tmp_path / "流水线证据.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("input[name=file]", str(evidence))
    page.fill("textarea[name=description]", "Pipeline screenshots")
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=Evidence uploaded.")
    assert "流水线证据.pdf" in page.content()

    _login(page, base, world.lead)
    page.goto(engagement_url)
    page.click("button:has-text('Start the assessment')")
    page.wait_for_selector("text=The engagement moved to Assessment.")
    page.click("tr.item a")
    for select in page.query_selector_all("select[name^=rating_]"):
        select.select_option("met")
    page.check("input[name=final]")
    page.click("button:has-text('Save the finding')")
    page.wait_for_selector("text=Finding saved.")
    page.screenshot(path=str(SCREENSHOTS / "engagement-assessed.png"), full_page=True)
    page.click("button:has-text('Submit findings for review')")
    page.wait_for_selector("text=The engagement moved to Review.")

    _login(page, base, world.reviewer)
    page.goto(engagement_url)
    page.click("text=Record the review")
    page.check("input[value=approved]")
    page.click("button:has-text('Record the review')")
    page.wait_for_selector("text=Review recorded.")
    page.click("button:has-text('Pass to the certification decision')")
    page.wait_for_selector("text=The engagement moved to Decision.")

    _login(page, base, world.officer)
    page.goto(engagement_url)
    page.click("text=Record the decision")
    page.check("input[value=granted]")
    page.select_option("select[name=level]", "5")
    page.fill("textarea[name=reasons]", "All requirements met at every level.")
    page.click("button:has-text('Record the decision')")
    page.wait_for_selector("text=Decision recorded.")
    page.click("button:has-text('Close the engagement')")
    page.wait_for_selector("text=The engagement moved to Closed.")
    page.screenshot(path=str(SCREENSHOTS / "engagement-closed.png"), full_page=True)

    with scope(tenant=tenant):
        assert Engagement.objects.get(pk=world.engagement.pk).state == "closed"
        assert Decision.objects.get(engagement=world.engagement).level == 5
