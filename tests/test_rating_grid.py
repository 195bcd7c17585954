"""The rating grid page: rows per leaf with level cells, domain pages, filters, who sees it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from assessments.models import LevelRequirement
from assessments.services import findings, ratings
from tests.engagement_world import advance, build_world


@pytest.fixture
def world(tenant):
    world = build_world(tenant, items=3)
    advance(world, "assessment")
    return world


def _url(world, **params):
    url = reverse("assessments:rating_grid", args=[world.tenant.slug, world.engagement.pk])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params, doseq=True)
    return url


def _items(world):
    with scope(tenant=world.tenant):
        return list(world.engagement.scope_items.order_by("position"))


def _rate(world, item, level, rating="met", who=None):
    with scope(tenant=world.tenant):
        return ratings.rate(
            engagement=world.engagement,
            by=who or world.assessor,
            rating=rating,
            version=0,
            item_id=item.pk,
            level=level,
        )


def test_the_grid_shows_a_row_per_leaf_with_a_cell_per_level(world, client_for):
    response = client_for(world.assessor).get(_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    for item in _items(world):
        assert f'data-item="{item.pk}"' in html
    assert html.count('class="rate r-none"') == 3 * 5
    assert "grid.js" in html


def test_a_rated_cell_shows_its_rating_and_the_row_its_level(world, client_for):
    item = _items(world)[0]
    _rate(world, item, 1)
    _rate(world, item, 2, "partially_met")
    html = client_for(world.assessor).get(_url(world)).content.decode()
    assert 'class="rate r-met"' in html and 'class="rate r-partially_met"' in html
    assert "<strong data-display>2-</strong>" in html


def test_the_engagement_page_links_to_the_grid_for_the_team(world, client_for):
    page = reverse("assessments:engagement_detail", args=[world.tenant.slug, world.engagement.pk])
    assert _url(world) in client_for(world.assessor).get(page).content.decode()
    assert _url(world) not in client_for(world.client).get(page).content.decode()


@pytest.mark.parametrize("who", ["client", "other_client", "outsider_assessor"])
def test_people_who_may_not_see_findings_do_not_see_the_grid(world, client_for, who):
    assert client_for(getattr(world, who)).get(_url(world)).status_code in (403, 404)


def test_the_reviewer_reads_the_grid_without_rating_it(world, client_for):
    html = client_for(world.reviewer).get(_url(world)).content.decode()
    assert "disabled" in html and "grid.js" not in html


def test_a_domain_page_shows_only_that_domain(tenant, client_for):
    from tests.factories_assessments import make_model_version

    world = build_world(tenant, items=1)
    with scope(tenant=tenant):
        version = make_model_version(domains=2, items_per_domain=2)
        world.engagement.model_version = version
        world.engagement.save()
        world.engagement.scope_items.set(version_items(version))
    html = client_for(world.admin).get(_url(world, domain="D1")).content.decode()
    assert "D1.I0" in html and "D0.I0" not in html
    assert client_for(world.admin).get(_url(world, domain="NOPE")).status_code == 404


def version_items(version):
    from assessments.models import CapabilityItem

    return CapabilityItem.objects.filter(version=version)


def test_the_unrated_filter_leaves_out_rated_items(world, client_for):
    first, second, _third = _items(world)
    for level in range(1, 6):
        _rate(world, first, level)
    html = client_for(world.assessor).get(_url(world, filter="unrated")).content.decode()
    assert f'data-item="{first.pk}"' not in html and f'data-item="{second.pk}"' in html


def test_the_mine_filter_shows_what_i_rated(world, client_for):
    first, second, _third = _items(world)
    _rate(world, first, 1, who=world.assessor)
    _rate(world, second, 1, who=world.lead)
    html = client_for(world.assessor).get(_url(world, filter="mine")).content.decode()
    assert f'data-item="{first.pk}"' in html and f'data-item="{second.pk}"' not in html


def test_the_nonconformity_filter_shows_items_with_one(world, client_for):
    first, second, _third = _items(world)
    with scope(tenant=world.tenant):
        finding = findings.record_finding(
            engagement=world.engagement, item=second, by=world.assessor, ratings={}
        )
        findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="No branch rules.",
        )
    html = client_for(world.assessor).get(_url(world, filter="nonconformity")).content.decode()
    assert f'data-item="{second.pk}"' in html and f'data-item="{first.pk}"' not in html


def test_the_below_target_filter_leaves_out_items_at_the_target(world, client_for):
    first, second, _third = _items(world)
    for level in (1, 2, 3):
        _rate(world, first, level)
    html = client_for(world.assessor).get(_url(world, filter="below_target")).content.decode()
    assert f'data-item="{first.pk}"' not in html and f'data-item="{second.pk}"' in html


def test_progress_counts_the_cells_fully_rated(world, client_for):
    first = _items(world)[0]
    _rate(world, first, 1)
    with scope(tenant=world.tenant):
        requirement = LevelRequirement.objects.filter(item=first, level=2).first()
        ratings.rate(
            engagement=world.engagement,
            by=world.assessor,
            rating="met",
            version=0,
            requirement_id=requirement.pk,
        )
    html = client_for(world.assessor).get(_url(world)).content.decode()
    assert 'max="15" value="2"' in html


def _grid_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_grid_takes_the_same_number_of_queries_for_more_items(tenant, client_for):
    small, large = build_world(tenant, items=2), build_world(tenant, items=12)
    advance(small, "assessment")
    advance(large, "assessment")
    for world in (small, large):
        for item in _items(world):
            _rate(world, item, 1)
    counts = [_grid_queries(client_for(world.lead), _url(world)) for world in (small, large, small)]
    assert counts[1] == counts[2]
