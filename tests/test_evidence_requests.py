"""Evidence requests: the assessor asks, the client answers, pre-review with a time-boxed
correction (材料初审, 限期调整), reminders (issue 15, deliverable 2)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Evidence, EvidenceRequest, ExpectedEvidence, LevelCell
from assessments.services import evidence as evidence_services
from assessments.services import requests as services
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world, pdf_upload

TODAY = timezone.localdate()


@pytest.fixture
def world(tenant):
    w = build_world(tenant)
    advance(w, "evidence")
    return w


def _catalogue(world):
    """Level cells with expected evidence at levels 2 and 3 of every item (format 2)."""
    with scopes_disabled():
        version = world.version
        cells = []
        for item in version_items(version):
            for level in (2, 3):
                cells.append(LevelCell(version=version, item=item, level=level))
        LevelCell.objects.bulk_create(cells)
        ExpectedEvidence.objects.bulk_create(
            ExpectedEvidence(
                version=version,
                cell=cell,
                code=f"{cell.item.code}-L{cell.level}-{k}",
                kind="document",
                text_en=f"Pipeline definition {k}",
                text_zh=f"流水线定义 {k}",
            )
            for cell in LevelCell.objects.filter(version=version)
            for k in (1, 2)
        )


def version_items(version):
    from assessments.models import CapabilityItem

    return list(CapabilityItem.objects.filter(version=version))


def _ask(world, **kwargs):
    with scope(tenant=world.tenant):
        return services.request_evidence(
            engagement=world.engagement,
            by=world.assessor,
            title=kwargs.pop("title", "Pipeline definition"),
            due_date=kwargs.pop("due_date", TODAY + datetime.timedelta(days=7)),
            **kwargs,
        )


def _evidence(world):
    with scope(tenant=world.tenant):
        return evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )


def test_one_click_requests_the_catalogue_at_the_target_level(world, api_for):
    _catalogue(world)
    url = f"/api/v1/t/{world.tenant.slug}/evidence-requests/from-catalogue/"
    payload = {"engagement": world.engagement.pk, "due_date": str(TODAY + datetime.timedelta(7))}
    response = api_for(world.lead).post(url, payload, format="json")
    assert response.status_code == 201, response.content
    with scope(tenant=world.tenant):
        made = EvidenceRequest.objects.filter(engagement=world.engagement)
        # Two items in scope, two expected documents each at the target level (3).
        assert made.count() == 4
        assert {r.expected.cell.level for r in made} == {3}
        assert all(r.title.startswith("Pipeline definition") for r in made)
    # Again: nothing new (idempotent).
    again = api_for(world.lead).post(url, payload, format="json")
    assert again.status_code == 201 and again.json() == []
    with scope(tenant=world.tenant):
        assert EvidenceRequest.objects.count() == 4


def test_the_catalogue_needs_expected_evidence(world, api_for):
    response = api_for(world.lead).post(
        f"/api/v1/t/{world.tenant.slug}/evidence-requests/from-catalogue/",
        {"engagement": world.engagement.pk, "due_date": str(TODAY)},
        format="json",
    )
    assert response.status_code == 400


def test_the_client_sees_a_to_do_list(world, client_for):
    _ask(world, title="Release checklist")
    html = (
        client_for(world.client)
        .get(reverse("assessments:request_list", args=[world.tenant.slug, world.engagement.pk]))
        .content.decode()
    )
    assert "Release checklist" in html


def test_open_submitted_needs_correction_resubmitted_accepted(world, api_for):
    request = _ask(world)
    base = f"/api/v1/t/{world.tenant.slug}/evidence-requests/{request.pk}/"
    evidence = _evidence(world)
    client, assessor = api_for(world.client), api_for(world.assessor)
    response = client.post(base + "submit/", {"evidence": [evidence.pk]}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    # A correction needs a reason and a deadline (限期调整).
    assert (
        assessor.post(base + "review/", {"accept": False, "note": "Blurred."}, format="json")
    ).status_code == 400
    due = str(TODAY + datetime.timedelta(days=3))
    response = assessor.post(
        base + "review/",
        {"accept": False, "note": "Blurred.", "correction_due": due},
        format="json",
    )
    assert response.json()["status"] == "needs_correction"
    assert response.json()["correction_due"] == due
    again = _evidence(world)
    response = client.post(base + "submit/", {"evidence": [again.pk]}, format="json")
    assert response.json()["status"] == "resubmitted"
    response = assessor.post(base + "review/", {"accept": True}, format="json")
    assert response.json()["status"] == "accepted"
    with scope(tenant=world.tenant):
        verbs = list(
            AuditEntry.objects.filter(verb__startswith="request.").values_list("verb", flat=True)
        )
    assert verbs.count("request.submitted") == 2 and "request.accepted" in verbs


def test_an_accepted_request_is_not_reviewed_again(world, api_for):
    request = _ask(world)
    with scope(tenant=world.tenant):
        services.submit_request(
            request=request, by=world.client, evidence_ids=[_evidence(world).pk]
        )
        services.review_request(request=request, by=world.assessor, accept=True)
    response = api_for(world.assessor).post(
        f"/api/v1/t/{world.tenant.slug}/evidence-requests/{request.pk}/review/",
        {"accept": True},
        format="json",
    )
    assert response.status_code == 409


def test_the_client_cannot_review_nor_the_assessor_submit(world, api_for):
    request = _ask(world)
    base = f"/api/v1/t/{world.tenant.slug}/evidence-requests/{request.pk}/"
    evidence = _evidence(world)
    assert (
        api_for(world.assessor).post(base + "submit/", {"evidence": [evidence.pk]}, format="json")
    ).status_code == 403
    assert (
        api_for(world.client).post(base + "review/", {"accept": True}, format="json")
    ).status_code == 403
    assert api_for(world.other_client).get(base).status_code == 404
    with scope(tenant=world.tenant):
        assert EvidenceRequest.objects.get(pk=request.pk).status == "open"


def test_evidence_of_another_engagement_is_a_400(world, api_for, tenant):
    request = _ask(world)
    other = build_world(tenant, organization=world.organization)
    advance(other, "evidence")
    with scope(tenant=tenant):
        foreign = evidence_services.upload_evidence(
            engagement=other.engagement, by=other.client, uploaded=pdf_upload()
        )
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/evidence-requests/{request.pk}/submit/",
        {"evidence": [foreign.pk]},
        format="json",
    )
    assert response.status_code == 400 and "evidence" in response.json()


def test_the_web_pages_run_a_request_through(world, client_for):
    request = _ask(world)
    evidence = _evidence(world)
    url = reverse(
        "assessments:request_detail", args=[world.tenant.slug, world.engagement.pk, request.pk]
    )
    response = client_for(world.client).post(url, {"submit": "1", "evidence": [evidence.pk]})
    assert response.status_code == 302
    response = client_for(world.assessor).post(
        url,
        {
            "review": "1",
            "accept": "0",
            "note": "Missing page 2.",
            "correction_due": str(TODAY + datetime.timedelta(days=2)),
        },
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        assert EvidenceRequest.objects.get(pk=request.pk).status == "needs_correction"


def test_the_assessor_creates_requests_on_the_web(world, client_for):
    url = reverse("assessments:request_list", args=[world.tenant.slug, world.engagement.pk])
    response = client_for(world.assessor).post(
        url,
        {"title": "Branching policy", "due_date": str(TODAY + datetime.timedelta(5))},
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        assert EvidenceRequest.objects.get().title == "Branching policy"


def test_reminders_go_once_a_day_for_requests_due_soon(world, settings):
    settings.EVIDENCE_REQUEST_REMIND_DAYS = 2
    _ask(world, title="Due tomorrow", due_date=TODAY + datetime.timedelta(days=1))
    _ask(world, title="Due later", due_date=TODAY + datetime.timedelta(days=20))
    mail.outbox.clear()
    assert services.send_reminders(today=TODAY) == 1
    assert len(mail.outbox) == 1 and "Due tomorrow" in mail.outbox[0].body
    assert "Due later" not in mail.outbox[0].body
    assert services.send_reminders(today=TODAY) == 0
    assert len(mail.outbox) == 1


def test_the_reminder_task_runs(world):
    from assessments import tasks

    overdue = _ask(world, title="Overdue")
    with scope(tenant=world.tenant):
        EvidenceRequest.objects.filter(pk=overdue.pk).update(
            due_date=TODAY - datetime.timedelta(days=1)
        )
    mail.outbox.clear()
    tasks.remind_evidence_requests()
    assert any("Overdue" in m.body for m in mail.outbox)


def test_accepting_a_request_needs_its_evidence_kept(world):
    request = _ask(world)
    evidence = _evidence(world)
    with scope(tenant=world.tenant):
        services.submit_request(request=request, by=world.client, evidence_ids=[evidence.pk])
        assert list(EvidenceRequest.objects.get(pk=request.pk).evidence.all()) == [
            Evidence.objects.get(pk=evidence.pk)
        ]
