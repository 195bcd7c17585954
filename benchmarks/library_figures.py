"""The model library: tree page queries at 50 and 500 items, and importing 500 items."""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from assessments.model_format import load_model
from assessments.services import library
from tenants.models import Membership, Tenant, User
from tenants.roles import Role

LEVELS = "\n".join(f"  - level: {n}\n    name: {{en: Level {n}, zh: 第{n}级}}" for n in range(1, 6))


def synthetic_model(code, items, per_domain=25):
    """A model with `items` items, 5 requirements each, in domains of `per_domain` items."""
    lines = [
        f"code: {code}",
        "version: '1.0'",
        "name: {en: Synthetic model, zh: 合成模型}",
        "levels:",
        LEVELS,
        "domains:",
        "  - code: P",
        "    name: {en: Part, zh: 部分}",
        "    domains:",
    ]
    for d in range(-(-items // per_domain)):
        lines += [
            f"      - code: P.D{d}",
            f"        name: {{en: Domain {d}, zh: 领域 {d}}}",
            "        items:",
        ]
        for n in range(d * per_domain, min(items, (d + 1) * per_domain)):
            lines += [
                f"          - code: P.D{d}.I{n}",
                f"            name: {{en: Item {n}, zh: 能力项 {n}}}",
                "            requirements:",
            ]
            for level in range(1, 6):
                lines += [
                    f"              - code: P.D{d}.I{n}.L{level}",
                    f"                level: {level}",
                    f"                text: {{en: Requirement {n}.{level}, zh: 要求 {n}.{level}}}",
                ]
    return "\n".join(lines) + "\n"


def figures():
    with scopes_disabled():
        tenant, _ = Tenant.objects.get_or_create(
            slug="bench-lib", defaults={"name": "Bench Library", "certificate_prefix": "BLIB"}
        )
        user, _ = User.objects.get_or_create(email="bench-lib@bench.test")
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.ASSESSOR})
    client = Client()
    client.force_login(user)
    versions = {}
    for size in (50, 500):
        document = load_model(synthetic_model(f"synthetic-{size}", size))
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries, scopes_disabled():
            version = library.import_model_document(document=document)
            library.publish_version(version=version)
        elapsed = time.perf_counter() - started
        versions[size] = version
        if size == 500:
            yield "model_import_500_items_s", elapsed, "s"
            yield "model_import_500_items_queries", len(queries), "queries"
    for size in (50, 500):
        url = f"/t/bench-lib/models/versions/{versions[size].pk}/"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        yield f"model_tree_queries_{size}", len(queries), "queries"
