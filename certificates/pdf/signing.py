"""PAdES signatures on Assay PDFs (pyHanko), their validation, and a development CA.

A certificate PDF is signed once, right after rendering, and never modified again: pyHanko
appends the signature as an incremental update covering the whole file, so any later change
(a stamp, a one-byte edit) leaves the signature no longer covering the file, which both
pyHanko and poppler's ``pdfsig`` report. Status changes belong on the verification page.

Signatures are PAdES (``ETSI.CAdES.detached``, SHA-256) with an ECDSA P-256 key whose
certificate carries the ``nonRepudiation`` (content commitment) key usage — what the DESIGN asks
of a certification body's signature. pyHanko's own signer (``SimpleSigner`` through
``PdfSigner``) builds the CMS container: no hand-assembled structures to drift from it.

:func:`sign_pdf` given a timestamp authority signs at PAdES B-LTA, so that a certificate stays
verifiable after its signer's certificate expires: the signature carries an RFC 3161 timestamp,
the signer's chain and revocation data (CRLs) go into the document security store (DSS) of the
same revision, and a document timestamp closes the file. :func:`validate_pdf` then checks the
signer at the time the timestamp proves, not today (docs/architecture.md, "Signed PDFs").

:func:`generate_dev_ca_and_signer` makes throw-away credentials for development and tests:
a CA whose name says it is not for production, and one signing certificate per tenant;
:func:`ensure_dev_tsa` and :func:`write_dev_crl` give that CA a timestamp authority and a CRL
(served by ``manage.py run_dev_tsa``). Production tenants get their PKCS#12 from a real CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import requests
from asn1crypto import cms, core, tsp
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, general, signers, timestamps
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import (
    find_unique_cms_attribute,
    get_pyca_cryptography_hash,
    simple_cms_attribute,
)
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    SigDSSPlacementPreference,
    TimestampDSSContentSettings,
)
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)

DEV_CA_NAME = "Assay DEVELOPMENT CA — not for production"
DEV_CA_CERT = "dev-ca.pem"
DEV_CA_KEY = "dev-ca.key.pem"
DEV_SIGNER_UNIT = "PDF signing (DEVELOPMENT — not for production)"
# `make prod` on one machine: a CA of its own, kept under var/prod (scripts/prod.sh), so that
# production verification (which refuses the development CA, assay.E002) has a root to trust.
LOCAL_CA_NAME = "Assay local CA — make prod on one machine"
LOCAL_CA_STEM = "local-ca"
LOCAL_SIGNER_UNIT = "PDF signing (local CA of one machine)"
DEV_TSA_CERT = "dev-tsa.pem"
DEV_TSA_KEY = "dev-tsa.key.pem"
DEV_CRL = "dev-ca.crl"
DEV_PASSPHRASE = "assay-development"  # noqa: S105 - development credentials only
DEFAULT_FIELD_NAME = "AssaySignature"


class SigningError(RuntimeError):
    """The PDF could not be signed (bad PKCS#12, wrong passphrase, unreadable PDF)."""


class TimestampUnavailable(SigningError):
    """The timestamp authority did not answer: worth trying again later."""


# --------------------------------------------------------------------------- signing

_signers: dict[tuple[str, int, int, str], signers.SimpleSigner] = {}
_signers_lock = threading.Lock()


def load_signer(pkcs12_path: str | Path, passphrase: str | bytes | None) -> signers.SimpleSigner:
    """Return the signer in ``pkcs12_path``, decrypted once per process and file version.

    Decrypting a PKCS#12 runs its key derivation (hundreds of thousands of hash rounds), so
    it is cached; the key includes the file's size and modification time, so a replaced file
    (a renewed certificate) is picked up without a restart.
    """
    path = Path(pkcs12_path)
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        stat = path.stat()
    except OSError as exc:
        raise SigningError(f"Cannot read the signing credential {path}: {exc}") from exc
    key = (
        str(path.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        hashlib.sha256(secret or b"").hexdigest(),
    )
    with _signers_lock:
        signer = _signers.get(key)
        if signer is None:
            data = path.read_bytes()
            try:
                signer = signers.SimpleSigner.load_pkcs12_data(data, (), passphrase=secret)
            except ValueError as exc:
                raise SigningError(
                    f"Cannot open the signing credential {path} (wrong passphrase?)"
                ) from exc
            _signers[key] = signer
        return signer


def sign_pdf(
    pdf_bytes: bytes,
    *,
    pkcs12_path: str | Path,
    passphrase: str | bytes | None,
    field_name: str = DEFAULT_FIELD_NAME,
    reason: str | None = None,
    location: str | None = None,
    contact_info: str | None = None,
    timestamp_url: str | None = None,
    timestamper: timestamps.TimeStamper | None = None,
    trust_roots: Iterable[asn1_x509.Certificate | x509.Certificate | bytes | str | Path] = (),
    crls: Iterable[str | Path] = (),
) -> bytes:
    """Return ``pdf_bytes`` with an invisible certification signature appended by pyHanko.

    With a timestamp authority (``timestamp_url``, or a ``timestamper`` object) the signature
    is PAdES B-LTA: timestamped, with the chain and revocation data embedded and a document
    timestamp last. The revocation data are the ``crls`` given (files, DER or PEM) or, when
    there are none, what pyHanko fetches from the certificates' distribution points.
    ``trust_roots`` are the roots of the timestamp authority's chain beside the signer's own
    (the self-signed certificates in the PKCS#12). Without one it is PAdES B-B.
    """
    signer = load_signer(pkcs12_path, passphrase)
    if timestamper is None and timestamp_url:
        timestamper = _http_timestamper(timestamp_url)
    long_term = timestamper is not None
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        contact_info=contact_info,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        # A certification signature that allows no changes: any revision appended later is
        # flagged by every validator that reads DocMDP (docs/architecture.md, "Signed PDFs").
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=long_term,
        use_pades_lta=long_term,
        validation_context=_signing_context(signer, trust_roots, crls) if long_term else None,
        # The DSS goes into the signature's own revision and the document timestamp is the
        # last revision, so that it covers the whole file ("Total document signed").
        dss_settings=DSSContentSettings(
            include_vri=False,
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
            next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
        ),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        output = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper).sign_pdf(
            writer, bytes_reserved=_reserved_bytes(signer, timestamper)
        )
    except Exception as exc:
        if _caused_by(exc, timestamps.TimestampRequestError):
            raise TimestampUnavailable(
                f"The timestamp authority {timestamp_url or ''} did not answer: {exc}"
            ) from exc
        raise SigningError(f"Cannot sign the PDF: {exc}") from exc
    return output.getvalue()


class KeptAliveTimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's requests-based RFC 3161 client over one kept-alive ``requests.Session``.

    pyHanko's default client (aiohttp) opens a new session, and builds a new TLS context
    (``load_verify_locations``: ≈ 45 ms on this machine), for each of a B-LTA signature's two
    timestamps, since every ``sign_pdf`` runs in a fresh event loop; measured with cProfile, that
    was most of the signing time. A session of the process keeps the connection (and its TLS)
    open between timestamps and between signatures.
    """

    def __init__(self, url: str, timeout: float = 10) -> None:
        super().__init__(url, timeout=timeout)
        self.session = requests.Session()

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            response = self.session.post(
                self.url, req.dump(), headers=self.request_headers(), timeout=self.timeout
            )
        except OSError as exc:
            raise timestamps.TimestampRequestError(
                "Error in communication with timestamp server"
            ) from exc
        if response.headers.get("Content-Type") != "application/timestamp-reply":
            raise timestamps.TimestampRequestError(
                "Timestamp server response is malformed.", response
            )
        return tsp.TimeStampResp.load(response.content)


_timestampers: dict[str, KeptAliveTimeStamper] = {}


def _http_timestamper(url: str) -> KeptAliveTimeStamper:
    """One client per TSA address and process: it keeps its connection and the sample token it
    sizes room by."""
    with _signers_lock:
        if url not in _timestampers:
            _timestampers[url] = KeptAliveTimeStamper(url, timeout=10)
        return _timestampers[url]


def _reserved_bytes(signer: signers.SimpleSigner, timestamper) -> int:
    """Room for the CMS signature in the PDF: the certificates it embeds, a timestamp token like
    the TSA's sample one (fetched once per timestamper) and 2 KB for the signed attributes and
    the signature value. Without it pyHanko sizes the room by a whole dry-run signature at every
    signature. pyHanko counts the room in hex digits, two a byte."""
    size = sum(len(cert.dump()) for cert in signer.cert_registry)
    size += len(signer.signing_cert.dump()) + 2048
    if timestamper is not None:
        size += len(asyncio.run(timestamper.async_dummy_response("sha256")).dump())
    return 2 * size


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _signing_context(signer, trust_roots, crls) -> ValidationContext:
    """What pyHanko validates the signer and the timestamp with, to embed what it used."""
    chain = [*signer.cert_registry]
    roots = [c for c in chain if c.self_signed] + [_asn1_cert(r) for r in trust_roots]
    known_crls = [crl for path in crls for crl in _load_crls(path)]
    return ValidationContext(
        trust_roots=roots,
        other_certs=chain,
        crls=known_crls,
        allow_fetching=not known_crls,
        revocation_mode="hard-fail",  # no revocation data, no signature: it could not last
    )


_crl_cache: dict[tuple[str, int, int], list[asn1_crl.CertificateList]] = {}


def _load_crls(path: str | Path) -> list[asn1_crl.CertificateList]:
    """The CRLs of a file (DER or PEM), read again when the file changes."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _crl_cache:
        data = path.read_bytes()
        if asn1_pem.detect(data):
            ders = [der for _, _, der in asn1_pem.unarmor(data, multiple=True)]
        else:
            ders = [data]
        _crl_cache[key] = [asn1_crl.CertificateList.load(der) for der in ders]
    return _crl_cache[key]


def fingerprint(cert: asn1_x509.Certificate | x509.Certificate | bytes) -> str:
    """SHA-256 of a certificate's DER encoding, lowercase hex: how Assay names signer keys."""
    return hashlib.sha256(_der(cert)).hexdigest()


def signer_fingerprint(pkcs12_path: str | Path, passphrase: str | bytes | None) -> str:
    """The :func:`fingerprint` of the certificate in ``pkcs12_path``."""
    return fingerprint(load_signer(pkcs12_path, passphrase).signing_cert)


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class ValidationResult:
    """What a validation of a PDF's signature found; ``ok`` is the bottom line.

    ``ok`` needs the signature to be intact (the signed bytes hash to what was signed),
    valid (the signature verifies with the certificate's key), trusted (the certificate
    chains to one of the trust roots, at the time the signature's timestamp proves when there
    is one) and to cover the whole file: nothing after the signed revision but signature
    maintenance (validation data, document timestamps), the last revision covered by a
    signature or document timestamp. ``error`` says in words why not, when it is not.
    ``readable`` is false for a file that is not a PDF or cannot be parsed, ``signed`` for a
    PDF without a signature. ``signed_length`` is where the last signed revision ends: when
    content was appended after it, ``pdf_bytes[:signed_length]`` is the file as it was issued.
    ``timestamp_time`` is the time the signature's own timestamp proves, ``validated_at`` the
    time the signer's certificate was checked at, ``long_term`` whether the file carries a
    document timestamp over its signature and validation data (PAdES B-LTA).
    """

    ok: bool
    readable: bool = True
    signed: bool = True
    signed_length: int | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    long_term: bool = False
    signer_fingerprint: str | None = None
    signer_subject: str | None = None
    signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None
    validated_at: dt.datetime | None = None
    error: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def validate_pdf(
    pdf_bytes: bytes,
    *,
    trust_roots: Iterable[asn1_x509.Certificate | x509.Certificate | bytes | str | Path],
    moment: dt.datetime | None = None,
) -> ValidationResult:
    """Validate the certification signature of ``pdf_bytes`` against ``trust_roots``; never
    raises.

    Anything may be uploaded to the public verification page, so a file that is not a PDF,
    has no signature or is damaged is a result (``ok=False`` with ``error``), not an
    exception. Trust roots are certificates as objects, DER/PEM bytes or file paths.
    Validation is offline: revocation data come from the file's DSS. ``moment`` is "now"
    (the last document timestamp must be trusted then); the signer is checked at the time its
    timestamp proves, so a certificate outlives its signer's certificate.
    """
    try:
        roots = [_asn1_cert(root) for root in trust_roots]
    except Exception as exc:  # a broken trust root is our configuration error: say so
        raise ValueError(f"Unreadable trust root: {exc}") from exc
    if pdf_bytes.lstrip()[:5] != b"%PDF-":
        return ValidationResult(
            ok=False, readable=False, signed=False, error="The file is not a PDF."
        )
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        logger.info("Unreadable PDF submitted for validation: %s", exc)
        return ValidationResult(
            ok=False, readable=False, signed=False, error="The PDF cannot be read."
        )
    if not embedded:
        return ValidationResult(ok=False, signed=False, error="The PDF is not signed.")
    signature = next((s for s in embedded if s.sig_object_type == "/Sig"), embedded[0])
    last = embedded[-1]
    try:  # /ByteRange is [0, before, after, length]: the signed bytes end at after + length
        _, _, after, length = (int(n) for n in last.byte_range)
        signed_length = after + length
    except Exception:  # a malformed /ByteRange: validation below says what is wrong
        signed_length = None
    moment = moment or _now()
    document_timestamp = last if last.sig_object_type == "/DocTimeStamp" else None
    try:
        checked = _check(signature, document_timestamp, reader, roots, moment)
    except Exception as exc:
        logger.info("PDF signature validation failed: %s", exc)
        return ValidationResult(
            ok=False, signed_length=signed_length, error="The signature cannot be validated."
        )
    status, last_status, timestamp_time, validated_at = checked

    cert = status.signing_cert
    only_maintenance = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES
        and status.docmdp_ok is not False
    )
    whole = only_maintenance and last_status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and last_status.intact)
    valid = bool(status.valid and last_status.valid)
    trusted = bool(status.trusted and last_status.trusted)
    result = {
        "intact": intact,
        "valid": valid,
        "trusted": trusted,
        "covers_whole_file": whole,
        "long_term": document_timestamp is not None,
        "signer_fingerprint": fingerprint(cert) if cert is not None else None,
        "signer_subject": cert.subject.human_friendly if cert is not None else None,
        "signing_time": timestamp_time or status.signer_reported_dt,
        "timestamp_time": timestamp_time,
        "validated_at": validated_at,
        "signed_length": signed_length,
    }
    if not intact:
        error = "The document was changed after it was signed."
    elif not valid:
        error = "The signature does not verify."
    elif not whole:
        error = "The document was changed after it was signed (content was appended)."
    elif not trusted:
        error = "The signer's certificate is not issued by a trusted authority."
    else:
        error = None
    return ValidationResult(ok=error is None, error=error, **result)


