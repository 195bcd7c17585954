"""Public verification of certificates: by number, or by the PDF itself."""

import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from certificates import selectors
from certificates.credentials import trust_roots
from certificates.models import Certificate
from certificates.pdf.signing import validate_pdf


def public_facts(certificate):
    """What anyone may know of a certificate: no internal ids, no people."""
    return {
        "number": certificate.number,
        "status": certificate.status,
        "status_label": str(certificate.get_status_display()),
        "status_reason": certificate.status_reason,
        "status_changed_at": certificate.status_changed_at,
        "issued_by": certificate.tenant.name,
        "organization": certificate.organization_name,
        "organization_en": certificate.organization_name_en,
        "model": certificate.model_name_en,
        "model_zh": certificate.model_name_zh,
        "model_version": certificate.model_version.version,
        "scope": [{"name_en": d["name_en"], "name_zh": d["name_zh"]} for d in certificate.scope],
        "level": certificate.level,
        "level_name": certificate.level_name_en,
        "level_name_zh": certificate.level_name_zh,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
        "history": [
            {"status": e.to_status, "at": e.at, "reason": e.reason}
            for e in selectors.public_events(certificate)
        ],
    }


@dataclass
class UploadVerdict:
    genuine: bool
    message: str
    certificate: dict | None = None
    checks: dict = field(default_factory=dict)


def verify_upload(data: bytes) -> UploadVerdict:
    """Whether `data` is a genuine, unmodified certificate PDF of this portal, and its status."""
    if not data.startswith(b"%PDF-"):
        return UploadVerdict(False, _("This file is not a PDF."))
    certificate = selectors.public_certificate_by_hash(hashlib.sha256(data).hexdigest())
    result = validate_pdf(data, trust_roots=trust_roots())
    checks = {
        "signature_intact": result.intact,
        "signature_valid": result.valid,
        "signer_trusted": result.trusted,
        "covers_whole_file": result.covers_whole_file,
    }
    known = (
        certificate is not None
        and certificate.status != Certificate.Status.ISSUING
        and result.ok
        and result.signer_fingerprint == certificate.signer_fingerprint
    )
    if known:
        return UploadVerdict(
            True,
            _("Genuine and unmodified: certificate %(number)s, now %(status)s.")
            % {"number": certificate.number, "status": certificate.get_status_display().lower()},
            public_facts(certificate),
            checks,
        )
    if result.intact and result.valid:
        return UploadVerdict(
            False,
            _(
                "The file carries a valid signature, but it is not a certificate issued by this "
                "portal in this exact form."
            ),
            None,
            checks,
        )
    if result.error and not result.intact:
        return UploadVerdict(
            False,
            _(
                "Not genuine: the file has no valid signature of this portal, or it was altered "
                "after signing."
            ),
            None,
            checks,
        )
    return UploadVerdict(
        False, _("Not genuine: the signature does not match the file."), None, checks
    )
