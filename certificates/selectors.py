"""Reads of certificates and reports, scoped to what the reader may see."""

from django_scopes import scopes_disabled

from assessments.selectors.engagements import engagements_visible_to
from certificates.models import Certificate, CertificateEvent, Report
from tenants.roles import Capability, has_capability


def certificates_visible_to(membership):
    """The whole register for those who manage certificates (officers, tenant admins); for
    others, the certificates of the engagements they may see (clients: their organization's)."""
    queryset = Certificate.objects.select_related(
        "organization", "engagement", "model_version__model"
    )
    if (
        membership is not None
        and membership.is_active
        and has_capability(membership, Capability.MANAGE_CERTIFICATES)
    ):
        return queryset
    return queryset.filter(engagement__in=engagements_visible_to(membership))


def reports_visible_to(membership):
    return Report.objects.filter(engagement__in=engagements_visible_to(membership)).select_related(
        "engagement", "requested_by"
    )


def public_certificate(number):
    """A certificate by its number, for the public verification page (any tenant)."""
    with scopes_disabled():
        return (
            Certificate.objects.select_related("tenant", "model_version")
            .filter(number=number.strip().upper())
            .first()
        )


def public_certificate_by_hash(sha256):
    with scopes_disabled():
        return (
            Certificate.objects.select_related("tenant", "model_version")
            .filter(sha256=sha256)
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
