"""Autosave of the rating grid through the API: POST /api/v1/t/<tenant>/ratings/."""

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import Finding, LevelRequirement, RequirementRating
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world


@pytest.fixture
def world(tenant):
    world = build_world(tenant, items=2)
    advance(world, "assessment")
    return world


def _url(world):
    return reverse("api:rating-list", args=[world.tenant.slug])


def _item(world, index=0):
    with scope(tenant=world.tenant):
        return world.engagement.scope_items.order_by("position")[index]


def _save(api, world, item, level, rating, version, **extra):
    body = {
        "engagement": world.engagement.pk,
        "item": item.pk,
        "level": level,
        "rating": rating,
        "version": version,
        **extra,
    }
    return api.post(_url(world), body, format="json")


def _counts(tenant):
    with scope(tenant=tenant):
        return (
            Finding.objects.count(),
            RequirementRating.objects.count(),
            AuditEntry.objects.count(),
        )


def test_rating_a_cell_rates_every_requirement_of_that_level(world, api_for):
    item = _item(world)
    response = _save(api_for(world.assessor), world, item, 1, "met", 0)
    assert response.status_code == 200, response.json()
    with scope(tenant=world.tenant):
        ratings = RequirementRating.objects.filter(finding__item=item)
        assert sorted(r.requirement.level for r in ratings) == [1, 1]
        assert {r.rating for r in ratings} == {"met"}
    cell = response.json()["cells"][0]
    assert cell["level"] == 1 and cell["rating"] == "met" and cell["version"] == 2


def test_the_answer_carries_the_recomputed_level_and_partial_display(world, api_for):
    api, item = api_for(world.assessor), _item(world)
    assert _save(api, world, item, 1, "met", 0).json()["display"] == "1"
    answer = _save(api, world, item, 2, "partially_met", 0).json()
    assert answer["level"] == 1 and answer["display"] == "2-"
    assert answer["below_target"] is True


def test_a_stale_version_is_refused_with_the_current_row_and_writes_nothing(world, api_for):
    item = _item(world)
    assert _save(api_for(world.lead), world, item, 2, "met", 0).status_code == 200
    before = _counts(world.tenant)
    response = _save(api_for(world.assessor), world, item, 2, "not_met", 0)
    assert response.status_code == 409
    body = response.json()
    assert str(world.lead.user) in body["detail"]
    assert body["current"]["cells"][1]["rating"] == "met"
    assert body["current"]["cells"][1]["version"] == 1
    assert _counts(world.tenant) == before


def test_a_save_with_the_current_version_changes_the_rating_and_its_version(world, api_for):
    api, item = api_for(world.assessor), _item(world)
    _save(api, world, item, 2, "met", 0)
    response = _save(api, world, item, 2, "not_met", 1, note="No CI server.")
    assert response.status_code == 200
    cell = response.json()["cells"][1]
    assert (cell["rating"], cell["version"], cell["note"]) == ("not_met", 2, "No CI server.")
    with scope(tenant=world.tenant):
        assert AuditEntry.objects.filter(verb="rating.changed").count() == 1


def test_one_requirement_is_rated_on_its_own(world, api_for):
    item = _item(world)
    with scope(tenant=world.tenant):
        first = LevelRequirement.objects.filter(item=item, level=1).order_by("position")[0]
    body = {
        "engagement": world.engagement.pk,
        "requirement": first.pk,
        "rating": "met",
        "version": 0,
    }
    response = api_for(world.assessor).post(_url(world), body, format="json")
    assert response.status_code == 200
    assert response.json()["cells"][0]["rating"] == "mixed"


def test_the_finding_page_changing_a_rating_makes_the_grid_version_stale(world, api_for):
    from assessments.services import findings

    api, item = api_for(world.assessor), _item(world)
    _save(api, world, item, 2, "met", 0)
    with scope(tenant=world.tenant):
        requirement = LevelRequirement.objects.get(item=item, level=2)
        findings.record_finding(
            engagement=world.engagement,
            item=item,
            by=world.lead,
            ratings={requirement.pk: ("not_met", "")},
        )
    assert _save(api, world, item, 2, "partially_met", 1).status_code == 409


