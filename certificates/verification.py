"""Public verification of certificates: by number, or by the PDF itself; and of assessment
reports, by the PDF.

The answer is a :class:`Verdict`, decided here and only here, that the web page and the API
both show: an :class:`Outcome` (valid, suspended, withdrawn, expired, superseded, not issued by
this portal, altered after signing; a genuine report) with its headline word, its tone (the
colour class) and a sentence for people. The outcome comes first: a genuine file of a
suspended certificate is "Suspended", and a signed file with anything appended after its
signature is "Altered after signing", whatever else is true of it.
"""

import contextlib
import enum
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ValidationError
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from certificates import selectors
from certificates.credentials import SigningNotConfigured, trust_roots
from certificates.models import Certificate
from certificates.pdf.signing import validate_pdf
from portal import trail


class Outcome(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NOT_OURS = "not_ours"
    ALTERED = "altered"
    REPORT = "report"  # an uploaded file that is, byte for byte, a report version as issued


class Tone(enum.StrEnum):
    """The colour class of an outcome: green only for valid."""

    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    NEUTRAL = "neutral"


# Headline word, tone and a symbol, so the outcome never rests on colour alone.
PRESENTATION = {
    Outcome.VALID: (pgettext_lazy("verification verdict", "Valid"), Tone.OK, "✔"),
    Outcome.SUSPENDED: (pgettext_lazy("verification verdict", "Suspended"), Tone.WARN, "⚠"),
    Outcome.WITHDRAWN: (pgettext_lazy("verification verdict", "Withdrawn"), Tone.BAD, "✘"),
    Outcome.EXPIRED: (pgettext_lazy("verification verdict", "Expired"), Tone.NEUTRAL, "◔"),
    Outcome.SUPERSEDED: (pgettext_lazy("verification verdict", "Superseded"), Tone.NEUTRAL, "↻"),
    Outcome.NOT_OURS: (
        pgettext_lazy("verification verdict", "Not issued by this portal"),
        Tone.BAD,
        "✘",
    ),
    Outcome.ALTERED: (
        pgettext_lazy("verification verdict", "Altered after signing"),
        Tone.BAD,
        "✘",
    ),
    Outcome.REPORT: (pgettext_lazy("verification verdict", "Genuine report"), Tone.OK, "✔"),
}

_STATUS_OUTCOMES = {
    Certificate.Status.ACTIVE: Outcome.VALID,
    Certificate.Status.SUSPENDED: Outcome.SUSPENDED,
    Certificate.Status.WITHDRAWN: Outcome.WITHDRAWN,
    Certificate.Status.EXPIRED: Outcome.EXPIRED,
    Certificate.Status.SUPERSEDED: Outcome.SUPERSEDED,
}


@dataclass(frozen=True)
class Verdict:
    """What the verification pages and API answer.

    ``certificate`` holds the :func:`public_facts` of the certificate the verdict is about,
    when there is one to show; ``report`` the :func:`report_facts` of an uploaded report.
    ``genuine`` is whether an uploaded file is, byte for byte, the signed certificate or report
    the portal issued (a lookup by number has no file: false). ``checks`` are the signature
    checks of an uploaded file.
    """

    outcome: Outcome
    message: str
    certificate: dict | None = None
    genuine: bool = False
    checks: dict = field(default_factory=dict)
    report: dict | None = None

    @property
    def headline(self) -> str:
        return str(PRESENTATION[self.outcome][0])

    @property
    def tone(self) -> str:
        return PRESENTATION[self.outcome][1].value

    @property
    def symbol(self) -> str:
        return PRESENTATION[self.outcome][2]

    @property
    def code(self) -> str:
        return self.outcome.value

    def as_json(self) -> dict:
        return {
            "verdict": self.code,
            "headline": self.headline,
            "tone": self.tone,
            "message": self.message,
            "genuine": self.genuine,
            "certificate": self.certificate,
            "report": self.report,
            "checks": self.checks,
        }


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
        "original_issued_on": certificate.original_issued_on,
        "revision": certificate.revision,
        "expires_on": certificate.expires_on,
        "suspended_until": certificate.suspended_until
        if certificate.status == Certificate.Status.SUSPENDED
        else None,
        "superseded_by": selectors.public_successor_number(certificate),
        "credential_url": (
            reverse("verify:credential", args=[certificate.number])
            if certificate.credential
            else None
        ),
        "history": [
            {
                "status": e.to_status,
                "status_label": _status_label(e.to_status),
                "at": e.at,
                "reason": e.reason,
                "sentence": trail.certificate_sentence(e, {}),  # nobody named in public
            }
            for e in selectors.public_events(certificate)
        ],
    }


