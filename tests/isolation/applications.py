"""Tenant B's application, submitted by its client."""

from django_scopes import scope, scopes_disabled

from assessments.services import applications as services
from tenants.roles import Role
from tests.factories import MembershipFactory
from tests.factories_assessments import make_model_version


def populate(world, tenant_b, canary):
    version = make_model_version(domains=1, items_per_domain=1)
    with scopes_disabled():
        version.application = {
            "questions": [
                {"key": "company", "label": {"en": "Company"}, "type": "text", "required": True}
            ]
        }
        version.save(update_fields=["application"])
    client = MembershipFactory(
        tenant=tenant_b, role=Role.CLIENT_ADMIN, organization=world["b_organization"]
    )
    with scope(tenant=tenant_b):
        world["b_application"] = services.create_application(
            tenant=tenant_b,
            by=client,
            organization=world["b_organization"],
            model_version=version,
            target_level=2,
            scope_codes=["P"],
            answers={"company": f"{canary} company"},
            projects=[f"{canary} project"],
            submit=True,
        )


def _pk(world):
    return world["b_application"].pk


MAKERS = {
    "application_id": _pk,
    **{
        f"api:application-{name}/pk": _pk
        for name in ("detail", "submit", "withdraw", "review", "accept", "decline")
    },
}
