"""Demo data of the model library: the shipped models, imported and published once."""

from pathlib import Path

from django_scopes import scope, scopes_disabled

from assessments.model_format import load_model
from assessments.models import Assignment, Engagement, ModelVersion
from assessments.services import engagements, library
from tenants.models import Membership, Organization, Tenant

MODEL_DATA = Path(__file__).resolve().parent / "model_data"
SHIPPED_MODELS = ("devops-cd.yaml", "devops-cd-2026.2.yaml", "devops-security.yaml")
S = Engagement.State


def load(write=print):
    """Import and publish every shipped model version that is not there yet."""
    with scopes_disabled():
        for name in SHIPPED_MODELS:
            document = load_model((MODEL_DATA / name).read_bytes())
            exists = ModelVersion.objects.filter(
                model__code=document.code, version=document.version, tenant=None
            ).exists()
            if exists:
                continue
            version = library.import_model_document(document=document)
            library.publish_version(version=version)
            write(f"Model {document.code} {document.version}: {version.item_count} items.")


def demo_people(tenant):
    """The demo body's members by the local part of their email: "tenant-admin", "officer"…"""
    return {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.filter(tenant=tenant).select_related("user")
    }


def open_for_evidence(*, tenant, people, organization, version, scope_codes, title, team):
    """Create an engagement, staff it with `team` (people keys and roles), open evidence."""
    admin = people["tenant-admin"]
    engagement = engagements.create_engagement(
        tenant=tenant,
        by=admin,
        organization=organization,
        model_version=version,
        target_level=3,
        scope_codes=scope_codes,
        title=title,
    )
    for key, role in team:
        engagements.assign(engagement=engagement, user=people[key].user, role=role, by=admin)
    engagement = engagements.transition(engagement=engagement, to=S.PLANNING, by=admin)
    return engagements.transition(engagement=engagement, to=S.EVIDENCE, by=admin)


def load_engagement(write=print):
    """One engagement of the demo body, staffed and open for evidence, if there is none."""
    with scopes_disabled():
        tenant = Tenant.objects.filter(slug="demo").first()
        version = ModelVersion.objects.filter(
            model__code="devops-cd", version="2026.1", tenant=None
        ).first()
        if tenant is None or version is None:
            return
        if Engagement.objects.filter(tenant=tenant).exists():
            return
        people = demo_people(tenant)
        organization = Organization.objects.filter(tenant=tenant).order_by("pk").first()
    with scope(tenant=tenant):
        engagement = open_for_evidence(
            tenant=tenant,
            people=people,
            organization=organization,
            version=version,
            scope_codes=["CD"],
            title="Continuous delivery assessment",
            team=[
                ("lead-assessor", Assignment.Role.LEAD_ASSESSOR),
                ("assessor", Assignment.Role.ASSESSOR),
                ("reviewer", Assignment.Role.REVIEWER),
                ("officer", Assignment.Role.OFFICER),
            ],
        )
    write(f"Engagement {engagement.reference}: open for evidence.")
