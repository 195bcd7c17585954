"""PAdES signatures on Assay PDFs (pyHanko), their validation, and a development CA.

A certificate PDF is signed once, right after rendering, and never modified again: pyHanko
appends the signature as an incremental update covering the whole file, so any later change
(a stamp, a one-byte edit) leaves the signature no longer covering the file, which both
pyHanko and poppler's ``pdfsig`` report. Status changes belong on the verification page.

Signatures are PAdES baseline B-B (``ETSI.CAdES.detached``, SHA-256) with an ECDSA P-256 key
whose certificate carries the ``nonRepudiation`` (content commitment) key usage — what the
DESIGN asks of a certification body's signature. No timestamp authority or revocation data
is embedded: there is none to call in development, and pyHanko can upgrade a signature to
B-T/B-LT later without invalidating it.

:func:`generate_dev_ca_and_signer` makes throw-away credentials for development and tests:
a CA whose name says it is not for production, and one signing certificate per tenant.
Production tenants get their PKCS#12 from a real CA.
"""

from __future__ import annotations

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

from asn1crypto import algos, cms
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.validation import validate_pdf_signature
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
DEV_PASSPHRASE = "assay-development"  # noqa: S105 - development credentials only
DEFAULT_FIELD_NAME = "AssaySignature"


class SigningError(RuntimeError):
    """The PDF could not be signed (bad PKCS#12, wrong passphrase, unreadable PDF)."""


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
            if signer.signing_key.algorithm == "ec":
                signer = _PrebuiltCmsSigner(signer)
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
) -> bytes:
    """Return ``pdf_bytes`` with an invisible PAdES B-B signature appended."""
    signer = load_signer(pkcs12_path, passphrase)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        contact_info=contact_info,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        output = signers.sign_pdf(
            writer, metadata, signer=signer, bytes_reserved=_reserved_bytes(signer)
        )
    except Exception as exc:
        raise SigningError(f"Cannot sign the PDF: {exc}") from exc
    return output.getvalue()


def _reserved_bytes(signer: signers.SimpleSigner) -> int:
    """Room for the CMS signature in the PDF, from the certificates it embeds.

    Without it pyHanko sizes the room by making a dummy signature first, which doubles the
    cost of signing. The CMS holds the certificates, the signed
    attributes (a few hundred bytes) and the signature value (72 bytes for ECDSA P-256, 512
    for RSA-4096); 2 KB covers the rest with a wide margin. pyHanko counts the room in hex
    digits, two a byte.
    """
    certificates = sum(len(cert.dump()) for cert in signer.cert_registry)
    certificates += len(signer.signing_cert.dump())
    return 2 * (certificates + 2048)


class _PrebuiltCmsSigner(signers.SimpleSigner):
    """pyHanko's signer with the CMS container assembled from bytes prepared once.

    pyHanko builds the CMS SignedData with asn1crypto objects at every signature; that is
    ≈ 15 ms of the ≈ 19 ms a certificate's signature takes, for a structure in which only the
    document digest and the signature value change. This signer prepares everything else
    once — the signed attributes PAdES B-B asks for (content type, message digest,
    ESS signing-certificate-v2, built by pyHanko's own helpers), the signer identifier, the
    certificates — and per document substitutes the digest, signs the attributes with the
    key (ECDSA, SHA-256) and wraps them: ≈ 3 ms. ``async_sign`` is pyHanko's documented
    override point; the PDF side (signature field, byte ranges, incremental update) stays
    pyHanko's. Anything else (another digest, a timestamp, embedded content) goes to pyHanko.
    Both validators, pyHanko's and poppler's, check its output in the tests.
    """

    _PLACEHOLDER = b"\xa5" * 32

    def __init__(self, base: signers.SimpleSigner) -> None:
        super().__init__(
            signing_cert=base.signing_cert,
            signing_key=base.signing_key,
            cert_registry=base.cert_registry,
        )
        cert = base.signing_cert
        self._key = serialization.load_der_private_key(base.signing_key.dump(), None)
        attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "data"),
                simple_cms_attribute("message_digest", self._PLACEHOLDER),
                simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(cert)),
            ]
        ).dump()
        at = attrs.index(self._PLACEHOLDER)
        self._attrs_before, self._attrs_after = attrs[:at], attrs[at + 32 :]
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                )
            }
        ).dump()
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._signer_info_head = _INTEGER_1 + sid + digest_algorithm
        self._signature_algorithm = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa"}
        ).dump()
        certificates = sorted({c.dump() for c in base.cert_registry} | {cert.dump()})
        self._signed_data_head = (
            _INTEGER_1
            + _der_tlv(0x31, digest_algorithm)
            + cms.EncapsulatedContentInfo({"content_type": "data"}).dump()
            + _der_tlv(0xA0, b"".join(certificates))
        )
        self._signed_data_type = cms.ContentType("signed_data").dump()

    async def async_sign(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run: bool = False,
        use_pades: bool = False,
        timestamper=None,
        signed_attr_settings=None,
        is_pdf_sig: bool = True,
        encap_content_info=None,
    ) -> cms.ContentInfo:
        extra_attributes = signed_attr_settings is not None and (
            signed_attr_settings.cades_signed_attrs is not None
            or getattr(signed_attr_settings, "adobe_revinfo_attr", None) is not None
        )
        if (
            not use_pades  # outside PAdES pyHanko adds a signingTime attribute
            or extra_attributes
            or digest_algorithm != "sha256"
            or len(data_digest) != 32
            or timestamper is not None
            or encap_content_info is not None
            or self.attribute_certs
        ):
            return await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
        attrs = self._attrs_before + data_digest + self._attrs_after
        # A dry run only sizes the container: 72 bytes is the longest DER ECDSA P-256 value.
        signature = b"\x00" * 72 if dry_run else self._key.sign(attrs, ec.ECDSA(hashes.SHA256()))
        signer_info = _der_tlv(
            0x30,
            self._signer_info_head
            + b"\xa0"
            + attrs[1:]  # signedAttrs is [0] IMPLICIT: the SET tag becomes A0
            + self._signature_algorithm
            + _der_tlv(0x04, signature),
        )
        signed_data = _der_tlv(0x30, self._signed_data_head + _der_tlv(0x31, signer_info))
        content_info = _der_tlv(0x30, self._signed_data_type + _der_tlv(0xA0, signed_data))
        return cms.ContentInfo.load(content_info)


