"""The rating rows, on the grid and the finding page: the client's self-rating beside the
assessors' level, and only the evidence linked to that leaf or its requirements."""

from django.urls import reverse
from django_scopes import scope

from assessments.models import Finding, LevelRequirement
from assessments.services import evidence as evidence_services
from assessments.services import self_assessment
from tests.engagement_world import advance, build_world, pdf_upload


def _world(tenant):
    world = build_world(tenant, items=2)
    advance(world, "planning")
    with scope(tenant=tenant):
        first, second = list(world.engagement.scope_items.order_by("code"))
        self_assessment.self_assess(
            engagement=world.engagement,
            by=world.client,
            ratings={first.pk: (4, 5, "We deploy on every merge.")},
        )
    advance(world, "evidence")
    with scope(tenant=tenant):
        requirement = LevelRequirement.objects.filter(item=first, level=2).first()
        evidence_services.upload_many(
            engagement=world.engagement,
            by=world.client,
            files=[pdf_upload("pipeline-runs.pdf")],
            requirement_ids=[requirement.pk],
        )
        evidence_services.upload_many(
            engagement=world.engagement,
            by=world.client,
            files=[pdf_upload("rollback-drill.pdf")],
            item_ids=[second.pk],
        )
    advance(world, "assessment")  # uploads one unlinked file on the way
    return world, first, second


def test_the_finding_page_shows_the_clients_own_view_beside_the_assessors(tenant, client_for):
    world, first, second = _world(tenant)
    url = reverse("assessments:finding_edit", args=[tenant.slug, world.engagement.pk, first.pk])
    html = client_for(world.lead).get(url).content.decode()
    assert "The client’s own view" in html
    assert "We deploy on every merge." in html
    assert "rated itself higher" in html  # 4 against nothing rated yet
    other = reverse("assessments:finding_edit", args=[tenant.slug, world.engagement.pk, second.pk])
    assert (
        "The client has not rated this item." in client_for(world.lead).get(other).content.decode()
    )


def test_the_finding_page_offers_only_the_evidence_linked_to_the_leaf(tenant, client_for):
    world, first, second = _world(tenant)
    url = reverse("assessments:finding_edit", args=[tenant.slug, world.engagement.pk, first.pk])
    html = client_for(world.lead).get(url).content.decode()
    assert "pipeline-runs.pdf" in html
    assert "rollback-drill.pdf" not in html
    assert "evidence.pdf" not in html  # the file linked to nothing
    other = reverse("assessments:finding_edit", args=[tenant.slug, world.engagement.pk, second.pk])
    html = client_for(world.lead).get(other).content.decode()
    assert "rollback-drill.pdf" in html and "pipeline-runs.pdf" not in html


def test_each_grid_row_shows_its_own_evidence_and_the_clients_level(tenant, client_for):
    world, first, second = _world(tenant)
    url = reverse("assessments:rating_grid", args=[tenant.slug, world.engagement.pk])
    html = client_for(world.lead).get(url).content.decode()
    rows = {
        item.pk: html.split(f'data-item="{item.pk}"')[1].split("</tr>")[0]
        for item in (first, second)
    }
    assert "pipeline-runs.pdf" in rows[first.pk] and "rollback-drill.pdf" not in rows[first.pk]
    assert "rollback-drill.pdf" in rows[second.pk] and "pipeline-runs.pdf" not in rows[second.pk]
    assert "evidence.pdf" not in html
    assert 'class="self-level' in rows[first.pk] and 'class="self-level' not in rows[second.pk]


def test_a_finding_cannot_refer_to_a_file_not_linked_to_its_leaf(tenant, client_for):
    world, first, second = _world(tenant)
    with scope(tenant=tenant):
        unlinked = world.engagement.evidence.get(original_name="rollback-drill.pdf")
        before = Finding.objects.filter(engagement=world.engagement).count()
    url = reverse("assessments:finding_edit", args=[tenant.slug, world.engagement.pk, first.pk])
    response = client_for(world.lead).post(url, {"narrative": "x", "evidence": [unlinked.pk]})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    with scope(tenant=tenant):
        assert Finding.objects.filter(engagement=world.engagement).count() == before
