"""Engagements: SQL queries of the engagement page and API at 30 and 300 items with every
requirement rated, and the assessor's engagement list among 10,000 engagements."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from assessments import permissions as perms
from assessments.model_format import load_model
from assessments.models import (
    Assignment,
    CapabilityItem,
    Engagement,
    EngagementUserObjectPermission,
    Finding,
    LevelRequirement,
    RequirementRating,
)
from assessments.services import library
from benchmarks.library_figures import synthetic_model
from benchmarks.timing import median_ms
from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role
from tenants.validators import uscc_check_character


def _tenant(slug="bench-eng", prefix="BENG", roles=("tenant_admin", "assessor")):
    with scopes_disabled():
        tenant, _ = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": f"Bench {slug}", "certificate_prefix": prefix}
        )
        first17 = "91110000MA9999999"
        organization, _ = Organization.objects.get_or_create(
            tenant=tenant,
            registration_id=first17 + uscc_check_character(first17),
            defaults={"legal_name": "基准客户有限公司"},
        )
        users = {}
        for role in roles:
            user, _ = User.objects.get_or_create(email=f"{role}@{slug}.test")
            Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
            users[role] = user
    return tenant, organization, users


def _rated_engagement(tenant, organization, users, items, reference, *, model="bench-eng"):
    with scopes_disabled():
        version = library.import_model_document(
            document=load_model(synthetic_model(f"{model}-{items}", items))
        )
        library.publish_version(version=version)
    with scope(tenant=tenant):
        engagement = Engagement.objects.create(
            tenant=tenant,
            reference=reference,
            organization=organization,
            model_version=version,
            target_level=3,
            created_by=users["tenant_admin"],
            state=Engagement.State.ASSESSMENT,
        )
        item_rows = list(CapabilityItem.objects.filter(version=version))
        engagement.scope_items.set(item_rows)
        assignment = Assignment.objects.create(
            tenant=tenant,
            engagement=engagement,
            user=users["assessor"],
            role=Assignment.Role.LEAD_ASSESSOR,
            assigned_by=users["tenant_admin"],
        )
        perms.grant_for_assignment(assignment)
        findings = Finding.objects.bulk_create(
            [
                Finding(
                    tenant=tenant,
                    engagement=engagement,
                    item=item,
                    status="final",
                    narrative="Seen.",
                    updated_by=users["assessor"],
                )
                for item in item_rows
            ]
        )
        by_item = {f.item_id: f for f in findings}
        RequirementRating.objects.bulk_create(
            [
                RequirementRating(
                    tenant=tenant,
                    finding=by_item[r.item_id],
                    requirement=r,
                    rating="met" if r.level <= 3 else "not_met",
                    rated_by=users["assessor"],
                )
                for r in LevelRequirement.objects.filter(version=version)
            ],
            batch_size=500,
        )
    return engagement


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _assessor_list(tenant, organization, users):
    """10,000 engagements in the tenant, 200 of them assigned to one assessor."""
    with scopes_disabled():
        version = Engagement.objects.filter(tenant=tenant).first().model_version
        assessor, _ = User.objects.get_or_create(email="busy-assessor@bench-eng.test")
        Membership.objects.get_or_create(
            tenant=tenant, user=assessor, defaults={"role": Role.ASSESSOR}
        )
        have = Engagement.objects.filter(tenant=tenant).count()
        if have < 10_000:
            Engagement.objects.bulk_create(
                [
                    Engagement(
                        tenant=tenant,
                        reference=f"BENG-E-BULK-{n:05d}",
                        organization=organization,
                        model_version=version,
                        target_level=3,
                        created_by=users["tenant_admin"],
                    )
                    for n in range(10_000 - have)
                ],
                batch_size=1000,
            )
            view = perms._permissions([perms.VIEW])[0]
            chosen = Engagement.objects.filter(tenant=tenant).order_by("?")[:200]
            EngagementUserObjectPermission.objects.bulk_create(
                [
                    EngagementUserObjectPermission(
                        user=assessor, permission=view, content_object=engagement
                    )
                    for engagement in chosen
                ]
            )
    client = Client()
    client.force_login(assessor)
    return client


def figures():
    tenant, organization, users = _tenant()
    lead = Client()
    lead.force_login(users["assessor"])
    for items in (30, 300):
        engagement = _rated_engagement(tenant, organization, users, items, f"BENG-{items}")
        page = f"/t/bench-eng/engagements/{engagement.pk}/"
        api = f"/api/v1/t/bench-eng/engagements/{engagement.pk}/"
        _queries(lead, page)  # warm caches (content types, permissions)
        yield f"engagement_page_queries_{items}", _queries(lead, page), "queries"
        yield f"engagement_api_queries_{items}", _queries(lead, api), "queries"
        yield f"engagement_score_api_queries_{items}", _queries(lead, api + "score/"), "queries"

    client = _assessor_list(tenant, organization, users)

    def scoped():
        body = client.get("/api/v1/t/bench-eng/engagements/").json()
        assert body["count"] == 200, body["count"]

    def bare():
        body = client.get("/bare/engagements/").json()
        assert body["count"] >= 10_000

    scoped_ms, bare_ms = median_ms(scoped, runs=20), median_ms(bare, runs=20)
    yield "assessor_list_ms_10000", scoped_ms, "ms"
    yield "bare_list_ms_10000", bare_ms, "ms"
    yield "assessor_list_vs_bare_ratio", scoped_ms / bare_ms, "ratio"