_INTEGER_1 = b"\x02\x01\x01"


def _der_tlv(tag: int, content: bytes) -> bytes:
    """A DER tag-length-value with a definite length."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


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
    chains to one of the trust roots) and to cover the whole file (nothing appended since).
    ``error`` says in words why not, when it is not. ``readable`` is false for a file that is
    not a PDF or cannot be parsed, ``signed`` for a PDF without a signature. ``signed_length``
    is where the signed revision ends: when content was appended after signing,
    ``pdf_bytes[:signed_length]`` is the file as it was signed.
    """

    ok: bool
    readable: bool = True
    signed: bool = True
    signed_length: int | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    signer_fingerprint: str | None = None
    signer_subject: str | None = None
    signing_time: dt.datetime | None = None
    error: str | None = None


def validate_pdf(
    pdf_bytes: bytes,
    *,
    trust_roots: Iterable[asn1_x509.Certificate | x509.Certificate | bytes | str | Path],
) -> ValidationResult:
    """Validate the last signature of ``pdf_bytes`` against ``trust_roots``; never raises.

    Anything may be uploaded to the public verification page, so a file that is not a PDF,
    has no signature or is damaged is a result (``ok=False`` with ``error``), not an
    exception. Trust roots are certificates as objects, DER/PEM bytes or file paths.
    Validation is offline: no revocation fetching.
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
    signature = embedded[-1]
    try:  # /ByteRange is [0, before, after, length]: the signed bytes end at after + length
        _, _, after, length = (int(n) for n in signature.byte_range)
        signed_length = after + length
    except Exception:  # a malformed /ByteRange: validation below says what is wrong
        signed_length = None
    try:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(signature, context, skip_diff=True)
    except Exception as exc:
        logger.info("PDF signature validation failed: %s", exc)
        return ValidationResult(
            ok=False, signed_length=signed_length, error="The signature cannot be validated."
        )

    cert = status.signing_cert
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    result = {
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "covers_whole_file": whole,
        "signer_fingerprint": fingerprint(cert) if cert is not None else None,
        "signer_subject": cert.subject.human_friendly if cert is not None else None,
        "signing_time": status.signer_reported_dt,
        "signed_length": signed_length,
    }
    if not status.intact:
        error = "The document was changed after it was signed."
    elif not status.valid:
        error = "The signature does not verify."
    elif not whole:
        error = "The document was changed after it was signed (content was appended)."
    elif not status.trusted:
        error = "The signer's certificate is not issued by a trusted authority."
    else:
        error = None
    return ValidationResult(ok=error is None, error=error, **result)


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
    ca_name: str = DEV_CA_NAME,
    ca_stem: str = "dev-ca",
    signer_unit: str = DEV_SIGNER_UNIT,
) -> DevCredentials:
    """Make (once) a development CA in ``dest_dir`` and a signing certificate for a tenant.

    Writes ``dev-ca.pem`` (import it into a viewer or an NSS database to see signatures as
    trusted), ``dev-ca.key.pem`` (mode 0600, to issue further tenants' certificates) and
    ``<slug>-signer.p12`` (key, certificate and CA, encrypted with ``passphrase``). Files that
    exist are kept, so this is safe to call at every start. ``ca_name``, ``ca_stem`` (the file
    names) and ``signer_unit`` make the local CA of `make prod` instead
    (``ensure_local_credentials`` in certificates/credentials.py).
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    slug = tenant_slug or _slug(tenant_name)
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

    pkcs12_path = dest / f"{slug}-signer.p12"
    if not pkcs12_path.exists():
        key, cert = _make_signer(ca_key, ca_cert, tenant_name, signer_unit)
        data = pkcs12.serialize_key_and_certificates(
            name=f"{tenant_name} PDF signer".encode(),
            key=key,
            cert=cert,
            cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
        )
        _write_private(pkcs12_path, data)
    return DevCredentials(ca_cert_path, pkcs12_path, passphrase)


def _make_dev_ca(ca_name: str = DEV_CA_NAME) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
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
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
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
