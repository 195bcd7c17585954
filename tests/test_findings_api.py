"""Recording a finding through the API (POST /api/v1/t/<tenant>/findings/): the hot path of
assessors rating items (make bench-load's heaviest request)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from assessments.models import LevelRequirement, RequirementRating
from tests.engagement_world import advance, build_world


@pytest.fixture
def world(tenant):
    world = build_world(tenant, items=2)
    advance(world, "assessment")
    return world


def _item_and_requirements(world):
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.order_by("position").first()
        return item, list(LevelRequirement.objects.filter(item=item).values_list("pk", flat=True))


def _record(api, world, item, ratings):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/findings/",
        {
            "engagement": world.engagement.pk,
            "item": item.pk,
            "narrative": "Seen.",
            "ratings": ratings,
        },
        format="json",
    )


def test_the_requirements_of_the_ratings_are_read_in_one_query(world, api_for):
    item, requirements = _item_and_requirements(world)
    assert len(requirements) > 2
    ratings = [{"requirement": pk, "rating": "met"} for pk in requirements]
    with CaptureQueriesContext(connection) as queries:
        response = _record(api_for(world.lead), world, item, ratings)
    assert response.status_code == 201, response.json()
    reads = [q["sql"] for q in queries if 'FROM "assessments_levelrequirement"' in q["sql"]]
    assert len(reads) == 1, reads
    with scope(tenant=world.tenant):
        assert RequirementRating.objects.filter(finding__item=item).count() == len(requirements)


@pytest.mark.parametrize("requirement", [0, -3, 2**70, "x"])
def test_a_requirement_id_that_cannot_exist_is_a_400_naming_ratings(world, api_for, requirement):
    item, _ = _item_and_requirements(world)
    response = _record(
        api_for(world.lead), world, item, [{"requirement": requirement, "rating": "met"}]
    )
    assert response.status_code == 400
    assert "ratings" in response.json()


def test_a_requirement_of_another_item_is_a_400_and_writes_nothing(world, api_for):
    item, _ = _item_and_requirements(world)
    with scope(tenant=world.tenant):
        other = world.engagement.scope_items.order_by("position").last()
        foreign = LevelRequirement.objects.filter(item=other).first().pk
    response = _record(
        api_for(world.lead), world, item, [{"requirement": foreign, "rating": "met"}]
    )
    assert response.status_code == 400
    assert "ratings" in response.json()
    with scope(tenant=world.tenant):
        assert not RequirementRating.objects.filter(finding__item=item).exists()


def test_the_audit_entries_of_the_ratings_go_in_together(world, api_for):
    item, requirements = _item_and_requirements(world)
    ratings = [{"requirement": pk, "rating": "met"} for pk in requirements]
    with CaptureQueriesContext(connection) as queries:
        response = _record(api_for(world.lead), world, item, ratings)
    assert response.status_code == 201
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "portal_auditentry"')]
    assert len(inserts) <= 2, inserts  # the finding's own entry, then every rating's at once
    with scope(tenant=world.tenant):
        from portal.models import AuditEntry

        recorded = AuditEntry.objects.filter(verb="rating.recorded", engagement=world.engagement)
        assert recorded.count() == len(requirements)