def _status_label(status):
    try:
        return str(Certificate.Status(status).label)
    except ValueError:
        return status


def is_published(certificate) -> bool:
    """A certificate the public may see: one that exists and is no longer being issued."""
    return certificate is not None and certificate.status != Certificate.Status.ISSUING


def outcome_of(certificate, *, today=None) -> Outcome:
    """The outcome of a published certificate's status; past its date it is expired even
    before the daily task has marked it so."""
    today = today or timezone.localdate()
    outcome = _STATUS_OUTCOMES[certificate.status]
    if outcome in (Outcome.VALID, Outcome.SUSPENDED) and certificate.expires_on < today:
        return Outcome.EXPIRED
    return outcome


def verify_certificate(certificate) -> Verdict:
    """The verdict on a published certificate, looked up by its number."""
    outcome = outcome_of(certificate)
    return Verdict(outcome, _status_sentence(certificate, outcome), public_facts(certificate))


def unknown_number(number: str) -> Verdict:
    return Verdict(
        Outcome.NOT_OURS,
        _("No certificate numbered “%(number)s” was issued by this portal.")
        % {"number": number[:40]},
    )


def _status_sentence(certificate, outcome) -> str:
    facts = {
        "number": certificate.number,
        "issuer": certificate.tenant.name,
        "organization": certificate.organization_name,
        "expires": certificate.expires_on.isoformat(),
        "since": _day(certificate.status_changed_at),
        "reason": certificate.status_reason,
    }
    if outcome == Outcome.VALID:
        return (
            _(
                "Certificate %(number)s, issued by %(issuer)s to %(organization)s, is in force "
                "until %(expires)s."
            )
            % facts
        )
    if outcome == Outcome.EXPIRED:
        return _("Certificate %(number)s expired on %(expires)s; it is no longer in force.") % facts
    if outcome == Outcome.SUSPENDED:
        sentence = (
            _(
                "Certificate %(number)s is suspended since %(since)s; it is not in force while "
                "suspended."
            )
            % facts
        )
    elif outcome == Outcome.WITHDRAWN:
        sentence = (
            _("Certificate %(number)s was withdrawn on %(since)s; it is no longer in force.")
            % facts
        )
    else:
        successor = selectors.public_successor_number(certificate)
        if successor:
            sentence = _(
                "Certificate %(number)s was replaced by certificate %(successor)s on %(since)s; "
                "it is no longer in force."
            ) % {**facts, "successor": successor}
        else:
            sentence = (
                _("Certificate %(number)s was replaced on %(since)s; it is no longer in force.")
                % facts
            )
    if certificate.status_reason:
        sentence += " " + _("Reason: %(reason)s") % facts
    return sentence


def _day(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else "—"


# --- Uploaded files ------------------------------------------------------------------------------


def check_upload(upload, *, skipped_reason: str | None = None) -> bytes:
    """The bytes of an uploaded file to verify, or a ValidationError naming the field `pdf`.

    ``skipped_reason`` is what the upload handler said when it dropped a file past its own
    limit (the file is then missing from the request).
    """
    if skipped_reason:
        raise ValidationError({"pdf": [skipped_reason]})
    if upload is None:
        raise ValidationError({"pdf": [_("Attach the certificate PDF.")]})
    if upload.size > settings.VERIFY_MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "pdf": [
                    _("A certificate PDF is smaller than %(limit)s MB.")
                    % {"limit": settings.VERIFY_MAX_UPLOAD_BYTES // (1024 * 1024)}
                ]
            }
        )
    return upload.read()


