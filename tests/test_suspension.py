"""Suspension with a deadline, automatic withdrawal when it passes, a client's own request; every
change of status in the certificate's history, on the public page and in the audit trail."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from certificates import services
from certificates.models import Certificate, CertificateEvent
from portal.models import AuditEntry
from tests.cycle_helpers import certified_world


@pytest.fixture
def world(tenant):
    return certified_world(tenant)


def _url(world, action):
    return f"/api/v1/t/{world.tenant.slug}/certificates/{world.certificate.pk}/{action}/"


def _today():
    return timezone.localdate()


def _lapse(days):
    return services.withdraw_lapsed_suspensions(today=_today() + datetime.timedelta(days=days))


def test_a_suspension_has_a_deadline_within_the_bodys_limit(world, api_for):
    deadline = _today() + datetime.timedelta(days=90)
    response = api_for(world.officer).post(
        _url(world, "suspend"),
        {"reason": "Pipeline ungated.", "deadline": deadline.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["suspended_until"] == deadline.isoformat()


def test_without_a_deadline_the_suspension_lasts_the_bodys_longest(world, api_for):
    response = api_for(world.officer).post(
        _url(world, "suspend"), {"reason": "Pipeline ungated."}, format="json"
    )
    until = datetime.date.fromisoformat(response.json()["suspended_until"])
    assert 180 <= (until - _today()).days <= 184


def test_a_deadline_beyond_the_bodys_limit_is_a_400_and_nothing_changes(world, api_for):
    before = AuditEntry.objects.count()
    response = api_for(world.officer).post(
        _url(world, "suspend"),
        {"reason": "x", "deadline": (_today() + datetime.timedelta(days=400)).isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "deadline" in response.json()
    world.certificate.refresh_from_db()
    assert world.certificate.status == "active" and AuditEntry.objects.count() == before


def test_the_daily_task_withdraws_a_suspension_past_its_deadline(world):
    with scope(tenant=world.tenant):
        services.suspend(
            certificate=world.certificate,
            by=world.officer,
            reason="Pipeline ungated.",
            deadline=_today() + datetime.timedelta(days=10),
        )
    with scopes_disabled():
        assert _lapse(10) == 0
        assert _lapse(11) == 1
        assert _lapse(12) == 0
    world.certificate.refresh_from_db()
    assert world.certificate.status == "withdrawn"
    with scope(tenant=world.tenant):
        last = CertificateEvent.objects.filter(certificate=world.certificate).last()
    assert last.to_status == "withdrawn" and "deadline" in last.reason
    assert AuditEntry.objects.filter(verb="certificate.withdrawn").count() == 1


def test_reinstating_before_the_deadline_clears_it(world):
    with scope(tenant=world.tenant):
        services.suspend(certificate=world.certificate, by=world.officer, reason="x")
        certificate = services.reinstate(
            certificate=world.certificate, by=world.officer, reason="Corrective action verified."
        )
    assert certificate.suspended_until is None
    with scopes_disabled():
        assert _lapse(400) == 0


def test_the_client_may_ask_for_a_suspension(world, api_for):
    response = api_for(world.client).post(
        _url(world, "request-suspension"),
        {"reason": "Restructuring our delivery teams."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    world.certificate.refresh_from_db()
    assert world.certificate.status == "suspended"
    assert "client" in world.certificate.status_reason.lower()
    entry = AuditEntry.objects.filter(verb="certificate.suspended").last()
    assert entry.actor_id == world.client.user_id


def test_another_client_and_assessors_may_not_ask_for_a_suspension(world, api_for):
    with scopes_disabled():
        before = (AuditEntry.objects.count(), CertificateEvent.objects.count())
    for person in (world.other_client, world.lead):
        response = api_for(person).post(
            _url(world, "request-suspension"), {"reason": "x"}, format="json"
        )
        assert response.status_code in (403, 404), (person, response.status_code)
    world.certificate.refresh_from_db()
    assert world.certificate.status == "active"
    with scopes_disabled():
        assert (AuditEntry.objects.count(), CertificateEvent.objects.count()) == before


def test_the_public_page_shows_the_suspension_and_its_deadline(world, client):
    deadline = _today() + datetime.timedelta(days=30)
    with scope(tenant=world.tenant):
        services.suspend(
            certificate=world.certificate, by=world.officer, reason="Gates off.", deadline=deadline
        )
    page = client.get(f"/verify/{world.certificate.number}/").content.decode()
    assert "Suspended" in page and "Gates off." in page and deadline.isoformat() in page


def test_the_client_asks_for_a_suspension_on_the_certificate_page(world, client_for):
    url = f"/t/{world.tenant.slug}/certificates/{world.certificate.pk}/"
    assert "Ask for a suspension" in client_for(world.client).get(url).content.decode()
    response = client_for(world.client).post(url + "request-suspension/", {"reason": "Pause."})
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        assert Certificate.objects.get(pk=world.certificate.pk).status == "suspended"
