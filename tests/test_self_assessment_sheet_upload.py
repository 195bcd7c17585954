"""The filled-in self-assessment sheet recorded as the client's self-assessment (issue 11, 3;
issue 15, 3): the client downloads its engagement's sheet, fills in the 自评 column ("3" or
"3-") and uploads it, in the browser and through the API; a sheet with a problem stores nothing
and names its rows."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments.models import SelfRating
from assessments.services import library
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world
from tests.test_self_assessment_sheet import CD

SELF_COLUMN = 10  # 4 layers, 5 levels, then 自评


@pytest.fixture
def cd_version(db):
    with scopes_disabled():
        version = library.import_model_document(document=CD)
        return library.publish_version(version=version)


@pytest.fixture
def world(tenant, cd_version):
    # Scope: the 配置管理 sub-domain only (its sub-items), so other rows fall outside it.
    w = build_world(tenant, version=cd_version, scope_codes=("CD.CM",))
    advance(w, "planning")
    return w


def _in_scope(world):
    with scope(tenant=world.tenant):
        return {item.code: item for item in world.engagement.scope_items.all()}


def _filled(data, ratings):
    """The downloaded sheet with the 自评 cell of each {code: value} filled in."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    codes = {
        sheet.cell(row=r, column=sheet.max_column).value: r for r in range(4, sheet.max_row + 1)
    }
    for code, value in ratings.items():
        sheet.cell(row=codes[code], column=SELF_COLUMN, value=value)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "self-assessment.xlsx"
    return out


def _page(world):
    return reverse("assessments:self_assessment", args=[world.tenant.slug, world.engagement.pk])


def _sheet_url(world):
    return reverse(
        "assessments:self_assessment_sheet", args=[world.tenant.slug, world.engagement.pk]
    )


def test_the_client_downloads_fills_in_and_uploads_the_sheet(world, client_for):
    browser = client_for(world.client)
    page = browser.get(_page(world))
    assert _sheet_url(world) in page.content.decode()
    download = browser.get(_sheet_url(world) + "?language=zh")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    scope_codes = sorted(_in_scope(world))
    first, second = scope_codes[:2]
    outside = "CD.AT.CI.FB" if "CD.AT.CI.FB" in {leaf.code for leaf in CD.all_leaves()} else None
    ratings = {first: "3-", second: 2}
    if outside is None:
        outside = next(leaf.code for leaf in CD.all_leaves() if leaf.code not in scope_codes)
    ratings[outside] = "4"
    response = browser.post(_sheet_url(world), {"file": _filled(download.content, ratings)})
    assert response.status_code == 302, response.content.decode()[:2000]
    items = _in_scope(world)
    with scope(tenant=world.tenant):
        rows = {r.item.code: r for r in SelfRating.objects.select_related("item")}
        assert set(rows) == {first, second}
        assert (rows[first].level, rows[first].partial_next, rows[first].display) == (2, True, "3-")
        assert (rows[second].level, rows[second].partial_next) == (2, False)
        assert rows[first].target_level == world.engagement.target_level
        assert rows[first].item == items[first]
        assert AuditEntry.objects.filter(verb="self_assessment.rated").count() == 2
    shown = browser.get(_page(world)).content.decode()
    assert outside in shown  # the warning names what was skipped
    assert "3-" in shown


def test_the_downloaded_sheet_carries_the_ratings_so_far(world, client_for):
    browser = client_for(world.client)
    code = sorted(_in_scope(world))[0]
    data = browser.get(_sheet_url(world)).content
    browser.post(_sheet_url(world), {"file": _filled(data, {code: "4-"})})
    again = openpyxl.load_workbook(io.BytesIO(browser.get(_sheet_url(world)).content)).active
    row = next(
        r for r in range(4, again.max_row + 1) if again.cell(r, again.max_column).value == code
    )
    assert again.cell(row, SELF_COLUMN).value == "4-"
    assert again.cell(2, 2).value == world.engagement.organization.legal_name


def test_a_sheet_with_a_bad_row_stores_nothing_and_names_the_row(world, client_for, api_for):
    browser = client_for(world.client)
    first, second = sorted(_in_scope(world))[:2]
    data = browser.get(_sheet_url(world)).content
    response = browser.post(_sheet_url(world), {"file": _filled(data, {first: "3", second: "7"})})
    assert response.status_code == 400
    body = response.content.decode()
    assert "row " in body and "sheet-errors" in body
    api = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/self-ratings/import-sheet/",
        {"engagement": world.engagement.pk, "file": _filled(data, {first: "3", second: "7"})},
        format="multipart",
    )
    assert api.status_code == 400 and "file" in api.json()
    assert any("row" in line for line in api.json()["file"])
    not_a_sheet = io.BytesIO(b"%PDF-1.4 not a workbook")
    not_a_sheet.name = "x.xlsx"
    response = browser.post(_sheet_url(world), {"file": not_a_sheet})
    assert response.status_code == 400 and "xlsx" in response.content.decode()
    with scope(tenant=world.tenant):
        assert not SelfRating.objects.exists()


def test_the_api_downloads_and_imports_the_sheet(world, api_for):
    api = api_for(world.client)
    base = f"/api/v1/t/{world.tenant.slug}/self-ratings/"
    download = api.get(f"{base}sheet/{world.engagement.pk}/?language=en")
    assert download.status_code == 200
    first = sorted(_in_scope(world))[0]
    response = api.post(
        f"{base}import-sheet/",
        {"engagement": world.engagement.pk, "file": _filled(download.content, {first: "2-"})},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["skipped"] == []
    assert [(r["item_code"], r["display"], r["level"]) for r in body["ratings"]] == [
        (first, "2-", 1)
    ]
    assert api.get(f"{base}sheet/{world.engagement.pk}/?language=fr").status_code == 400
    assert api.post(f"{base}import-sheet/", {"engagement": world.engagement.pk}).status_code == 400


def test_the_team_and_other_clients_cannot_import_a_sheet(world, client_for, api_for):
    data = client_for(world.client).get(_sheet_url(world)).content
    first = sorted(_in_scope(world))[0]
    for who in (world.lead, world.other_client):
        response = api_for(who).post(
            f"/api/v1/t/{world.tenant.slug}/self-ratings/import-sheet/",
            {"engagement": world.engagement.pk, "file": _filled(data, {first: "3"})},
            format="multipart",
        )
        assert response.status_code in (400, 403, 404)
        assert client_for(who).post(
            _sheet_url(world), {"file": _filled(data, {first: "3"})}
        ).status_code in (403, 404)
    with scope(tenant=world.tenant):
        assert not SelfRating.objects.exists()


def test_the_form_takes_the_standards_n_minus_notation(world, client_for):
    first = sorted(_in_scope(world))[0]
    item = _in_scope(world)[first]
    response = client_for(world.client).post(
        _page(world), {f"level_{item.pk}": "3-", f"target_{item.pk}": "3"}
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        row = SelfRating.objects.get()
        assert (row.level, row.partial_next, row.target_level) == (2, True, 3)
    page = client_for(world.client).get(_page(world)).content.decode()
    assert 'value="3-" selected' in page
    bad = client_for(world.client).post(_page(world), {f"level_{item.pk}": "1-"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
