"""An engagement from creation to closing, through the browser's pages (the test client)."""

import re

from django.core import mail
from django.urls import reverse
from django_scopes import scope

from assessments.models import Engagement, Evidence, Finding, LevelRequirement
from portal.models import AuditEntry
from tests.engagement_world import build_world, pdf_upload


def _url(world, name, *args):
    return reverse(f"assessments:{name}", args=[world.tenant.slug, *args])


def test_a_whole_engagement_through_the_pages(
    tenant, client_for, django_capture_on_commit_callbacks
):
    world = build_world(tenant)
    e = world.engagement
    admin, lead, client = (
        client_for(world.admin),
        client_for(world.lead),
        client_for(world.client),
    )
    assessor, reviewer, officer = (
        client_for(world.assessor),
        client_for(world.reviewer),
        client_for(world.officer),
    )

    def step(who, to):
        response = who.post(_url(world, "engagement_transition", e.pk), {"to": to})
        assert response.status_code == 302
        with scope(tenant=tenant):
            assert Engagement.objects.get(pk=e.pk).state == to, to

    step(admin, "planning")
    with django_capture_on_commit_callbacks(execute=True):
        step(lead, "evidence")
    assert any(world.client.user.email in m.to for m in mail.outbox)

    # The client uploads a file with a Chinese name; it is stored under a generated name.
    with scope(tenant=tenant):
        item = linked = e.scope_items.order_by("position").first()
    response = client.post(
        _url(world, "evidence_upload", e.pk),
        {"file": pdf_upload("持续交付证据.pdf"), "description": "流水线截图", "items": [item.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scope(tenant=tenant):
        evidence = Evidence.objects.get(engagement=e)
    assert evidence.original_name == "持续交付证据.pdf"
    assert "持续交付" not in evidence.file.name and evidence.content_type == "application/pdf"
    step(lead, "assessment")

    # The assessor rates every requirement of every item on the finding page, referring to the
    # file where it is linked (a finding is offered only the files linked to its item).
    with scope(tenant=tenant):
        items = list(e.scope_items.all())
        requirements = {i.pk: list(LevelRequirement.objects.filter(item=i)) for i in items}
    for item in items:
        data = {"narrative": "Pipelines seen.", "final": "on"}
        if item == linked:
            data["evidence"] = [evidence.pk]
        for r in requirements[item.pk]:
            data[f"rating_{r.pk}"] = "met" if r.level <= 3 else "not_met"
        response = assessor.post(_url(world, "finding_edit", e.pk, item.pk), data)
        assert response.status_code == 302, response.content.decode()[:3000]
    page = lead.get(_url(world, "engagement_detail", e.pk)).content.decode()
    assert re.search(r"Overall:</strong> level 3", page)
    step(lead, "review")

    assert (
        reviewer.post(
            _url(world, "review_create", e.pk), {"outcome": "approved", "comments": "Fine."}
        ).status_code
        == 302
    )
    step(reviewer, "decision")
    response = officer.post(
        _url(world, "decision_create", e.pk),
        {"outcome": "granted", "level": 3, "reasons": "Level 3 met."},
    )
    assert response.status_code == 302
    step(officer, "closed")

    with scope(tenant=tenant):
        verbs = list(AuditEntry.objects.filter(engagement=e).values_list("verb", flat=True))
        assert Finding.objects.filter(engagement=e, status="final").count() == len(items)
    assert verbs.count("engagement.transition") == 6
    for verb in (
        "engagement.created",
        "assignment.added",
        "evidence.uploaded",
        "rating.recorded",
        "finding.recorded",
        "review.recorded",
        "decision.recorded",
    ):
        assert verb in verbs
    timeline = admin.get(_url(world, "engagement_timeline", e.pk)).content.decode()
    assert "decision.recorded" in timeline


def test_a_guard_says_in_words_what_is_missing(tenant, client_for):
    world = build_world(tenant, items=3)
    from tests.engagement_world import advance

    advance(world, "assessment")
    page = client_for(world.lead).get(_url(world, "engagement_detail", world.engagement.pk))
    assert "3 items in scope have no final finding." in page.content.decode()
    response = client_for(world.lead).post(
        _url(world, "engagement_transition", world.engagement.pk),
        {"to": "review"},
        follow=True,
    )
    assert "3 items in scope have no final finding." in response.content.decode()