def verify_upload(data: bytes) -> Verdict:
    """The verdict on an uploaded file: the status of the certificate it is, byte for byte,
    or why it is none.

    Raises ValidationError on the field `pdf` for a file that is not a readable PDF: that is
    bad input, not a verdict.
    """
    if not data:
        raise ValidationError({"pdf": [_("The file is empty.")]})
    if not data.startswith(b"%PDF-"):
        raise ValidationError({"pdf": [_("This file is not a PDF.")]})
    result = validate_pdf(data, trust_roots=trust_roots())
    if not result.readable:
        raise ValidationError({"pdf": [_("This file is damaged or not a PDF; it cannot be read.")]})
    checks = {
        "signed": result.signed,
        "signature_intact": result.intact,
        "signature_valid": result.valid,
        "signer_trusted": result.trusted,
        "covers_whole_file": result.covers_whole_file,
        # PAdES B-LTA: the signer was checked at the time its timestamp proves (issue 12).
        "long_term": result.long_term,
        "timestamped_at": result.timestamp_time.isoformat() if result.timestamp_time else None,
    }
    if not result.signed:
        return Verdict(
            Outcome.NOT_OURS,
            _("This PDF carries no signature: it is not a certificate issued by this portal."),
            checks=checks,
        )
    if result.signer_fingerprint is None:
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "The signature of this PDF cannot be checked: it is not a certificate of this "
                "portal."
            ),
            checks=checks,
        )
    # pyHanko checks trust only for an intact signature: a signed certificate changed since is
    # still recognised as ours by its signer's key, which signed certificates of the portal.
    ours = result.trusted or selectors.is_certificate_signer(result.signer_fingerprint)
    if ours and not (result.intact and result.valid and result.covers_whole_file):
        return _altered(data, result, checks)
    if not result.trusted:
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "This PDF is not signed by an assessment body of this portal: it is not a "
                "certificate issued here."
            ),
            checks=checks,
        )
    digest = hashlib.sha256(data).hexdigest()
    certificate = selectors.public_certificate_by_hash(digest)
    if not is_published(certificate) or result.signer_fingerprint != certificate.signer_fingerprint:
        report = selectors.public_report_by_hash(digest)
        if report is not None and result.signer_fingerprint == report.signer_fingerprint:
            return _genuine_report(report, checks)
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "This PDF is signed by an assessment body of this portal, but it is not one of "
                "the certificates or reports the portal issued."
            ),
            checks=checks,
        )
    outcome = outcome_of(certificate)
    sentence = (
        _status_sentence(certificate, outcome)
        + " "
        + _("This file is the certificate exactly as issued.")
    )
    return Verdict(outcome, sentence, public_facts(certificate), genuine=True, checks=checks)


def report_facts(report) -> dict:
    """What the verification of an uploaded report shows: only what the file itself says, and
    whether a later version has been issued since."""
    engagement = report.engagement
    latest = selectors.latest_report_version(engagement.pk)
    return {
        "engagement": engagement.reference,
        "organization": engagement.organization.legal_name,
        "body": report.tenant.name,
        "model": f"{engagement.model_version.model.name_en} {engagement.model_version.version}",
        "version": report.version,
        "issued_at": (report.rendered_at or report.created_at).isoformat(),
        "pages": report.page_count,
        "latest": latest is None or report.version >= latest,
    }


