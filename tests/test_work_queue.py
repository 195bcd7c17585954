"""What needs me: the assessment work waiting for each person, on the dashboard and through the
API, decided by the access policy, in a number of queries that does not grow with the number
of engagements."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from assessments.models import Engagement, Finding
from assessments.services import evidence as evidence_services
from assessments.services import findings as finding_services
from assessments.services import requests as request_services
from tests.engagement_world import advance, build_world, pdf_upload

QUEUE = "/api/v1/me/queue/"


def _kinds(api, membership):
    response = api(membership).get(QUEUE)
    assert response.status_code == 200, response.content
    return {(e["kind"], e["reference"]): e for e in response.json()["entries"]}


def test_submitted_evidence_waits_for_the_assessors_only(tenant, api_for):
    world = build_world(tenant)
    advance(world, "evidence")
    with scope(tenant=tenant):
        evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    ref = world.engagement.reference
    for who in (world.lead, world.assessor):
        entry = _kinds(api_for, who)[("evidence_to_judge", ref)]
        assert entry["count"] == 1
        assert entry["url"].endswith(f"/engagements/{world.engagement.pk}/#evidence")
    for who in (world.observer, world.reviewer, world.officer, world.admin, world.client):
        assert ("evidence_to_judge", ref) not in _kinds(api_for, who)


def test_leaves_to_rate_count_down_as_they_are_rated(tenant, api_for):
    world = build_world(tenant, items=3)
    advance(world, "assessment")
    ref = world.engagement.reference
    assert _kinds(api_for, world.assessor)[("leaves_to_rate", ref)]["count"] == 3
    with scope(tenant=tenant):
        item = world.engagement.scope_items.order_by("code").first()
        finding_services.record_finding(
            engagement=world.engagement,
            item=item,
            by=world.assessor,
            ratings={r.pk: ("met", "") for r in item.requirements.all()},
        )
    assert _kinds(api_for, world.assessor)[("leaves_to_rate", ref)]["count"] == 2
    assert ("leaves_to_rate", ref) not in _kinds(api_for, world.reviewer)


def test_the_review_waits_for_the_reviewer_and_the_decision_for_the_officer(tenant, api_for):
    world = build_world(tenant)
    ref = world.engagement.reference
    advance(world, "review")
    assert ("review", ref) in _kinds(api_for, world.reviewer)
    assert ("decision", ref) not in _kinds(api_for, world.officer)
    advance(world, "decision")
    assert ("review", ref) not in _kinds(api_for, world.reviewer)
    entry = _kinds(api_for, world.officer)[("decision", ref)]
    assert entry["url"].endswith(f"/engagements/{world.engagement.pk}/decision/")
    for who in (world.admin, world.lead, world.client):
        assert ("decision", ref) not in _kinds(api_for, who)


def test_nonconformities_wait_for_the_client_then_for_the_assessors(tenant, api_for):
    world = build_world(tenant)
    advance(world, "assessment")
    ref = world.engagement.reference
    due = datetime.date(2020, 1, 31)  # long past: overdue
    with scope(tenant=tenant):
        advance(world, "assessment")
        item = world.engagement.scope_items.first()
        finding_services.record_finding(
            engagement=world.engagement, item=item, by=world.assessor, ratings={}
        )
        nc = finding_services.raise_nonconformity(
            engagement=world.engagement,
            finding=Finding.objects.get(engagement=world.engagement, item=item),
            by=world.lead,
            grade="minor",
            description="No rollback plan.",
            due_date=due,
        )
    entry = _kinds(api_for, world.client)[("nonconformities_to_answer", ref)]
    assert (entry["count"], entry["due"], entry["overdue"]) == (1, "2020-01-31", True)
    assert ("nonconformities_to_answer", ref) not in _kinds(api_for, world.assessor)
    assert ("nonconformities_to_verify", ref) not in _kinds(api_for, world.assessor)
    assert ("nonconformities_to_answer", ref) not in _kinds(api_for, world.other_client)
    with scope(tenant=tenant):
        finding_services.answer_nonconformity(
            nonconformity=nc, by=world.client, corrective_action="Rollback plan written."
        )
    assert ("nonconformities_to_answer", ref) not in _kinds(api_for, world.client)
    assert _kinds(api_for, world.assessor)[("nonconformities_to_verify", ref)]["count"] == 1


def test_evidence_requests_wait_for_the_client_then_for_the_pre_review(tenant, api_for):
    world = build_world(tenant)
    advance(world, "evidence")
    ref = world.engagement.reference
    due = datetime.date.today() + datetime.timedelta(days=10)
    with scope(tenant=tenant):
        request = request_services.request_evidence(
            engagement=world.engagement, by=world.lead, title="Pipeline logs", due_date=due
        )
    entry = _kinds(api_for, world.client)[("requests_to_answer", ref)]
    assert (entry["count"], entry["due"], entry["overdue"]) == (1, due.isoformat(), False)
    assert entry["url"].endswith(f"/engagements/{world.engagement.pk}/requests/")
    with scope(tenant=tenant):
        evidence = evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
        request_services.submit_request(
            request=request, by=world.client, evidence_ids=[evidence.pk]
        )
    assert ("requests_to_answer", ref) not in _kinds(api_for, world.client)
    assert _kinds(api_for, world.lead)[("requests_to_prereview", ref)]["count"] == 1


def _upload(world):
    with scope(tenant=world.tenant):
        evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )


def test_the_dashboard_shows_the_queue_with_counts_and_links(tenant, client_for):
    world = build_world(tenant)
    advance(world, "evidence")
    _upload(world)
    page = client_for(world.assessor).get(reverse("dashboard"))
    html = page.content.decode()
    assert "Assessment work waiting for me" in html
    assert "Evidence to judge" in html
    assert f"/t/{tenant.slug}/engagements/{world.engagement.pk}/#evidence" in html
    nothing = client_for(world.observer).get(reverse("dashboard")).content.decode()
    assert "Assessment work waiting for me" not in nothing


def _queries(api, membership):
    client = api(membership)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(QUEUE).status_code == 200
    return len(captured)


def test_the_queue_costs_the_same_queries_for_one_engagement_or_six(tenant, api_for):
    world = build_world(tenant)
    advance(world, "evidence")
    _upload(world)
    counts = {}
    for who in ("assessor", "client", "reviewer"):
        counts[who] = _queries(api_for, getattr(world, who))
    for _ in range(5):  # five more engagements of the same people, each with work waiting
        more = build_world(tenant, organization=world.organization, version=world.version)
        with scope(tenant=tenant):
            from assessments.services import engagements as services

            for member, role in ((world.assessor, "assessor"), (world.reviewer, "reviewer")):
                services.assign(
                    engagement=more.engagement, user=member.user, role=role, by=more.admin
                )
        advance(more, "evidence")
        _upload(more)
    with scope(tenant=tenant):
        assert Engagement.objects.filter(state="evidence").count() == 6
    entries = api_for(world.assessor).get(QUEUE).json()["entries"]
    assert sum(1 for e in entries if e["kind"] == "evidence_to_judge") == 6
    for who in ("assessor", "client", "reviewer"):
        assert _queries(api_for, getattr(world, who)) == counts[who], who
