"""Client review of the draft report (报告复核): sent with a deadline, the client comments or
accepts within it, comments and answers are kept, the technical review waits for the client's
answer or the deadline (issue 15, deliverable 4)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from assessments.services import engagements as engagement_services
from certificates import review_services as services
from certificates.models import Report, ReportComment, ReportReview
from certificates.services import request_report
from portal.errors import Conflict
from tests.engagement_world import advance, build_world, rate_everything

TODAY = timezone.localdate()


@pytest.fixture
def world(tenant):
    w = build_world(tenant)
    advance(w, "assessment")
    with scope(tenant=tenant):
        rate_everything(w, w.engagement)
    return w


def _report(world):
    with scope(tenant=world.tenant):
        report = request_report(engagement=world.engagement, by=world.lead)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.READY)
        report.refresh_from_db()
    return report


def _send(world, days=5):
    report = _report(world)
    with scope(tenant=world.tenant):
        return services.send_for_client_review(
            engagement=world.engagement,
            by=world.lead,
            due_date=TODAY + datetime.timedelta(days=days),
        ), report


def _submit_for_review(world):
    with scope(tenant=world.tenant):
        return engagement_services.transition(
            engagement=world.engagement, to="review", by=world.lead
        )


def test_the_technical_review_waits_for_the_client(world):
    _send(world)
    with pytest.raises(Conflict, match="client"):
        _submit_for_review(world)


def test_the_client_accepts_and_the_review_may_start(world, api_for):
    review, _ = _send(world)
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/report-reviews/{review.pk}/accept/", {}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert _submit_for_review(world).state == "review"


def test_a_passed_deadline_lets_the_review_start(world):
    review, _ = _send(world)
    with scope(tenant=world.tenant):
        ReportReview.objects.filter(pk=review.pk).update(
            due_date=TODAY - datetime.timedelta(days=1)
        )
    assert _submit_for_review(world).state == "review"


def test_comments_and_answers_are_kept(world, api_for):
    review, _ = _send(world)
    base = f"/api/v1/t/{world.tenant.slug}/report-reviews/{review.pk}/"
    response = api_for(world.client).post(
        base + "comment/", {"body": "Item D0.I0 uses our old tool name."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "commented"
    response = api_for(world.lead).post(
        base + "comment/", {"body": "Corrected in the next version."}, format="json"
    )
    assert response.status_code == 200
    bodies = [c["body"] for c in response.json()["comments"]]
    assert bodies == ["Item D0.I0 uses our old tool name.", "Corrected in the next version."]
    # The client answered: the review may start.
    assert _submit_for_review(world).state == "review"


def test_the_client_sees_the_report_sent_to_it_and_no_other(world, api_for):
    hidden = _report(world)
    review, sent = _send(world)
    listed = api_for(world.client).get(f"/api/v1/t/{world.tenant.slug}/reports/").json()
    ids = {row["id"] for row in listed["results"]}
    assert sent.pk in ids and hidden.pk not in ids
    assert (
        api_for(world.other_client)
        .get(f"/api/v1/t/{world.tenant.slug}/report-reviews/{review.pk}/")
        .status_code
        == 404
    )


def test_after_the_deadline_the_client_can_no_longer_answer(world, api_for):
    review, _ = _send(world)
    with scope(tenant=world.tenant):
        ReportReview.objects.filter(pk=review.pk).update(
            due_date=TODAY - datetime.timedelta(days=1)
        )
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/report-reviews/{review.pk}/accept/", {}, format="json"
    )
    assert response.status_code == 409


def test_only_the_team_sends_and_only_the_client_accepts(world, api_for):
    report = _report(world)
    url = f"/api/v1/t/{world.tenant.slug}/report-reviews/"
    payload = {"engagement": world.engagement.pk, "due_date": str(TODAY + datetime.timedelta(3))}
    for who in (world.client, world.reviewer, world.outsider_assessor):
        assert api_for(who).post(url, payload, format="json").status_code in (403, 404)
    with scope(tenant=world.tenant):
        assert not ReportReview.objects.exists()
    response = api_for(world.lead).post(url, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["report"] == report.pk
    review_id = response.json()["id"]
    assert (
        api_for(world.lead).post(url + f"{review_id}/accept/", {}, format="json").status_code == 403
    )
    with scope(tenant=world.tenant):
        assert ReportReview.objects.get().status == "pending"


def test_the_web_page_runs_the_review(world, client_for):
    _report(world)
    url = reverse("certificates:report_review", args=[world.tenant.slug, world.engagement.pk])
    response = client_for(world.lead).post(
        url, {"send": "1", "due_date": str(TODAY + datetime.timedelta(days=4))}
    )
    assert response.status_code == 302
    page = client_for(world.client).get(url)
    assert page.status_code == 200 and "download" in page.content.decode()
    response = client_for(world.client).post(url, {"comment": "1", "body": "Typo on page 3."})
    assert response.status_code == 302
    response = client_for(world.client).post(url, {"accept": "1"})
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        review = ReportReview.objects.get()
        assert review.status == "accepted"
        assert ReportComment.objects.filter(review=review).count() == 1