def _check(signature, document_timestamp, reader, roots, moment):
    """(signature status, status of the last signature, timestamp time, validation time).

    With a document timestamp (PAdES B-LTA): the document timestamp is checked at ``moment``
    and proves when the file existed; the signature's own timestamp is checked at that time and
    proves when it was signed; the signer's chain is checked at that time, with the revocation
    data of the DSS. Without one, everything is checked at ``moment``.
    """
    if document_timestamp is None:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment)
        status = validate_pdf_signature(signature, context)
        return status, status, _timestamp_time(signature), moment

    def context(at):
        return DocumentSecurityStore.read_dss(reader).as_validation_context(
            {
                "trust_roots": roots,
                "allow_fetching": False,
                "moment": at,
                "revocation_mode": "hard-fail",
                # CRLs gathered at signing count for the time of signing: that is the point.
                "retroactive_revinfo": True,
            }
        )

    last_status = validate_pdf_timestamp(document_timestamp, context(moment))
    timestamp_time = _timestamp_time(signature)
    validated_at = timestamp_time or last_status.timestamp
    status = validate_pdf_signature(
        signature, context(validated_at), ts_validation_context=context(last_status.timestamp)
    )
    if timestamp_time is not None and not (
        status.timestamp_validity is not None
        and status.timestamp_validity.intact
        and status.timestamp_validity.valid
        and status.timestamp_validity.trusted
    ):
        validated_at = moment  # an untrusted timestamp proves nothing: check the signer today
        status = validate_pdf_signature(signature, context(moment))
    return status, last_status, timestamp_time, validated_at


