"""The findings list of the API: read without model serializers, the same output as the finding
serializer gives for the same rows, in a number of queries that does not grow with the rows."""

import pytest
from django.db import connection
from django.db.models.signals import pre_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from rest_framework.test import APIRequestFactory

from assessments.api.work import FindingSerializer, FindingViewSet
from assessments.models import Evidence, Finding, RequirementRating
from assessments.services import evidence as evidence_services
from assessments.services import findings as finding_services
from tests.engagement_world import advance, build_world, pdf_upload


def _world(tenant, items):
    world = build_world(tenant, items=items)
    advance(world, "assessment")
    with scope(tenant=tenant):
        for item in world.engagement.scope_items.all():
            requirements = list(item.requirements.all())
            finding_services.record_finding(
                engagement=world.engagement,
                item=item,
                by=world.assessor,
                ratings={r.pk: ("met", f"note {r.code}") for r in requirements},
                narrative=f"Seen for {item.code}.",
            )
    return world


@pytest.fixture
def world(tenant):
    world = _world(tenant, items=3)
    with scope(tenant=tenant):
        first = world.engagement.scope_items.order_by("position").first()
        finding = Finding.objects.get(engagement=world.engagement, item=first)
        extra = evidence_services.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload("second.pdf")
        )
        # Two files on one finding, uploaded at different times (the list keeps their order).
        Evidence.objects.filter(pk=extra.pk).update(
            uploaded_at=timezone.now() + timezone.timedelta(minutes=5)
        )
        finding.evidence.set(Evidence.objects.filter(engagement=world.engagement))
    return world


def _url(world, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("api:finding-list", args=[world.tenant.slug]) + (f"?{query}" if query else "")


def _serialized(world, membership):
    """What the finding serializer (a model serializer) says of the same rows, in list order."""
    request = APIRequestFactory().get("/")
    request.membership = membership
    with scope(tenant=world.tenant):
        view = FindingViewSet(request=request, action="retrieve", format_kwarg=None)
        rows = view.get_queryset().order_by(*FindingViewSet.ordering)
        return FindingSerializer(rows, many=True, context={"request": request}).data


def test_findings_list_says_what_the_finding_serializer_says(world, api_for):
    response = api_for(world.lead).get(_url(world, engagement=world.engagement.pk))
    assert response.status_code == 200
    body = response.json()
    expected = _serialized(world, world.lead)
    assert body["count"] == len(expected) == 3
    assert body["results"] == [dict(row) for row in expected]
    assert len(body["results"][0]["evidence"]) == 2
    assert all(len(row["rated"]) > 0 for row in body["results"])
    assert body["results"][0]["rated"][0].keys() == {
        "requirement",
        "code",
        "level",
        "rating",
        "note",
        "rated_at",
    }


def test_findings_list_datetimes_are_in_the_current_time_zone(world, api_for):
    # Asia/Shanghai by default: the timestamps carry +08:00, as the serializer's fields write.
    body = api_for(world.lead).get(_url(world)).json()
    assert body["results"][0]["updated_at"].endswith("+08:00")
    assert body["results"][0]["rated"][0]["rated_at"].endswith("+08:00")


def test_findings_list_pages_as_before(world, api_for):
    body = api_for(world.lead).get(_url(world, page_size=2)).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    rest = api_for(world.lead).get(body["next"]).json()
    expected = _serialized(world, world.lead)
    assert [r["id"] for r in body["results"] + rest["results"]] == [r["id"] for r in expected]


def test_findings_list_filters_by_status(world, api_for):
    body = api_for(world.lead).get(_url(world, status="final")).json()
    assert body["count"] == 0
    body = api_for(world.lead).get(_url(world, status="draft")).json()
    assert body["count"] == 3


def test_findings_list_is_hidden_from_people_outside_the_team(world, api_for):
    body = api_for(world.outsider_assessor).get(_url(world)).json()
    assert body["count"] == 0 and body["results"] == []


def _queries(api, url):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_findings_list_queries_do_not_grow_with_rows(tenant, other_tenant, api_for):
    small = _world(tenant, items=2)
    large = _world(other_tenant, items=8)
    small_api, large_api = api_for(small.lead), api_for(large.lead)
    _queries(small_api, _url(small))  # sessions and caches warmed alike
    _queries(large_api, _url(large))
    assert _queries(small_api, _url(small)) == _queries(large_api, _url(large))


def test_findings_list_reads_rows_without_making_model_objects(world, api_for):
    # The list of 351 findings spent most of its time building model instances (findings,
    # ratings, requirements) and serializer fields per row; it reads plain rows instead.
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    pre_init.connect(count, sender=Finding)
    pre_init.connect(count, sender=RequirementRating)
    try:
        response = api_for(world.lead).get(_url(world))
    finally:
        pre_init.disconnect(count, sender=Finding)
        pre_init.disconnect(count, sender=RequirementRating)
    assert response.status_code == 200 and response.json()["count"] == 3
    assert made == []
