"""Reads of certificates and reports, scoped to what the reader may see."""

from django_scopes import scopes_disabled

from certificates import policy
from certificates.models import Certificate, CertificateEvent


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
