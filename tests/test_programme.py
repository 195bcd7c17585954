"""The programme of a certificate: engagement kinds, surveillance due dates, the daily task that
opens surveillances once, reminds and flags overdue ones, surveillance outcomes, recertification."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from assessments.models import Engagement
from certificates.models import Certificate, ProgrammeVisit
from certificates.services import programme
from portal.models import AuditEntry
from tests.cycle_helpers import activate, certified_world, take_to


def _months_later(day, months):
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


@pytest.fixture
def world(tenant):
    return certified_world(tenant)


def _visits(world):
    with scope(tenant=world.tenant):
        return list(ProgrammeVisit.objects.filter(certificate=world.certificate).order_by("due_on"))


def _sweep_day(visit):
    return visit.opens_on


def test_a_new_engagement_is_an_initial_certification(world):
    assert world.engagement.kind == Engagement.Kind.INITIAL


def test_the_api_opens_an_engagement_of_another_kind(world, api_for):
    response = api_for(world.admin).post(
        f"/api/v1/t/{world.tenant.slug}/engagements/",
        {
            "organization": world.organization.pk,
            "model_version": world.version.pk,
            "target_level": 3,
            "scope": ["P"],
            "kind": "special",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "special"


def test_an_unknown_kind_is_a_400_naming_the_field(world, api_for):
    response = api_for(world.admin).post(
        f"/api/v1/t/{world.tenant.slug}/engagements/",
        {
            "organization": world.organization.pk,
            "model_version": world.version.pk,
            "target_level": 3,
            "scope": ["P"],
            "kind": "weekly",
        },
        format="json",
    )
    assert response.status_code == 400 and "kind" in response.json()


def test_issuing_plans_surveillances_and_the_recertification(world):
    certificate = world.certificate
    visits = _visits(world)
    surveillances = [v for v in visits if v.kind == "surveillance"]
    recertification = [v for v in visits if v.kind == "recertification"]
    assert len(surveillances) == 2 and len(recertification) == 1
    first = surveillances[0]
    assert first.due_on <= _months_later(certificate.issued_on, 12)
    assert first.opens_on == first.due_on - datetime.timedelta(days=60)
    assert recertification[0].due_on < certificate.expires_on
    assert certificate.original_issued_on == certificate.issued_on
    assert certificate.base_number == certificate.number and certificate.revision == 0


def test_the_programme_follows_the_bodys_settings(tenant):
    tenant.surveillance_interval_months = 6
    tenant.save()
    world = certified_world(tenant)
    surveillances = [v for v in _visits(world) if v.kind == "surveillance"]
    assert len(surveillances) == 4  # 6, 12, 18, 24 months; the recertification opens at 30
    assert surveillances[0].due_on <= _months_later(world.certificate.issued_on, 6)


def test_the_daily_task_opens_a_surveillance_once(world, django_capture_on_commit_callbacks):
    first = _visits(world)[0]
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        assert programme.sweep(today=first.opens_on).opened == 1
        assert programme.sweep(today=first.opens_on).opened == 0
    with scope(tenant=world.tenant):
        first.refresh_from_db()
        opened = Engagement.objects.get(pk=first.engagement_id)
        assert Engagement.objects.filter(kind="surveillance").count() == 1
    assert first.status == "open"
    assert opened.kind == "surveillance" and opened.organization_id == world.organization.pk
    assert opened.target_level == world.certificate.level
    with scope(tenant=world.tenant):
        assert set(opened.scope_items.values_list("pk", flat=True)) == set(
            world.engagement.scope_items.values_list("pk", flat=True)
        )
        assert AuditEntry.objects.filter(verb="programme.opened", engagement=opened).count() == 1


def test_opening_reminds_the_body_and_the_client(world, django_capture_on_commit_callbacks):
    first = _visits(world)[0]
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        programme.sweep(today=first.opens_on)
    recipients = {to for message in mail.outbox for to in message.to}
    assert world.client.user.email in recipients
    assert world.admin.user.email in recipients and world.officer.user.email in recipients
    assert world.other_client.user.email not in recipients


def test_nothing_opens_before_its_day(world):
    first = _visits(world)[0]
    with scopes_disabled():
        assert programme.sweep(today=first.opens_on - datetime.timedelta(days=1)).opened == 0


def test_a_visit_past_its_due_date_is_flagged_overdue_once(
    world, django_capture_on_commit_callbacks
):
    first = _visits(world)[0]
    late = first.due_on + datetime.timedelta(days=1)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        result = programme.sweep(today=late)
        again = programme.sweep(today=late)
    assert result.overdue == 1 and again.overdue == 0
    first.refresh_from_db()
    assert first.overdue_since == late and first.is_overdue
    assert any("overdue" in message.subject.lower() for message in mail.outbox)


def test_the_sweep_costs_the_same_queries_for_two_or_six_certificates(tenant, other_tenant):
    worlds = [certified_world(tenant)]
    day = _visits(worlds[0])[0].opens_on
    ContentType.objects.get_for_model(ProgrammeVisit)  # cached by Django for every later call
    with scopes_disabled(), CaptureQueriesContext(connection) as few:
        programme.sweep(today=day, send=False)
    for _ in range(3):
        worlds.append(certified_world(tenant))
    worlds.append(certified_world(other_tenant))
    worlds.append(certified_world(other_tenant))
    with scopes_disabled():
        ProgrammeVisit.objects.filter(engagement__isnull=False).update(
            status="planned", engagement=None
        )
    with scopes_disabled(), CaptureQueriesContext(connection) as many:
        result = programme.sweep(today=day, send=False)
    assert result.opened == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def _opened_surveillance(world):
    first = _visits(world)[0]
    with scopes_disabled():
        programme.sweep(today=first.opens_on, send=False)
    first.refresh_from_db()
    with scope(tenant=world.tenant):
        engagement = Engagement.objects.get(pk=first.engagement_id)
    take_to(world, engagement, "closed")
    return first


def test_a_surveillance_that_maintains_closes_the_visit(world, api_for):
    visit = _opened_surveillance(world)
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/programme/{visit.pk}/conclude/",
        {"outcome": "maintain", "reason": "Practices kept."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.status == "done" and visit.outcome == "maintain"
    world.certificate.refresh_from_db()
    assert world.certificate.status == "active"


def test_a_surveillance_that_suspends_suspends_the_certificate(world, api_for):
    visit = _opened_surveillance(world)
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/programme/{visit.pk}/conclude/",
        {"outcome": "suspend", "reason": "Pipeline no longer gated."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    world.certificate.refresh_from_db()
    assert world.certificate.status == "suspended"
    assert world.certificate.status_reason == "Pipeline no longer gated."


def test_a_surveillance_that_reduces_reissues_a_revision_at_the_lower_level(world, api_for):
    visit = _opened_surveillance(world)
    old = world.certificate
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/programme/{visit.pk}/conclude/",
        {"outcome": "reduce", "reason": "Level 3 no longer met.", "level": 2},
        format="json",
    )
    assert response.status_code == 200, response.json()
    with scope(tenant=world.tenant):
        new = Certificate.objects.get(supersedes=old)
        new = activate(new)
        old.refresh_from_db()
        remaining = ProgrammeVisit.objects.filter(certificate=new, status="planned").count()
    assert new.level == 2 and new.revision == 1 and new.number == f"{old.number}-R1"
    assert new.original_issued_on == old.original_issued_on and new.expires_on == old.expires_on
    assert old.status == "superseded"
    assert remaining == 2  # the second surveillance and the recertification moved over


def test_a_reduction_must_reduce_something(world, api_for):
    visit = _opened_surveillance(world)
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/programme/{visit.pk}/conclude/",
        {"outcome": "reduce", "reason": "x", "level": 3},
        format="json",
    )
    assert response.status_code == 400 and "level" in response.json()


def test_only_the_officer_concludes_a_surveillance(world, api_for):
    visit = _opened_surveillance(world)
    before = AuditEntry.objects.count()
    for person in (world.lead, world.client, world.reviewer):
        response = api_for(person).post(
            f"/api/v1/t/{world.tenant.slug}/programme/{visit.pk}/conclude/",
            {"outcome": "maintain", "reason": "x"},
            format="json",
        )
        assert response.status_code in (403, 404), response.status_code
    visit.refresh_from_db()
    assert visit.status == "open" and AuditEntry.objects.count() == before


def test_a_surveillance_is_concluded_only_after_its_decision(world, api_for):
    first = _visits(world)[0]
    with scopes_disabled():
        programme.sweep(today=first.opens_on, send=False)
    first.refresh_from_db()
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/programme/{first.pk}/conclude/",
        {"outcome": "maintain", "reason": "x"},
        format="json",
    )
    assert response.status_code == 409


def test_recertification_issues_a_new_certificate_continuing_the_cycle(world, api_for):
    old = world.certificate
    recert = [v for v in _visits(world) if v.kind == "recertification"][0]
    with scopes_disabled():
        programme.sweep(today=recert.opens_on, send=False)
    recert.refresh_from_db()
    with scope(tenant=world.tenant):
        engagement = Engagement.objects.get(pk=recert.engagement_id)
    assert engagement.kind == "recertification"
    take_to(world, engagement, "closed")
    response = api_for(world.officer).post(
        f"/api/v1/t/{world.tenant.slug}/certificates/issue/",
        {"engagement": engagement.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == f"{old.number}-R1" and body["revision"] == 1
    assert body["original_issued_on"] == old.issued_on.isoformat()
    with scope(tenant=world.tenant):
        new = activate(Certificate.objects.get(pk=body["id"]))
        old.refresh_from_db()
        recert.refresh_from_db()
        first = ProgrammeVisit.objects.filter(certificate=new, kind="surveillance").first()
        assert first.due_on <= _months_later(new.issued_on, 12)
        assert ProgrammeVisit.objects.get(certificate=new, kind="recertification").due_on < (
            new.expires_on
        )
        assert not ProgrammeVisit.objects.filter(certificate=old, status="planned").exists()
    assert old.status == "superseded" and recert.status == "done"
    assert recert.outcome == "recertified"
    assert new.expires_on > old.expires_on


def test_the_programme_shows_on_the_certificate_page(world, client_for):
    page = client_for(world.officer).get(
        f"/t/{world.tenant.slug}/certificates/{world.certificate.pk}/"
    )
    assert page.status_code == 200
    assert "Programme" in page.content.decode()


def test_the_dashboard_lists_what_needs_me(world, client_for):
    visit = _visits(world)[0]
    with scopes_disabled():
        programme.sweep(today=visit.due_on + datetime.timedelta(days=1), send=False)
    for person in (world.admin, world.client):
        page = client_for(person).get("/").content.decode()
        assert "What needs me" in page and world.certificate.number in page, person
    assert world.certificate.number not in client_for(world.other_client).get("/").content.decode()


def test_the_programme_api_lists_visits_the_caller_may_see(world, api_for):
    mine = api_for(world.client).get(f"/api/v1/t/{world.tenant.slug}/programme/")
    theirs = api_for(world.other_client).get(f"/api/v1/t/{world.tenant.slug}/programme/")
    assert mine.status_code == 200 and mine.json()["count"] == 3
    assert theirs.json()["count"] == 0