@pytest.mark.parametrize("who", ["reviewer", "officer", "observer", "client", "admin"])
def test_only_the_assessment_team_rates_and_a_refusal_writes_nothing(world, api_for, who):
    before = _counts(world.tenant)
    response = _save(api_for(getattr(world, who)), world, _item(world), 1, "met", 0)
    assert response.status_code in (403, 404)
    assert _counts(world.tenant) == before


def test_an_outsider_assessor_is_refused_and_nothing_changes(world, api_for):
    before = _counts(world.tenant)
    response = _save(api_for(world.outsider_assessor), world, _item(world), 1, "met", 0)
    assert response.status_code == 403
    assert _counts(world.tenant) == before


def test_rating_before_evidence_collection_is_a_conflict(tenant, api_for):
    world = build_world(tenant, items=1)
    advance(world, "planning")
    before = _counts(tenant)
    response = _save(api_for(world.assessor), world, _item(world), 1, "met", 0)
    assert response.status_code == 409
    assert _counts(tenant) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": "excellent"}, "rating"),
        ({"level": 9}, "level"),
        ({"version": -1}, "version"),
        ({"item": None, "level": None}, "item"),
        ({"item": 10**12}, "item"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, api_for, change, field):
    before = _counts(world.tenant)
    body = {
        "engagement": world.engagement.pk,
        "item": _item(world).pk,
        "level": 1,
        "rating": "met",
        "version": 0,
        **change,
    }
    response = api_for(world.assessor).post(_url(world), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _counts(world.tenant) == before


def test_an_item_outside_the_scope_is_a_400(tenant, world, api_for):
    other = build_world(tenant, items=1)
    with scope(tenant=tenant):
        foreign = other.engagement.scope_items.first()
    response = _save(api_for(world.assessor), world, foreign, 1, "met", 0)
    assert response.status_code == 400 and "item" in response.json()


# Outside a test transaction, as in production: no savepoints around the service's atomic block.
@pytest.mark.django_db(transaction=True)
def test_one_autosave_takes_at_most_ten_queries(world, api_for, django_assert_max_num_queries):
    from django.contrib.contenttypes.models import ContentType

    api, item = api_for(world.assessor), _item(world)
    ContentType.objects.get_for_models(Finding, RequirementRating)  # cached in a running process
    # The leaf's first rating also makes its finding: one INSERT more (BEGIN and COMMIT count).
    with django_assert_max_num_queries(11):
        response = _save(api, world, item, 1, "met", 0)
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        response = _save(api, world, item, 1, "not_met", 2)
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        response = _save(api, world, item, 3, "met", 0)
    assert response.status_code == 200


def test_the_findings_list_of_a_large_engagement_comes_in_one_request(tenant, api_for):
    from tests.factories_assessments import make_model_version

    world = build_world(tenant, version=make_model_version(domains=1, items_per_domain=200))
    advance(world, "assessment")
    with scope(tenant=tenant):
        items = list(world.engagement.scope_items.all())
        made = Finding.objects.bulk_create(
            Finding(tenant=tenant, engagement=world.engagement, item=i, updated_by=world.lead.user)
            for i in items
        )
        by_item = {f.item_id: f for f in made}
        RequirementRating.objects.bulk_create(
            RequirementRating(
                tenant=tenant,
                finding=by_item[r.item_id],
                requirement=r,
                rating="met",
                rated_by=world.lead.user,
            )
            for r in LevelRequirement.objects.filter(item__in=items)
        )
    url = reverse("api:finding-list", args=[tenant.slug])
    response = api_for(world.lead).get(url, {"engagement": world.engagement.pk, "page_size": 500})
    assert response.status_code == 200
    assert response.json()["count"] == 200
    assert sum(len(f["rated"]) for f in response.json()["results"]) == 1200