def _genuine_report(report, checks) -> Verdict:
    facts = report_facts(report)
    issued = timezone.localtime(report.rendered_at or report.created_at).date().isoformat()
    sentence = _(
        "This file is the genuine report of engagement %(engagement)s of %(organization)s, "
        "version %(version)s, signed by %(body)s on %(date)s, exactly as issued."
    ) % {**facts, "date": issued}
    if not facts["latest"]:
        sentence += " " + _("A later version of this report has been issued since.")
    return Verdict(Outcome.REPORT, sentence, genuine=True, checks=checks, report=facts)


def _altered(data, result, checks) -> Verdict:
    sentence = _(
        "This file was changed after it was signed: it is not the certificate as issued, and "
        "what it shows cannot be relied on."
    )
    # Content appended after the signature leaves the signed file in front: name its number.
    original = None
    if result.intact and result.valid and result.signed_length:
        original = selectors.public_certificate_by_hash(
            hashlib.sha256(data[: result.signed_length]).hexdigest()
        )
    if is_published(original):
        sentence += " " + _(
            "It was made from certificate %(number)s: look that number up for its status."
        ) % {"number": original.number}
    elif result.intact and result.valid and result.signed_length:
        report = selectors.public_report_by_hash(
            hashlib.sha256(data[: result.signed_length]).hexdigest()
        )
        if report is not None:
            sentence += " " + _(
                "It was made from version %(version)s of the report of engagement %(engagement)s."
            ) % {"version": report.version, "engagement": report.engagement.reference}
    return Verdict(Outcome.ALTERED, sentence, checks=checks)


# --- Numbers typed or pasted ---------------------------------------------------------------------

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


def number_from_input(text: str, *, own_hosts: set[str]) -> str | None:
    """The certificate number in what someone typed or pasted, or None.

    A number as printed (any case), or the address the certificate's QR code leads to
    (``https://<this portal>/verify/<number>/``, scheme optional) on one of ``own_hosts``: an
    address of another site is refused, never followed.
    """
    text = text.strip()
    if "/" in text:
        parts = urlsplit(text if "//" in text else "//" + text)
        host = (parts.netloc or "").lower()
        if host not in {h.lower() for h in own_hosts}:
            return None
        path = unquote(parts.path)
        prefix = urlsplit(settings.SITE_URL).path.rstrip("/")  # a portal served under a path
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        try:
            match = resolve(path if path.endswith("/") else path + "/")
        except Resolver404:
            return None
        if match.view_name != "verify:number":
            return None
        text = match.kwargs["number"].strip()
    number = text.upper()
    return number if _NUMBER.match(number) else None


def own_hosts(request) -> set[str]:
    """The hosts whose verification addresses are ours: the site's, and the one asked."""
    hosts = {urlsplit(settings.SITE_URL).netloc}
    with contextlib.suppress(DisallowedHost):  # a refused Host header: only the site's counts
        hosts.add(request.get_host())
    return hosts


# --- Uploaded Open Badges credentials ------------------------------------------------------------


