"""Issue 15's journey in a real browser, on the shipped continuous-delivery model 2026.2 (49
sub-items), in English on a desktop and in Chinese on a phone: the administrator picks the
scope and the team; the client assesses itself; an assessor asks for evidence; the client
uploads several files at once linked to sub-items and answers the request; the assessor asks
for a correction, the client corrects, the assessor accepts; the assessor rates the whole scope
from the keyboard in the grid; the client reviews the draft report. Screenshots of every step go
to var/screenshots/journey-*."""

import datetime

import pytest
from django_scopes import scope

from assessments.models import CapabilityItem, EvidenceRequest, SelfRating
from certificates.models import Report, ReportReview
from tests.conftest import SCREENSHOTS
from tests.engagement_world import PDF, advance, build_world, shipped_cd_version
from tests.test_browser_grid import (
    DESKTOP,
    PHONE,
    leaves_fully_rated,
    login,
    rate_everything_from_the_keyboard,
    serious_violations,
)

pytestmark = [pytest.mark.browser]


def _shot(page, name, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}-{step}.png"), full_page=True)


def _saved(page):
    page.wait_for_selector(".messages li.success")


def _submit(page, marker):
    """Submit the form that holds `marker` (language-independent: no button texts)."""
    page.click(f"form:has({marker}) button[type=submit]")
    page.wait_for_load_state()


def _answer(page):
    """Answer the evidence request with every file offered."""
    page.select_option(
        "select[name=evidence]",
        [o.get_attribute("value") for o in page.locator("select[name=evidence] option").all()],
    )
    _submit(page, "input[name=submit]")


