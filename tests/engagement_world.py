"""A tenant with a staffed engagement in any state, for the engagement tests."""

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from assessments.models import Assignment, Engagement, LevelRequirement
from assessments.services import engagements as services
from assessments.services import evidence as evidence_services
from assessments.services import findings as finding_services
from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories_assessments import make_model_version

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="evidence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# Every member of a world, in the order the matrices report them.
ROLES = (
    "admin",
    "lead",
    "assessor",
    "reviewer",
    "officer",
    "observer",
    "outsider_assessor",
    "client",
    "other_client",
)


@dataclass
class World:
    tenant: object
    organization: object
    version: object
    admin: object
    lead: object
    assessor: object
    reviewer: object
    officer: object
    observer: object
    outsider_assessor: object
    client: object
    other_client: object
    engagement: object

    def members(self):
        return {role: getattr(self, role) for role in ROLES}


def build_world(tenant, *, items=2, organization=None, version=None, scope_codes=("P",)):
    organization = organization or OrganizationFactory(tenant=tenant)
    other_org = OrganizationFactory(tenant=tenant)
    version = version or make_model_version(domains=1, items_per_domain=items)
    m = {
        "admin": MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN),
        "lead": MembershipFactory(tenant=tenant, role=Role.ASSESSOR),
        "assessor": MembershipFactory(tenant=tenant, role=Role.ASSESSOR),
        "reviewer": MembershipFactory(tenant=tenant, role=Role.REVIEWER),
        "officer": MembershipFactory(tenant=tenant, role=Role.OFFICER),
        "observer": MembershipFactory(tenant=tenant, role=Role.ASSESSOR),
        "outsider_assessor": MembershipFactory(tenant=tenant, role=Role.ASSESSOR),
        "client": MembershipFactory(
            tenant=tenant, role=Role.CLIENT_ADMIN, organization=organization
        ),
        "other_client": MembershipFactory(
            tenant=tenant, role=Role.CLIENT_ADMIN, organization=other_org
        ),
    }
    with scope(tenant=tenant):
        engagement = services.create_engagement(
            tenant=tenant,
            by=m["admin"],
            organization=organization,
            model_version=version,
            target_level=3,
            scope_codes=list(scope_codes),
            title="CD assessment",
        )
        for key, role in (
            ("lead", Assignment.Role.LEAD_ASSESSOR),
            ("assessor", Assignment.Role.ASSESSOR),
            ("reviewer", Assignment.Role.REVIEWER),
            ("officer", Assignment.Role.OFFICER),
            ("observer", Assignment.Role.OBSERVER),
        ):
            services.assign(engagement=engagement, user=m[key].user, role=role, by=m["admin"])
    return World(
        tenant=tenant, organization=organization, version=version, engagement=engagement, **m
    )


def shipped_cd_version():
    """The shipped continuous-delivery model 2026.2 (49 sub-items), imported and published once."""
    from pathlib import Path

    from django_scopes import scopes_disabled

    from assessments.model_format import load_model
    from assessments.models import ModelVersion
    from assessments.services import library

    with scopes_disabled():
        found = ModelVersion.objects.filter(model__code="devops-cd", version="2026.2").first()
        if found is not None:
            return found
        path = (
            Path(__file__).resolve().parent.parent / "assessments/model_data/devops-cd-2026.2.yaml"
        )
        version = library.import_model_document(document=load_model(path.read_bytes()))
        return library.publish_version(version=version)


def advance(world, to):
    """Move the world's engagement forward to state `to`, doing the work each step needs."""
    S = Engagement.State
    order = [S.DRAFT, S.PLANNING, S.EVIDENCE, S.ASSESSMENT, S.REVIEW, S.DECISION, S.CLOSED]
    e = world.engagement
    with scope(tenant=world.tenant):
        while order.index(e.state) < order.index(to):
            if e.state == S.DRAFT:
                e = services.transition(engagement=e, to=S.PLANNING, by=world.admin)
            elif e.state == S.PLANNING:
                e = services.transition(engagement=e, to=S.EVIDENCE, by=world.admin)
            elif e.state == S.EVIDENCE:
                evidence_services.upload_evidence(
                    engagement=e, by=world.client, uploaded=pdf_upload()
                )
                e = services.transition(engagement=e, to=S.ASSESSMENT, by=world.lead)
            elif e.state == S.ASSESSMENT:
                rate_everything(world, e)
                e = services.transition(engagement=e, to=S.REVIEW, by=world.lead)
            elif e.state == S.REVIEW:
                from assessments.services import decisions

                decisions.record_review(engagement=e, by=world.reviewer, outcome="approved")
                e = services.transition(engagement=e, to=S.DECISION, by=world.reviewer)
            elif e.state == S.DECISION:
                from assessments.services import decisions

                decisions.record_decision(
                    engagement=e,
                    by=world.officer,
                    outcome="granted",
                    level=3,
                    reasons="All requirements up to 3 met.",
                )
                e = services.transition(engagement=e, to=S.CLOSED, by=world.officer)
    world.engagement = e
    return e


def rate_everything(world, engagement, rating="met", up_to_level=3):
    """Rate every requirement of every item: `rating` up to a level, not met above; final."""
    for item in engagement.scope_items.all():
        ratings = {
            r.pk: (rating if r.level <= up_to_level else "not_met", "")
            for r in LevelRequirement.objects.filter(item=item)
        }
        finding_services.record_finding(
            engagement=engagement,
            item=item,
            by=world.assessor,
            ratings=ratings,
            narrative="Seen in practice.",
            final=True,
        )
