"""The audit trail in sentences: who did what to which thing, newest first, filtered by person,
action, kind of object and dates, and exported as CSV on the page and through the API."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from assessments.models import LevelRequirement
from certificates.models import CertificateEvent
from portal import trail
from portal.models import AuditEntry
from tenants.models import Membership
from tests.engagement_world import advance, build_world, rate_everything


def _name(membership, first, last):
    with scopes_disabled():
        user = membership.user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])


@pytest.fixture
def world(tenant):
    world = build_world(tenant, items=1)
    _name(world.lead, "Liang", "Lead")
    _name(world.assessor, "Ada", "Assessor")
    advance(world, "assessment")
    with scope(tenant=tenant):
        rate_everything(world, world.engagement)
    return world


def _url(world, **params):
    url = reverse("assessments:engagement_timeline", args=[world.tenant.slug, world.engagement.pk])
    return url, params


def _page(client, world, **params):
    url, params = _url(world, **params)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _first_code(world):
    with scope(tenant=world.tenant):
        return (
            LevelRequirement.objects.filter(item__in=world.engagement.scope_items.all())
            .order_by("level", "code")
            .first()
            .code
        )


def test_a_rating_reads_as_a_sentence(world, client_for):
    page = _page(client_for(world.lead), world)
    assert f"Ada Assessor rated {_first_code(world)} met" in page


def test_a_transition_and_a_team_change_read_as_sentences(world, client_for):
    page = _page(client_for(world.lead), world)
    assert "moved the engagement from Evidence to Assessment" in page
    assert "Liang Lead as lead assessor" in page


def test_the_trail_is_newest_first(world, client_for):
    page = _page(client_for(world.lead), world)
    assert page.index("rated") < page.index("created the engagement")


def test_the_trail_filters_by_person(world, client_for):
    page = _page(client_for(world.lead), world, person=world.lead.user.pk)
    assert "Ada Assessor rated" not in page
    assert "Liang Lead moved the engagement" in page


def test_the_trail_filters_by_action_and_object_kind(world, client_for):
    page = _page(client_for(world.lead), world, action="rating.recorded")
    assert "rated" in page and "moved the engagement" not in page
    page = _page(client_for(world.lead), world, kind="assignment")
    assert "as lead assessor" in page and " rated " not in page


def test_the_trail_filters_by_dates(world, client_for):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = _page(client_for(world.lead), world, since=tomorrow)
    assert "Nothing recorded" in page
    page = _page(client_for(world.lead), world, until=timezone.localdate().isoformat())
    assert "rated" in page


def test_a_bad_filter_is_a_form_error_not_a_500(world, client_for):
    page = _page(client_for(world.lead), world, since="yesterday-ish")
    assert "Enter a valid date" in page


def test_the_trail_exports_as_csv_with_the_filters(world, client_for):
    url, _ = _url(world)
    response = client_for(world.lead).get(url, {"action": "rating.recorded", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and {row["action"] for row in rows} == {"rating.recorded"}
    assert rows[0]["sentence"].startswith("Ada Assessor rated ")
    assert rows[0]["person"] == world.assessor.user.email


def test_the_api_trail_has_sentences_filters_and_csv(world, api_for):
    url = reverse("api:engagement-timeline", args=[world.tenant.slug, world.engagement.pk])
    api = api_for(world.lead)
    body = api.get(url, {"person": world.assessor.user.pk}).json()
    assert body and all(row["sentence"].startswith("Ada Assessor ") for row in body)
    stamps = [row["timestamp"] for row in body]
    assert stamps == sorted(stamps, reverse=True)
    exported = api.get(url, {"export": "csv", "kind": "finding"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert "recorded the finding" in exported.content.decode("utf-8-sig")
    bad = api.get(url, {"until": "soon"})
    assert bad.status_code == 400 and "until" in bad.json()


def test_the_trail_is_still_refused_to_clients(world, client_for):
    url, _ = _url(world)
    assert client_for(world.client).get(url).status_code in (403, 404)


def test_sentences_are_translated(world):
    with scopes_disabled():
        entry = AuditEntry.objects.filter(verb="engagement.transition").latest("pk")
        names = trail.names_of([entry], world.tenant)
    with translation.override("zh-hans"):
        text = trail.sentence(entry, names)
    assert "Liang Lead" in text and "moved" not in text


def test_a_person_is_named_by_their_name_in_the_body_first(world):
    with scopes_disabled():
        Membership.objects.filter(pk=world.assessor.pk).update(display_name="梁评估")
        entry = AuditEntry.objects.filter(verb="rating.recorded").latest("pk")
        names = trail.names_of([entry], world.tenant)
    assert trail.sentence(entry, names).startswith("梁评估 rated ")


def test_certificate_history_reads_in_words(world):
    names = {world.officer.user.pk: "Olga Officer"}
    issued = CertificateEvent(to_status="active", actor=world.officer.user)
    suspended = CertificateEvent(
        from_status="active", to_status="suspended", reason="Surveillance overdue."
    )
    assert trail.certificate_sentence(issued, names) == "Olga Officer issued the certificate."
    assert (
        trail.certificate_sentence(suspended, names)
        == "The certificate was suspended: Surveillance overdue."
    )


def test_the_engagement_history_reaches_the_closing(tenant, client_for):
    world = build_world(tenant, items=1)
    advance(world, "closed")
    page = _page(client_for(world.admin), world)
    assert "recorded the decision: Certification granted, level 3" in page


def test_every_status_of_a_certificate_reads_in_words_in_both_languages(world):
    """No raw status code ("issuing") in the history, and no doubled full stop after a Chinese
    sentence ("证书已签发。.")."""
    from django.utils import translation

    names = {world.officer.user.pk: "Olga Officer"}
    events = [
        CertificateEvent(to_status=status)
        for status in ("issuing", "active", "suspended", "withdrawn", "expired", "superseded")
    ]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for event in events:
                text = trail.certificate_sentence(event, names)
                assert "issuing" not in text and "became" not in text, text
                assert "变为" not in text, text
                assert not text.endswith("。.") and not text.endswith(".."), text
