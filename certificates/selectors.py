"""Reads of certificates and reports, scoped to what the reader may see."""

import datetime

from django_scopes import scopes_disabled

from certificates import policy
from certificates.models import Case, Certificate, CertificateEvent, ProgrammeVisit, Report


def certificates_visible_to(membership):
    """The certificates this member may see (certificates.policy decides; filtered in SQL)."""
    return policy.certificates_visible_to(membership).select_related(
        "organization", "engagement", "model_version__model"
    )


def reports_visible_to(membership):
    return policy.reports_visible_to(membership).select_related("engagement", "requested_by")


def public_certificate(number):
    """A certificate by its number, for the public verification page (any tenant)."""
    with scopes_disabled():
        return (
            Certificate.objects.select_related("tenant", "model_version")
            .filter(number=number.strip().upper())
            .first()
        )


def public_issuer(slug):
    """An assessment body by its slug, for its public Open Badges profile, key and lists."""
    from tenants.models import Tenant

    return Tenant.objects.filter(slug=slug).first()


def public_certificate_by_hash(sha256):
    with scopes_disabled():
        return (
            Certificate.objects.select_related("tenant", "model_version")
            .filter(sha256=sha256)
            .first()
        )


def public_report_by_hash(sha256):
    """A rendered report version by the SHA-256 of its signed PDF (any tenant): an uploaded
    report is recognised byte for byte, and only by whoever holds the file."""
    if not sha256:
        return None
    with scopes_disabled():
        return (
            Report.objects.select_related(
                "tenant", "engagement__organization", "engagement__model_version__model"
            )
            .filter(sha256=sha256, status=Report.Status.READY)
            .first()
        )


def latest_report_version(engagement_id):
    with scopes_disabled():
        return (
            Report.objects.filter(engagement_id=engagement_id, status=Report.Status.READY)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )


def is_certificate_signer(fingerprint):
    """Whether a key of this fingerprint signed any certificate of the portal."""
    with scopes_disabled():
        return Certificate.objects.filter(signer_fingerprint=fingerprint).exists()


def public_successor_number(certificate):
    """The number of the certificate that superseded this one, if any."""
    with scopes_disabled():
        return (
            Certificate.objects.filter(supersedes=certificate)
            .exclude(status=Certificate.Status.ISSUING)
            .values_list("number", flat=True)
            .first()
        )


def public_events(certificate):
    with scopes_disabled():
        return list(CertificateEvent.objects.filter(certificate=certificate).order_by("at", "pk"))


def visits_visible_to(membership):
    return policy.visits_visible_to(membership).select_related(
        "certificate", "engagement", "concluded_by"
    )


def what_needs(user, *, today, horizon_days=60):
    """Programme visits due within `horizon_days` or overdue, that `user` should act on: the
    body's admins and officers see their body's, client people their organization's. One query,
    whatever the number of bodies (the dashboard's "What needs me")."""
    from django.db.models import Q

    from tenants.models import Membership
    from tenants.roles import CLIENT_ROLES, Role

    with scopes_disabled():
        memberships = list(
            Membership.objects.filter(
                user=user, is_active=True, tenant__is_active=True
            ).values_list("tenant_id", "role", "organization_id")
        )
        where = Q(pk__in=[])
        for tenant_id, role, organization_id in memberships:
            if role in (Role.TENANT_ADMIN, Role.OFFICER):
                where |= Q(tenant_id=tenant_id)
            elif role in CLIENT_ROLES:
                where |= Q(tenant_id=tenant_id, certificate__organization_id=organization_id)
        horizon = today + datetime.timedelta(days=horizon_days)
        return list(
            ProgrammeVisit.objects.filter(where)
            .filter(
                Q(status=ProgrammeVisit.Status.OPEN)
                | Q(status=ProgrammeVisit.Status.PLANNED, due_on__lte=horizon)
                | Q(status=ProgrammeVisit.Status.PLANNED, overdue_since__isnull=False)
            )
            .select_related("tenant", "certificate", "engagement")
            .order_by("due_on", "pk")[:50]
        )


def cases_visible_to(membership):
    """Complaints and appeals this member may see (certificates.policy decides)."""
    return policy.cases_visible_to(membership).select_related(
        "handler", "organization", "certificate", "engagement", "follow_up"
    )


def case_history(case):
    """The audit entries of a case, oldest first: its history on the detail page."""
    from django.contrib.contenttypes.models import ContentType

    from portal.models import AuditEntry

    return list(
        AuditEntry.objects.filter(
            tenant_id=case.tenant_id,
            content_type=ContentType.objects.get_for_model(Case),
            object_pk=str(case.pk),
        )
        .select_related("actor")
        .order_by("timestamp", "pk")
    )


def cases_needing(user, *, today):
    """Open complaints and appeals `user` should act on, for the dashboard's "What needs me":
    the ones they handle, and for a body's admins the ones without a handler or past their
    deadline. One query, whatever the number of bodies."""
    from django.db.models import Q

    from tenants.models import Membership
    from tenants.roles import Role

    with scopes_disabled():
        admin_of = list(
            Membership.objects.filter(
                user=user, is_active=True, tenant__is_active=True, role=Role.TENANT_ADMIN
            ).values_list("tenant_id", flat=True)
        )
        staff_of = Membership.objects.filter(
            user=user, is_active=True, tenant__is_active=True
        ).values("tenant_id")
        where = Q(handler=user, tenant_id__in=staff_of) | Q(
            Q(handler__isnull=True) | Q(due_on__lt=today), tenant_id__in=admin_of
        )
        return list(
            Case.objects.filter(where, status__in=Case.OPEN)
            .select_related("tenant", "handler")
            .order_by("due_on", "pk")[:50]
        )
