"""The organization list API with 1,000 organizations: scoped and permission-checked, against a
bare DRF view of the same rows in the same run."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from benchmarks.timing import median_ms
from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role
from tenants.validators import uscc_check_character


def _setup():
    with scopes_disabled():
        tenant, _ = Tenant.objects.get_or_create(
            slug="bench", defaults={"name": "Bench Body", "certificate_prefix": "BEN"}
        )
        if not Organization.objects.filter(tenant=tenant).exists():
            rows = []
            for n in range(1000):
                first17 = f"91110000MA{n:07d}"
                rows.append(
                    Organization(
                        tenant=tenant,
                        legal_name=f"基准测试公司 {n:04d}",
                        english_name=f"Bench {n}",
                        registration_id=first17 + uscc_check_character(first17),
                    )
                )
            Organization.objects.bulk_create(rows)
        user, _ = User.objects.get_or_create(email="bench@bench.test")
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.ASSESSOR})
    client = Client()
    client.force_login(user)
    return client


def figures():
    client = _setup()
    scoped_url = "/api/v1/t/bench/organizations/"

    def scoped():
        response = client.get(scoped_url)
        assert response.status_code == 200 and response.json()["count"] == 1000

    def bare():
        response = client.get("/bare/organizations/")
        assert response.status_code == 200 and response.json()["count"] == 1000

    scoped_ms = median_ms(scoped)
    bare_ms = median_ms(bare)
    with CaptureQueriesContext(connection) as queries:
        scoped()
    yield "org_list_api_ms_1000", scoped_ms, "ms"
    yield "bare_org_list_api_ms_1000", bare_ms, "ms"
    yield "org_list_api_vs_bare_ratio", scoped_ms / bare_ms, "ratio"
    yield "org_list_api_queries_1000", len(queries), "queries"