def _timestamp_time(signature) -> dt.datetime | None:
    """The time in the signature's own RFC 3161 timestamp token, if it has one (unchecked)."""
    try:
        token = find_unique_cms_attribute(
            signature.signer_info["unsigned_attrs"], "signature_time_stamp_token"
        )
    except Exception:
        return None
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


# --------------------------------------------------------------------------- development CA


@dataclass(frozen=True)
class DevCredentials:
    """Files made by :func:`generate_dev_ca_and_signer`."""

    ca_cert_path: Path
    pkcs12_path: Path
    passphrase: str


def generate_dev_ca_and_signer(
    dest_dir: str | Path,
    *,
    tenant_name: str,
    tenant_slug: str | None = None,
    passphrase: str = DEV_PASSPHRASE,
    validity: dt.timedelta = dt.timedelta(days=3 * 365),
    ca_name: str = DEV_CA_NAME,
    ca_stem: str = "dev-ca",
    signer_unit: str = DEV_SIGNER_UNIT,
) -> DevCredentials:
    """Make (once) a development CA in ``dest_dir`` and a signing certificate for a tenant.

    Writes ``dev-ca.pem`` (import it into a viewer or an NSS database to see signatures as
    trusted), ``dev-ca.key.pem`` (mode 0600, to issue further tenants' certificates) and
    ``<slug>-signer.p12`` (key, certificate valid for ``validity`` and CA, encrypted with
    ``passphrase``). Files that exist are kept, so this is safe to call at every start.
    ``ca_name``, ``ca_stem`` (the file names) and ``signer_unit`` make the local CA of
    `make prod` instead (``ensure_local_credentials`` in certificates/credentials.py).
    """
    dest = Path(dest_dir)
    slug = tenant_slug or _slug(tenant_name)
    ca_key, ca_cert = _ensure_dev_ca(dest, ca_name=ca_name, ca_stem=ca_stem)
    pkcs12_path = dest / f"{slug}-signer.p12"
    if not pkcs12_path.exists():
        key, cert = _make_signer(ca_key, ca_cert, tenant_name, validity, signer_unit)
        data = pkcs12.serialize_key_and_certificates(
            name=f"{tenant_name} PDF signer".encode(),
            key=key,
            cert=cert,
            cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
        )
        _write_private(pkcs12_path, data)
    return DevCredentials(dest / f"{ca_stem}.pem", pkcs12_path, passphrase)


