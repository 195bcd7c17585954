"""Tenant B's complaint and appeal (docs/architecture.md, "Complaints and appeals")."""

from django_scopes import scope

from certificates.services import cases
from tests.engagement_world import advance, build_world


def populate(world, tenant_b, canary):
    b = build_world(tenant_b, items=1)
    advance(b, "closed")
    with scope(tenant=tenant_b):
        world["b_appeal"] = cases.lodge_appeal(
            engagement=b.engagement, by=b.client, grounds=f"{canary} grounds"
        )
        world["b_complaint"] = cases.lodge_complaint(
            tenant=tenant_b,
            about="body",
            name=f"{canary} complainant",
            email="canary@b.test",
            text=f"{canary} complaint",
        )


def _pk(key):
    return lambda world: world[key].pk


MAKERS = {
    "case_id": _pk("b_appeal"),
    **{
        f"api:case-{name}/pk": _pk("b_complaint")
        for name in ("detail", "assign", "decide", "withdraw")
    },
}
