"""Client self-assessment (企业自评): the client rates itself per leaf with a target level before
the assessment; the team sees it beside its own levels, and the gap (issue 15, deliverable 3)."""

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import SelfRating
from assessments.selectors.work import self_assessment_gap
from assessments.services import self_assessment as services
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world, rate_everything


@pytest.fixture
def world(tenant):
    w = build_world(tenant)
    advance(w, "planning")
    return w


def _items(world):
    with scope(tenant=world.tenant):
        return list(world.engagement.scope_items.order_by("position"))


def _url(world):
    return reverse("assessments:self_assessment", args=[world.tenant.slug, world.engagement.pk])


def test_the_client_rates_itself_in_the_table_form(world, client_for):
    first, second = _items(world)
    response = client_for(world.client).post(
        _url(world),
        {
            f"level_{first.pk}": "2",
            f"target_{first.pk}": "3",
            f"level_{second.pk}": "4",
            f"target_{second.pk}": "",
        },
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        rows = {r.item_id: (r.level, r.target_level) for r in SelfRating.objects.all()}
        assert rows == {first.pk: (2, 3), second.pk: (4, None)}
        assert AuditEntry.objects.filter(verb="self_assessment.rated").count() == 2


def test_a_level_above_the_model_is_a_400_naming_the_field(world, api_for):
    first, _ = _items(world)
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/self-ratings/",
        {"engagement": world.engagement.pk, "ratings": [{"item": first.pk, "level": 9}]},
        format="json",
    )
    assert response.status_code == 400 and "ratings" in response.json()
    with scope(tenant=world.tenant):
        assert not SelfRating.objects.exists()


def test_the_team_cannot_self_assess_for_the_client(world, api_for):
    first, _ = _items(world)
    for who in (world.lead, world.other_client):
        response = api_for(who).post(
            f"/api/v1/t/{world.tenant.slug}/self-ratings/",
            {"engagement": world.engagement.pk, "ratings": [{"item": first.pk, "level": 2}]},
            format="json",
        )
        assert response.status_code in (403, 404)
    with scope(tenant=world.tenant):
        assert not SelfRating.objects.exists()


def test_the_self_assessment_closes_when_the_assessment_starts(world, api_for):
    advance(world, "assessment")
    first, _ = _items(world)
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/self-ratings/",
        {"engagement": world.engagement.pk, "ratings": [{"item": first.pk, "level": 2}]},
        format="json",
    )
    assert response.status_code == 409


def test_the_gap_is_the_assessed_level_minus_the_self_rating(world):
    first, second = _items(world)
    with scope(tenant=world.tenant):
        services.self_assess(
            engagement=world.engagement,
            by=world.client,
            ratings={first.pk: (4, 4, ""), second.pk: (1, None, "")},
        )
    advance(world, "assessment")
    with scope(tenant=world.tenant):
        rate_everything(world, world.engagement, up_to_level=3)
        rows = {row.code: row for row in self_assessment_gap(world.engagement)}
    assert rows[first.code].self_level == 4 and rows[first.code].assessed == 3
    assert rows[first.code].gap == -1
    assert rows[second.code].gap == 2


def test_the_team_sees_the_self_rating_beside_its_own(world, client_for):
    first, _ = _items(world)
    with scope(tenant=world.tenant):
        services.self_assess(
            engagement=world.engagement, by=world.client, ratings={first.pk: (2, 3, "")}
        )
    html = (
        client_for(world.lead)
        .get(
            reverse("assessments:engagement_detail", args=[world.tenant.slug, world.engagement.pk])
        )
        .content.decode()
    )
    assert "Self-assessment" in html and 'data-self-level="2"' in html


def test_the_api_lists_self_ratings_to_the_team_and_the_client_only(world, api_for):
    first, _ = _items(world)
    with scope(tenant=world.tenant):
        services.self_assess(
            engagement=world.engagement, by=world.client, ratings={first.pk: (2, 3, "")}
        )
    url = f"/api/v1/t/{world.tenant.slug}/self-ratings/"
    assert len(api_for(world.lead).get(url).json()["results"]) == 1
    assert len(api_for(world.client).get(url).json()["results"]) == 1
    assert len(api_for(world.other_client).get(url).json()["results"]) == 0
    assert len(api_for(world.outsider_assessor).get(url).json()["results"]) == 0
