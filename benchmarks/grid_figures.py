"""The assessors' workspace: the findings list of 351 items with their ratings in one API request
against a bare serializer over the same rows, one autosave of a grid cell (queries and median
time of 200), and the rating grid of 49 and 490 leaves (queries, time) against a bare render of
its template with the same rows."""

import json
import statistics
import time

from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled
from rest_framework import serializers

from assessments.models import Finding, RequirementRating
from assessments.selectors.grid import rating_grid
from assessments.views.grid import filter_choices, rating_scale
from benchmarks.engagement_figures import _rated_engagement, _tenant
from benchmarks.timing import median_ms, paired_ms
from tenants.models import Membership


class BareRating(serializers.ModelSerializer):
    class Meta:
        model = RequirementRating
        fields = ["requirement", "rating", "note", "rated_at"]


class BareFinding(serializers.ModelSerializer):
    ratings = BareRating(many=True)

    class Meta:
        model = Finding
        fields = ["id", "engagement", "item", "narrative", "status", "ratings", "updated_at"]


def _client(tenant, users):
    client = Client()
    client.force_login(users["assessor"])
    return client


def _count(action):
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def findings_figures(tenant, organization, users):
    engagement = _rated_engagement(tenant, organization, users, 351, "GRID-E-351", model="grid")
    client = _client(tenant, users)
    url = f"/api/v1/t/{tenant.slug}/findings/?engagement={engagement.pk}&page_size=500"

    def api():
        response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] == 351

    def bare():
        with scope(tenant=tenant):
            rows = Finding.objects.filter(engagement=engagement).prefetch_related("ratings")
            json.dumps(BareFinding(rows, many=True).data, default=str)

    # In alternation, so that other work on a shared machine slows both alike.
    api_ms, _bare_ms, ratio = paired_ms(api, bare, runs=30)
    yield "findings_list_ms_351", api_ms, "ms"
    yield "findings_list_vs_bare_ratio", ratio, "x"


def save_figures(tenant, organization, users):
    engagement = _rated_engagement(
        tenant, organization, users, 49, "GRID-E-SAVE", model="grid-save"
    )
    client = _client(tenant, users)
    url = f"/api/v1/t/{tenant.slug}/ratings/"
    with scope(tenant=tenant):
        item = engagement.scope_items.order_by("position").first()
    state = {"version": 1, "rating": "met"}

    def save():
        state["rating"] = "not_met" if state["rating"] == "met" else "met"
        body = {
            "engagement": engagement.pk,
            "item": item.pk,
            "level": 1,
            "rating": state["rating"],
            "version": state["version"],
        }
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 200, response.content
        state["version"] = response.json()["cells"][0]["version"]

    save()
    yield "rating_save_queries", _count(save), "queries"
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        save()
        samples.append((time.perf_counter() - started) * 1000)
    yield "rating_save_ms", statistics.median(samples), "ms"


def grid_figures(tenant, organization, users):
    client = _client(tenant, users)
    measured = {}
    for items in (49, 490):
        engagement = _rated_engagement(
            tenant, organization, users, items, f"GRID-E-{items}", model="grid-view"
        )
        url = f"/t/{tenant.slug}/engagements/{engagement.pk}/grid/"
        assert client.get(url).status_code == 200
        measured[items] = (engagement, url)
        yield f"rating_grid_queries_{items}", _count(lambda u=url: client.get(u)), "queries"
    engagement, url = measured[490]
    grid_ms = median_ms(lambda: client.get(url), runs=10, warmup=2)
    yield "rating_grid_ms_490", grid_ms, "ms"

    with scopes_disabled():
        membership = Membership.objects.get(tenant=tenant, user=users["assessor"])
    request = RequestFactory().get(url)
    request.user, request.tenant, request.membership = users["assessor"], tenant, membership
    with scope(tenant=tenant):
        grid = rating_grid(engagement, membership=membership)
        scale = rating_scale(engagement.model_version)
    context = {
        "engagement": engagement,
        "grid": grid,
        "may_rate": True,
        "scale": scale,
        "short_labels": {value: short for value, _label, short, _keys in scale},
        "labels": {value: label for value, label, _short, _keys in scale},
        "filters": filter_choices(),
        "active_filters": [],
        "level_names": engagement.model_version.level_names(),
        "tenant": tenant,
        "membership": membership,
        "csrf_token": "bench",
    }

    def bare():
        with scope(tenant=tenant):
            render_to_string("assessments/work/grid.html", context)

    bare_ms = median_ms(bare, runs=10, warmup=2)
    yield "rating_grid_vs_bare_ratio", grid_ms / bare_ms, "x"


def figures():
    tenant, organization, users = _tenant("bench-grid", "BGRD")
    yield from findings_figures(tenant, organization, users)
    yield from save_figures(tenant, organization, users)
    yield from grid_figures(tenant, organization, users)