@pytest.mark.parametrize(
    ("language", "viewport", "name"),
    [("en", DESKTOP, "desktop-en"), ("zh-hans", PHONE, "phone-zh")],
)
def test_the_workspace_journey_on_the_49_sub_items(
    live_server, tenant, browser_page, tmp_path, language, viewport, name
):
    world = build_world(tenant, version=shipped_cd_version(), scope_codes=("CD",))
    advance(world, "planning")
    page, base = browser_page, live_server.url
    page.set_viewport_size(viewport)
    engagement = world.engagement
    t = f"{base}/t/{tenant.slug}"
    e = f"{t}/engagements/{engagement.pk}"
    with scope(tenant=tenant):
        leaves = list(engagement.scope_items.order_by("position"))
    assert len(leaves) == 49
    due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()

    # The administrator: the scope picker (model by name, tree of boxes) and the team form.
    login(page, base, world.admin, language)
    page.goto(f"{t}/engagements/new/")
    page.select_option("select[name=model_version]", str(world.version.pk))
    assert page.locator(".scope-picker:not([hidden]) input[name=scope_items]").count() >= 49
    page.locator(".scope-picker:not([hidden]) input[type=checkbox]").first.focus()
    page.keyboard.press("Space")  # the first part, ticked from the keyboard: all beneath it
    assert page.locator(".scope-picker:not([hidden]) input[name=scope_items]:checked").count() > 1
    _shot(page, name, "1-scope-picker")
    assert serious_violations(page) == []
    page.goto(f"{e}/team/")
    _shot(page, name, "2-team")
    assert serious_violations(page) == []

    # The client assesses itself.
    login(page, base, world.client, language)
    page.goto(f"{e}/self-assessment/")
    for leaf, level in zip(leaves[:6], (3, 2, 4, 1, 3, 2), strict=True):
        page.select_option(f"select[name=level_{leaf.pk}]", str(level))
        page.select_option(f"select[name=target_{leaf.pk}]", "4")
    page.fill(f"input[name=note_{leaves[0].pk}]", "每次合并都部署。")
    _submit(page, f"select[name=level_{leaves[0].pk}]")
    _saved(page)
    _shot(page, name, "3-self-assessment")
    with scope(tenant=tenant):
        assert SelfRating.objects.filter(engagement=engagement).count() == 6

    # Evidence collection opens; an assessor asks for evidence.
    login(page, base, world.admin, language)
    page.goto(f"{e}/")
    _submit(page, "input[name=to][value=evidence]")
    _saved(page)
    login(page, base, world.lead, language)
    page.goto(f"{e}/requests/")
    page.fill("input[name=title]", "Pipeline run logs of the last month")
    page.fill("input[name=due_date]", due)
    _submit(page, "input[name=title]")
    _saved(page)
    with scope(tenant=tenant):
        asked = EvidenceRequest.objects.get(engagement=engagement)

    # The client sees it in its queue, uploads several files at once linked to sub-items and
    # answers the request.
    login(page, base, world.client, language)
    page.goto(base + "/")
    page.wait_for_selector("table.queue tr[data-kind=requests_to_answer]")
    _shot(page, name, "4-client-queue")
    assert serious_violations(page) == []
    page.goto(f"{e}/evidence/new/")
    files = []
    for index, stem in enumerate(("流水线日志", "deploy-history", "rollback-drill")):
        path = tmp_path / f"{stem}-{index}.pdf"
        path.write_bytes(PDF)
        files.append(str(path))
    page.set_input_files("input[name=file]", files)
    linked = [str(leaf.pk) for leaf in leaves[:3]]
    page.select_option("select[name=items]", linked)
    page.fill("textarea[name=description]", "Pipeline evidence")
    _submit(page, "input[name=file]")
    _saved(page)
    _shot(page, name, "5-uploaded")
    page.goto(f"{e}/requests/{asked.pk}/")
    _answer(page)
    _saved(page)

    # Pre-review: a correction is asked for, made, and accepted.
    login(page, base, world.lead, language)
    page.goto(base + "/")
    page.wait_for_selector("table.queue tr[data-kind=requests_to_prereview]")
    _shot(page, name, "6-assessor-queue")
    page.goto(f"{e}/requests/{asked.pk}/")
    page.check("input[name=accept][value='0']")
    page.fill("textarea[name=note]", "The logs of week 3 are missing.")
    page.fill("input[name=correction_due]", due)
    _submit(page, "input[name=review]")
    _saved(page)
    login(page, base, world.client, language)
    page.goto(f"{e}/requests/{asked.pk}/")
    _shot(page, name, "7-correction-asked")
    page.fill("textarea[name=note]", "Week 3 added.")
    _answer(page)
    _saved(page)
    login(page, base, world.lead, language)
    page.goto(f"{e}/requests/{asked.pk}/")
    page.check("input[name=accept][value='1']")
    _submit(page, "input[name=review]")
    _saved(page)
    with scope(tenant=tenant):
        asked.refresh_from_db()
        assert asked.status == EvidenceRequest.Status.ACCEPTED

    # The assessment: the whole scope rated from the keyboard in the grid.
    page.goto(f"{e}/")
    _submit(page, "input[name=to][value=assessment]")
    _saved(page)
    page.goto(f"{e}/grid/")
    strokes, cells, seconds = rate_everything_from_the_keyboard(page)
    print(f"\njourney_rating_seconds: {seconds:.3f} s ({name}, {cells} cells, {strokes} keys)")
    _leaves, requirements, rated = leaves_fully_rated(world)
    assert rated == requirements > 0
    page.reload()
    assert page.locator("button.rate.r-none").count() == 0
    assert page.locator("tr.leaf .self-level").count() == 6
    assert page.locator("tr.leaf details.row-files").count() == 3
    _shot(page, name, "8-grid-rated")
    page.goto(f"{e}/items/{leaves[0].pk}/finding/")
    assert page.locator(".self-view").count() == 1
    assert page.locator("table.finding-rows").count() == 1
    _shot(page, name, "9-finding")
    assert serious_violations(page) == []

    # The client's review of the draft report (the report's PDF is made elsewhere).
    with scope(tenant=tenant):
        Report.objects.create(
            tenant=tenant,
            engagement=engagement,
            version=1,
            status=Report.Status.READY,
            requested_by=world.lead.user,
        )
    page.goto(f"{base}/t/{tenant.slug}/engagements/{engagement.pk}/report-review/")
    page.fill("input[name=due_date]", due)
    _submit(page, "input[name=send]")
    _saved(page)
    login(page, base, world.client, language)
    page.goto(f"{base}/t/{tenant.slug}/engagements/{engagement.pk}/report-review/")
    page.fill("textarea[name=body]", "第 2 页的组织名称应为全称。")
    _submit(page, "input[name=comment]")
    _saved(page)
    _submit(page, "input[name=accept]")
    _saved(page)
    _shot(page, name, "10-report-accepted")
    with scope(tenant=tenant):
        review = ReportReview.objects.get(engagement=engagement)
        assert review.status == ReportReview.Status.ACCEPTED
        assert CapabilityItem.objects.filter(pk__in=[int(pk) for pk in linked]).count() == 3
