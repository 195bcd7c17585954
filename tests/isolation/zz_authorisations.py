"""Tenant B's authorisation. Named to run last (modules populate in name order): once a body
records an authorisation, assignment requires one (docs/architecture.md, "Competence and
authorisation"), so the other modules staff tenant B's engagements first."""

import datetime

from django_scopes import scope

from tenants import services
from tenants.roles import Role
from tests.factories import MembershipFactory


def populate(world, tenant_b, canary):
    admin = MembershipFactory(tenant=tenant_b, role=Role.TENANT_ADMIN)
    assessor = MembershipFactory(tenant=tenant_b, role=Role.ASSESSOR)
    with scope(tenant=tenant_b):
        world["b_authorisation"] = services.grant_authorisation(
            tenant=tenant_b,
            by=admin,
            user=assessor.user,
            role="assessor",
            model_code="devops-cd",
            valid_from=datetime.date.today(),
            qualification=f"{canary} course",
        )


def _pk(key):
    return lambda world: world[key].pk


MAKERS = {
    "authorisation_id": _pk("b_authorisation"),
    **{f"api:authorisation-{name}/pk": _pk("b_authorisation") for name in ("detail", "revoke")},
}
