"""Demo: DEVELOPMENT signing credentials for the demo body (never for production), and one
engagement taken through the whole flow to a granted, signed certificate and its report."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.demo import demo_people, open_for_evidence
from assessments.models import (
    Application,
    Assignment,
    Domain,
    Engagement,
    LevelRequirement,
    ModelVersion,
)
from assessments.services import decisions, engagements, evidence, findings
from certificates import services, tasks
from certificates.credentials import ensure_dev_credentials, ensure_local_credentials
from certificates.models import Certificate, Report
from tenants.models import Membership, Organization, Tenant

EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
S = Engagement.State


def load(write=print, signing_dir=None):
    """DEVELOPMENT credentials for the demo body; with `signing_dir` (make prod), those of a
    local CA kept there instead."""
    with scopes_disabled():
        for tenant in Tenant.objects.filter(slug="demo"):
            if signing_dir:
                ca = ensure_local_credentials(tenant, signing_dir)
                write(f"Signing: {tenant.name} signs with the local CA {ca}.")
                continue
            had = bool(tenant.signing_pkcs12_path)
            ensure_dev_credentials(tenant)
            if not had:
                write(
                    f"Signing: DEVELOPMENT credentials for {tenant.name} in "
                    f"{tenant.signing_pkcs12_path} (not for production)."
                )


def load_certified(write=print):
    """A closed engagement of the demo body's second client, granted at level 3, with its
    certificate and report rendered here (so they are there before any worker runs)."""
    with scopes_disabled():
        tenant = Tenant.objects.filter(slug="demo").first()
        version = ModelVersion.objects.filter(
            model__code="devops-cd", version="2026.1", tenant=None
        ).first()
        if tenant is None or version is None:
            return
        if Certificate.objects.filter(tenant=tenant).exists():
            pending = Certificate.objects.filter(tenant=tenant, status=Certificate.Status.ISSUING)
            for pk in pending.values_list("pk", flat=True):  # an earlier run was interrupted
                tasks.render_certificate.apply(args=[pk], throw=False)
            for pk in Report.objects.filter(
                tenant=tenant, status=Report.Status.RENDERING
            ).values_list("pk", flat=True):
                tasks.render_report.apply(args=[pk], throw=False)
            return
        people = demo_people(tenant)
        organization = Organization.objects.filter(tenant=tenant).order_by("pk").last()
        client = Membership.objects.filter(tenant=tenant, organization=organization).first()
    with scope(tenant=tenant), transaction.atomic():
        engagement = grant_engagement(
            tenant=tenant,
            people=people,
            organization=organization,
            client=client,
            version=version,
            title="Configuration management assessment",
        )
        _record_application(engagement, people=people, client=client)
        officer = people["officer"]
        certificate = services.issue_certificate(engagement=engagement, by=officer)
        report = services.request_report(engagement=engagement, by=officer)
    # Rendered in this process: the worker may not be running yet (its sweeper would also
    # catch up). A second render of the same row does nothing.
    tasks.render_certificate.apply(args=[certificate.pk], throw=False)
    tasks.render_report.apply(args=[report.pk], throw=False)
    write(f"Engagement {engagement.reference}: granted; certificate {certificate.number} issued.")


def _record_application(engagement, *, people, client):
    """The client's accepted application behind the demo engagement: three projects proposed,
    two sampled in the contract review (the report states the sample)."""
    admin = people["tenant-admin"]
    now = timezone.now()
    application = Application.objects.create(
        tenant=engagement.tenant,
        organization=engagement.organization,
        model_version=engagement.model_version,
        target_level=engagement.target_level,
        projects=["Order management system", "Mobile storefront", "Data platform"],
        sampled_projects=["Order management system", "Data platform"],
        status=Application.Status.ACCEPTED,
        applicant=(client or admin).user,
        submitted_at=now,
        review_notes="Two of the three projects sampled: the storefront shares its pipeline "
        "with the order management system.",
        reviewer=admin.user,
        reviewed_at=now,
        engagement=engagement,
    )
    application.scope_domains.set(
        Domain.objects.filter(version=engagement.model_version, code="CD.CM")
    )


def grant_engagement(*, tenant, people, organization, client, version, title):
    """A closed engagement of `organization` (scope CD.CM), granted at level 3 with every step
    of the workflow through the services; no certificate yet. Inside the tenant's scope."""
    engagement = open_for_evidence(
        tenant=tenant,
        people=people,
        organization=organization,
        version=version,
        scope_codes=["CD.CM"],
        title=title,
        team=[
            ("lead-assessor", Assignment.Role.LEAD_ASSESSOR),
            ("reviewer", Assignment.Role.REVIEWER),
            ("officer", Assignment.Role.OFFICER),
        ],
    )
    evidence.upload_evidence(
        engagement=engagement,
        by=client or people["lead-assessor"],
        uploaded=SimpleUploadedFile("配置管理制度.pdf", EVIDENCE_PDF, "application/pdf"),
        description="Configuration management policy and repository audit",
    )
    lead = people["lead-assessor"]
    engagement = engagements.transition(engagement=engagement, to=S.ASSESSMENT, by=lead)
    for item in engagement.scope_items.all():
        ratings = {
            r.pk: ("met" if r.level <= 3 else "not_met", "")
            for r in LevelRequirement.objects.filter(item=item)
        }
        findings.record_finding(
            engagement=engagement,
            item=item,
            by=lead,
            ratings=ratings,
            narrative="Seen in the repositories and pipelines; level 4 practices not yet.",
            final=True,
        )
    engagement = engagements.transition(engagement=engagement, to=S.REVIEW, by=lead)
    reviewer, officer = people["reviewer"], people["officer"]
    decisions.record_review(engagement=engagement, by=reviewer, outcome="approved")
    engagement = engagements.transition(engagement=engagement, to=S.DECISION, by=reviewer)
    decisions.record_decision(
        engagement=engagement,
        by=officer,
        outcome="granted",
        level=3,
        reasons="Every requirement up to level 3 is met.",
    )
    engagement = engagements.transition(engagement=engagement, to=S.CLOSED, by=officer)
    return engagement
