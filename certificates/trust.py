"""What a relying party needs to check a signed PDF without the portal: the CA certificates the
portal trusts (``CERTIFICATE_TRUST_ROOTS``) and the OpenSSL check
(certificates/offline/openssl_check.py), both served by the public verification page
(docs/architecture.md, "Signed PDFs")."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certificates.credentials import trust_roots

OPENSSL_CHECK = Path(__file__).parent / "offline" / "openssl_check.py"


@dataclass(frozen=True)
class Root:
    subject: str
    sha256: str
    not_after: dt.datetime
    pem: str


def roots() -> list[Root]:
    """The trusted CA certificates, each once, in the order configured."""
    found: dict[str, Root] = {}
    for path in trust_roots():
        for cert in x509.load_pem_x509_certificates(Path(path).read_bytes()):
            der = cert.public_bytes(serialization.Encoding.DER)
            digest = hashlib.sha256(der).hexdigest()
            found.setdefault(
                digest,
                Root(
                    subject=cert.subject.rfc4514_string(),
                    sha256=digest,
                    not_after=cert.not_valid_after_utc,
                    pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                ),
            )
    return list(found.values())


def roots_pem() -> str:
    """The trusted CA certificates as one PEM file, each preceded by its name and SHA-256."""
    return "".join(f"# {root.subject}\n# SHA-256 {root.sha256}\n{root.pem}" for root in roots())