def _ensure_dev_ca(
    dest: Path, *, ca_name: str = DEV_CA_NAME, ca_stem: str = "dev-ca"
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    dest.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = dest / f"{ca_stem}.pem", dest / f"{ca_stem}.key.pem"
    if not (ca_cert_path.exists() and ca_key_path.exists()):
        ca_key, ca_cert = _make_dev_ca(ca_name)
        _write_private(
            ca_key_path,
            ca_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write(ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    return ca_key, ca_cert


def _tsa_files(dest: Path, ca_stem: str) -> tuple[Path, Path]:
    if ca_stem == "dev-ca":
        return dest / DEV_TSA_CERT, dest / DEV_TSA_KEY
    return dest / f"{ca_stem}-tsa.pem", dest / f"{ca_stem}-tsa.key.pem"


def ensure_dev_tsa(
    dest_dir: str | Path, *, ca_name: str = DEV_CA_NAME, ca_stem: str = "dev-ca"
) -> tuple[Path, Path]:
    """Make (once) the development CA's timestamp authority: (certificate, key) PEM paths.

    RSA, because pyHanko's ``DummyTimeStamper`` (the development TSA) signs with RSA only; the
    certificate's critical extended key usage is timeStamping, as RFC 3161 requires.
    ``ca_name`` and ``ca_stem`` give the local CA of `make prod` its own (assay.E007).
    """
    dest = Path(dest_dir)
    ca_key, ca_cert = _ensure_dev_ca(dest, ca_name=ca_name, ca_stem=ca_stem)
    cert_path, key_path = _tsa_files(dest, ca_stem)
    if not (cert_path.exists() and key_path.exists()):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.UTC)
        name = x509.Name(
            [
                x509.NameAttribute(
                    NameOID.COMMON_NAME,
                    "Assay DEVELOPMENT timestamp authority"
                    if ca_stem == "dev-ca"
                    else f"Assay timestamp authority ({ca_stem})",
                ),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Assay development"),
            ]
        )
        cert = (
            _issued_by(ca_key, ca_cert, name, key.public_key(), now, now + dt.timedelta(days=3650))
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(
                _key_usage(digital_signature=True, content_commitment=True), critical=True
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def dev_timestamper(
    dest_dir: str | Path, *, ca_name: str = DEV_CA_NAME, ca_stem: str = "dev-ca"
) -> timestamps.DummyTimeStamper:
    """pyHanko's in-process TSA with the development CA's timestamp authority key."""
    cert_path, key_path = ensure_dev_tsa(dest_dir, ca_name=ca_name, ca_stem=ca_stem)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    return _DevTimeStamper(
        key,
        tsa_cert=_asn1_cert(cert_path),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )


class _DevTimeStamper(timestamps.DummyTimeStamper):
    """pyHanko's in-process TSA with its RSA key loaded once. pyHanko loads (and validates) the
    key again for every token, ≈ 35 ms of each timestamp — two per signature — where a real
    TSA answers in a few milliseconds; the development TSA should not slow signing down more
    than a real one would (benchmarks/pdf_figures.py times the pipeline against it)."""

    def __init__(self, key, **kwargs):
        super().__init__(**kwargs)
        self._key = key

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._key.sign(
            signed_attrs.dump(),
            padding.PKCS1v15(),
            get_pyca_cryptography_hash(md_algorithm.upper()),
        )
        return signature, signed_attrs


def write_dev_crl(
    dest_dir: str | Path,
    *,
    fresh_for: dt.timedelta = dt.timedelta(days=1),
    ca_name: str = DEV_CA_NAME,
    ca_stem: str = "dev-ca",
) -> Path:
    """The development CA's CRL (``dev-ca.crl``, DER, nothing revoked), issued again when it
    would expire within ``fresh_for``; valid for a week. (``<ca_stem>.crl`` of another CA.)"""
    dest = Path(dest_dir)
    path = dest / f"{ca_stem}.crl"
    now = dt.datetime.now(dt.UTC)
    if path.exists():
        current = x509.load_der_x509_crl(path.read_bytes())
        if current.next_update_utc and current.next_update_utc - now > fresh_for:
            return path
    ca_key, ca_cert = _ensure_dev_ca(dest, ca_name=ca_name, ca_stem=ca_stem)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(path, crl.public_bytes(serialization.Encoding.DER))
    return path


def _key_usage(*, digital_signature=False, content_commitment=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _issued_by(ca_key, ca_cert, subject, public_key, not_before, not_after):
    """A certificate builder for an end-entity certificate of the development CA."""
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )


def _make_dev_ca(
    ca_name: str = DEV_CA_NAME,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, ca_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Assay development"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_signer(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    tenant_name: str,
    validity: dt.timedelta,
    unit: str = DEV_SIGNER_UNIT,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, tenant_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, tenant_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    # A signer made for a short life starts now; the default one a day back (clock skew).
    start = now - min(dt.timedelta(days=1), validity / 4)
    cert = (
        _issued_by(ca_key, ca_cert, subject, key.public_key(), start, now + validity)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _slug(name: str) -> str:
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    # A name with no ASCII letters (北京示例认证中心) still needs a stable file name.
    return ascii_slug or "tenant-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- certificates


def _der(cert: asn1_x509.Certificate | x509.Certificate | bytes) -> bytes:
    if isinstance(cert, asn1_x509.Certificate):
        return cert.dump()
    if isinstance(cert, x509.Certificate):
        return cert.public_bytes(serialization.Encoding.DER)
    if isinstance(cert, bytes):
        if asn1_pem.detect(cert):
            return asn1_pem.unarmor(cert)[2]
        return cert
    raise TypeError(f"not a certificate: {type(cert).__name__}")


def _asn1_cert(
    cert: asn1_x509.Certificate | x509.Certificate | bytes | str | Path,
) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, str | Path):
        cert = Path(cert).read_bytes()
    return asn1_x509.Certificate.load(_der(cert))
