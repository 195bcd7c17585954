"""What needs me: the assessor's work queue (`GET /api/v1/me/queue/`) with work waiting on 1 and
on 500 engagements of 10 leaves each (queries: the same; time), against a bare read of the
same engagements' ids and references."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from assessments import permissions as perms
from assessments.model_format import load_model
from assessments.models import Assignment, CapabilityItem, Engagement, Evidence
from assessments.selectors.engagements import engagements_visible_to
from assessments.services import library
from benchmarks.engagement_figures import _tenant
from benchmarks.library_figures import synthetic_model
from benchmarks.timing import paired_ms
from tenants.models import Membership


def _engagements(tenant, organization, users, version, leaves, start, count):
    with scope(tenant=tenant):
        made = Engagement.objects.bulk_create(
            [
                Engagement(
                    tenant=tenant,
                    reference=f"BQ-{start + n:05d}",
                    organization=organization,
                    model_version=version,
                    target_level=3,
                    created_by=users["tenant_admin"],
                    state=Engagement.State.ASSESSMENT,
                )
                for n in range(count)
            ]
        )
        through = Engagement.scope_items.through
        through.objects.bulk_create(
            [through(engagement_id=e.pk, capabilityitem_id=leaf) for e in made for leaf in leaves]
        )
        for engagement in made:
            assignment = Assignment.objects.create(
                tenant=tenant,
                engagement=engagement,
                user=users["assessor"],
                role=Assignment.Role.ASSESSOR,
                assigned_by=users["tenant_admin"],
            )
            perms.grant_for_assignment(assignment)
        Evidence.objects.bulk_create(
            [
                Evidence(
                    tenant=tenant,
                    engagement=e,
                    file=f"evidence/bench/{e.pk}",
                    original_name="logs.pdf",
                    size=1,
                    content_type="application/pdf",
                    sha256="0" * 64,
                    uploaded_by=users["tenant_admin"],
                )
                for e in made
            ]
        )


def _queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me/queue/").status_code == 200
    return len(captured)


def figures():
    tenant, organization, users = _tenant("bench-queue", "BQUE")
    with scopes_disabled():
        version = library.import_model_document(
            document=load_model(synthetic_model("bench-queue-10", 10))
        )
        library.publish_version(version=version)
        leaves = list(
            CapabilityItem.objects.filter(version=version, is_leaf=True).values_list(
                "pk", flat=True
            )
        )
        membership = Membership.objects.get(tenant=tenant, user=users["assessor"])
    client = Client()
    client.force_login(users["assessor"])
    _engagements(tenant, organization, users, version, leaves, 0, 1)
    yield "queue_queries_1_engagement", _queries(client), "queries"
    _engagements(tenant, organization, users, version, leaves, 1, 499)
    yield "queue_queries_500_engagements", _queries(client), "queries"
    entries = client.get("/api/v1/me/queue/").json()["entries"]
    assert len(entries) == 1000, len(entries)  # evidence to judge and items to rate, each

    def queue():
        assert client.get("/api/v1/me/queue/").status_code == 200

    def bare():
        with scope(tenant=tenant):
            rows = list(engagements_visible_to(membership).values_list("pk", "reference"))
        assert len(rows) == 500

    queue_ms, bare_ms, ratio = paired_ms(queue, bare, runs=20)
    yield "queue_ms_500_engagements", queue_ms, "ms"
    yield "queue_vs_bare_list_ratio", ratio, "x"