def credential_text(upload=None, text="", *, skipped_reason: str | None = None) -> str:
    """What to verify: an uploaded credential file (a .jwt or .json) or pasted text; a
    ValidationError on `credential` when there is neither or it is too large or not text."""
    if skipped_reason:
        raise ValidationError({"credential": [skipped_reason]})
    if upload is not None:
        if upload.size > settings.VERIFY_MAX_UPLOAD_BYTES:
            raise ValidationError(
                {
                    "credential": [
                        _("A credential is smaller than %(limit)s MB.")
                        % {"limit": settings.VERIFY_MAX_UPLOAD_BYTES // (1024 * 1024)}
                    ]
                }
            )
        data = upload.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(
                {"credential": [_("This file is not a credential: it is not text.")]}
            ) from None
    if not (text or "").strip():
        raise ValidationError(
            {"credential": [_("Attach the credential file (.jwt or .json) or paste it.")]}
        )
    return text


def verify_credential(text: str) -> Verdict:
    """The verdict on an Open Badges credential, in the words of the PDF's: signed by the
    key that signed the certificate (a body key of this portal), exactly the credential
    issued, its status from the body's status list, its validity period.

    Raises ValidationError on `credential` for what is not a readable credential.
    """
    from certificates import openbadges
    from certificates.services.badges import status_lists

    token = openbadges.token_from_input(text)
    if isinstance(token, dict):
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "This credential carries no signature this portal issues (a VC-JWT): it is not "
                "a credential issued here."
            ),
            checks={"signed": False},
        )
    signed = openbadges.check_signature(token)
    fingerprint = signed.leaf_fingerprint
    checks = {
        "signed": signed.leaf is not None,
        "signature_valid": signed.signature_valid,
        "signer_trusted": signed.trusted,
        "matches_record": False,
    }
    if fingerprint is None:
        return Verdict(
            Outcome.NOT_OURS,
            _("The signature of this credential cannot be checked: it names no certificate."),
            checks=checks,
        )
    ours = signed.trusted or selectors.is_certificate_signer(fingerprint)
    if ours and not signed.signature_valid:
        return Verdict(
            Outcome.ALTERED,
            _(
                "This credential was changed after it was signed: what it states cannot be "
                "relied on."
            ),
            checks=checks,
        )
    if not (signed.trusted and signed.signature_valid):
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "This credential is not signed by an assessment body of this portal: it is not "
                "a credential issued here."
            ),
            checks=checks,
        )
    number = openbadges.number_of(signed.claims.get("id"))
    certificate = selectors.public_certificate(number) if number else None
    if (
        not is_published(certificate)
        or not certificate.credential
        or fingerprint != certificate.signer_fingerprint
        or openbadges.unverified_payload(certificate.credential) != signed.claims
    ):
        return Verdict(
            Outcome.NOT_OURS,
            _(
                "This credential is signed by an assessment body of this portal, but it is not "
                "one of the credentials the portal issued."
            ),
            checks=checks,
        )
    checks["matches_record"] = True
    bits = {}
    try:
        lists = status_lists(certificate.tenant)
    except SigningNotConfigured:  # the body lost its key: no list to publish, the record says
        lists = None
    for entry in openbadges.status_entries(signed.claims):
        purpose = entry["statusPurpose"]
        if lists is None:
            bits[purpose] = certificate.status in openbadges.STATUS_BITS[purpose]
            continue
        subject = openbadges.unverified_payload(lists[purpose].credential)["credentialSubject"]
        bits[purpose] = openbadges.bit(
            openbadges.decode_bits(subject["encodedList"]), int(entry["statusListIndex"])
        )
    checks["status_list"] = bits
    checks["valid_until"] = signed.claims.get("validUntil")
    outcome = _credential_outcome(certificate, signed.claims, bits)
    sentence = (
        _status_sentence(certificate, outcome)
        + " "
        + _("This credential is the one issued for it, signed by its assessment body.")
    )
    return Verdict(outcome, sentence, public_facts(certificate), genuine=True, checks=checks)


def _credential_outcome(certificate, claims, bits) -> Outcome:
    """Revoked (withdrawn, or superseded when the record says so), else expired past
    validUntil, else suspended, else valid: the order of :func:`outcome_of`. The suspension bit
    is also set for a withdrawn or superseded certificate (its credential names no other
    list): the record, matched above, tells which."""
    revoked = (Certificate.Status.WITHDRAWN, Certificate.Status.SUPERSEDED)
    if bits.get("revocation") or (bits.get("suspension") and certificate.status in revoked):
        if certificate.status == Certificate.Status.SUPERSEDED:
            return Outcome.SUPERSEDED
        return Outcome.WITHDRAWN
    valid_until = claims.get("validUntil", "")
    if valid_until and valid_until < timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"):
        return Outcome.EXPIRED
    if bits.get("suspension"):
        return Outcome.SUSPENDED
    if certificate.status == Certificate.Status.EXPIRED:
        return Outcome.EXPIRED
    return Outcome.VALID
