"""Open Badges 3.0 credentials of certificates, the bodies' Bitstring Status Lists, and the
verification of an uploaded credential (docs/architecture.md, "Open Badges credentials").

A certificate's credential is a W3C Verifiable Credential 2.0 of type OpenBadgeCredential,
secured as a VC-JWT (VC-JOSE-COSE: the compact JWS's payload is the credential itself, header
``typ: vc+jwt``) with the body's own signing key — the key of its PKCS#12 that signs its PDFs —
and the key's certificate chain in ``x5c``. Its ``credentialStatus`` is one
BitstringStatusListEntry, as the Open Badges 3.0 schema allows (an object, not an array): the
certificate's bit in the body's suspension list, set while it is suspended, withdrawn or
superseded and cleared on reinstatement. The body's revocation list (withdrawn or superseded)
is kept too, for credentials issued with both entries. The lists are credentials signed the same
way, made again whenever a bit changes (certificates/services/badges.py) and served as stored.

This module builds, signs and checks; the writes are in ``certificates.services.badges``.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from certificates.credentials import signing_credentials, trust_roots
from certificates.models import Certificate, StatusList
from certificates.pdf.signing import fingerprint, load_signer

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
MEDIA_TYPE = "application/vc+jwt"
# The Bitstring Status List spec asks for at least 16 KB (131,072 entries) so that one
# certificate's bit cannot be told from the list's size: herd privacy.
MIN_LIST_BITS = 16 * 1024 * 8
# Algorithms accepted on an uploaded credential: never "none", never HMAC.
ACCEPTED_ALGORITHMS = ["ES256", "ES384", "ES512", "PS256", "RS256"]
_CURVE_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
# The statuses that set a certificate's bit in each list. A credential names only the
# suspension list (docs/architecture.md, "Open Badges credentials"), so every status in which it
# must not be accepted sets that bit; only suspension is ever cleared (reinstatement).
STATUS_BITS = {
    StatusList.Purpose.REVOCATION: (Certificate.Status.WITHDRAWN, Certificate.Status.SUPERSEDED),
    StatusList.Purpose.SUSPENSION: (
        Certificate.Status.SUSPENDED,
        Certificate.Status.WITHDRAWN,
        Certificate.Status.SUPERSEDED,
    ),
}
# The list a credential's one status entry names.
CREDENTIAL_STATUS_PURPOSE = StatusList.Purpose.SUSPENSION


# --- The body's key -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyKey:
    """A body's signing key as JOSE sees it: the private JWK, its algorithm, the certificate
    chain (``x5c``, leaf first) and the leaf's fingerprint (as Certificate.signer_fingerprint)."""

    private: jwk.JWK
    algorithm: str
    x5c: list[str]
    fingerprint: str

    @property
    def kid(self) -> str:
        return self.private.thumbprint()

    def public_jwk(self) -> dict:
        return {
            **self.private.export_public(as_dict=True),
            "kid": self.kid,
            "alg": self.algorithm,
            "use": "sig",
            "x5c": self.x5c,
        }


_keys: dict[tuple, BodyKey] = {}
_keys_lock = threading.Lock()


def body_key(tenant) -> BodyKey:
    """The tenant's signing key from its PKCS#12 (decrypted once per process by
    ``load_signer``); raises SigningNotConfigured when it has none."""
    path, passphrase = signing_credentials(tenant)
    signer = load_signer(path, passphrase)
    leaf_fingerprint = fingerprint(signer.signing_cert)
    with _keys_lock:
        key = _keys.get((path, leaf_fingerprint))
        if key is None:
            private = serialization.load_der_private_key(signer.signing_key.dump(), None)
            chain = [signer.signing_cert] + [
                cert for cert in signer.cert_registry if cert.dump() != signer.signing_cert.dump()
            ]
            key = BodyKey(
                private=jwk.JWK.from_pyca(private),
                algorithm=_algorithm(private),
                x5c=[base64.b64encode(cert.dump()).decode() for cert in chain],
                fingerprint=leaf_fingerprint,
            )
            _keys[(path, leaf_fingerprint)] = key
        return key


def _algorithm(key) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return _CURVE_ALGORITHMS[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "PS256"
    raise ValueError(f"no JOSE algorithm for a {type(key).__name__}")


def sign(claims: dict, key: BodyKey) -> str:
    """A compact VC-JWT of ``claims`` (VC-JOSE-COSE: typ vc+jwt, cty vc), with the chain."""
    token = jws.JWS(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    token.add_signature(
        key.private,
        alg=key.algorithm,
        protected={
            "alg": key.algorithm,
            "typ": "vc+jwt",
            "cty": "vc",
            "kid": key.kid,
            "x5c": key.x5c,
        },
    )
    return token.serialize(compact=True)


# --- Addresses ---------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def issuer_url(tenant) -> str:
    """The body's id in credentials: its public profile (an OB3 Profile)."""
    return _absolute(reverse("verify:issuer", args=[tenant.slug]))


def jwks_url(tenant) -> str:
    return _absolute(reverse("verify:issuer_jwks", args=[tenant.slug]))


def status_list_url(tenant, purpose: str) -> str:
    return _absolute(reverse("verify:status_list", args=[tenant.slug, purpose]))


def credential_url(certificate) -> str:
    return _absolute(reverse("verify:credential", args=[certificate.number]))


def verify_url(certificate) -> str:
    return _absolute(reverse("verify:number", args=[certificate.number]))


def _instant(day: dt.date, *, end=False) -> str:
    return f"{day.isoformat()}T{'23:59:59' if end else '00:00:00'}Z"


# --- The certificate's credential ---------------------------------------------------------------


def issuer_profile(tenant) -> dict:
    profile = {"id": issuer_url(tenant), "type": ["Profile"], "name": tenant.name}
    if settings.SITE_URL:
        profile["url"] = settings.SITE_URL + "/"
    return profile


def achievement_name(certificate) -> str:
    """ "Continuous Delivery — Level 3 (Comprehensive)"."""
    return f"{certificate.model_name_en} — Level {certificate.level} ({certificate.level_name_en})"


def credential_claims(certificate) -> dict:
    """The OpenBadgeCredential of a certificate: what its PDF states, as data."""
    tenant = certificate.tenant
    version = certificate.model_version
    model_code = version.model.code
    achievement_id = (
        f"urn:assay:{tenant.slug}:{model_code}:{version.version}:level-{certificate.level}"
    )
    levels = sorted(version.levels, key=lambda entry: entry.get("level", 0))
    rubric = [
        {
            "id": f"{achievement_id}#level-{entry['level']}",
            "type": ["RubricCriterionLevel"],
            "name": f"Level {entry['level']} ({entry.get('name_en') or entry.get('name') or ''})",
            "level": str(entry["level"]),
        }
        for entry in levels
        if "level" in entry
    ]
    scope = "; ".join(f"{d['code']} {d['name_en']}" for d in certificate.scope)
    standard = certificate.standard_identifier or f"{certificate.model_name_en} {version.version}"
    index = certificate.status_list_index
    organization = certificate.organization
    identifiers = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": certificate.organization_name_en or certificate.organization_name,
        }
    ]
    if organization.registration_id:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "identifier",
                "hashed": False,
                "identityHash": organization.registration_id,
            }
        )
    return {
        "@context": CONTEXTS,
        "id": credential_url(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement_name(certificate),
        "issuer": issuer_profile(tenant),
        "validFrom": _instant(certificate.issued_on),
        "validUntil": _instant(certificate.expires_on, end=True),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": achievement_name(certificate),
                "description": (
                    f"Capability maturity level {certificate.level} "
                    f"({certificate.level_name_en}) of {certificate.model_name_en} "
                    f"{version.version}, certified by {tenant.name}."
                ),
                "criteria": {
                    "narrative": (
                        f"Assessed by {tenant.name} against {standard}: every requirement of "
                        f"levels 1 to {certificate.level} met (or not applicable) in every "
                        f"capability item of the scope. Scope: {scope}."
                    )
                },
                "humanCode": certificate.number,
                "version": version.version,
                "specialization": certificate.model_name_en,
                "otherIdentifier": [
                    {
                        "type": "IdentifierEntry",
                        "identifier": standard,
                        "identifierType": "identifier",
                    }
                ],
                "resultDescription": [
                    {
                        "id": f"{achievement_id}#maturity-level",
                        "type": ["ResultDescription"],
                        "name": "Capability maturity level",
                        "resultType": "RubricCriterionLevel",
                        "rubricCriterionLevel": rubric,
                    }
                ],
                "creator": issuer_profile(tenant),
            },
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": f"{achievement_id}#maturity-level",
                    "achievedLevel": f"{achievement_id}#level-{certificate.level}",
                }
            ],
        },
        "credentialStatus": {
            "id": f"{status_list_url(tenant, CREDENTIAL_STATUS_PURPOSE)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": CREDENTIAL_STATUS_PURPOSE,
            "statusListIndex": str(index),
            "statusListCredential": status_list_url(tenant, CREDENTIAL_STATUS_PURPOSE),
        },
        "evidence": [
            {
                "id": verify_url(certificate),
                "type": ["Evidence"],
                "name": f"Certificate {certificate.number}",
                "narrative": "The public verification page of the certificate: its status now.",
            }
        ],
    }


def status_entries(claims: dict) -> list[dict]:
    """The status entries of a credential: one object (ours now), or the array of VC 2.0
    (credentials issued with both lists); anything else is none."""
    status = claims.get("credentialStatus")
    if isinstance(status, dict):
        return [status]
    if isinstance(status, list):
        return [entry for entry in status if isinstance(entry, dict)]
    return []


# --- Bitstring Status Lists --------------------------------------------------------------------


def list_length(indexes) -> int:
    """Bits in a list holding ``indexes``: at least 16 KB, doubled as needed."""
    length = MIN_LIST_BITS
    top = max(indexes, default=0)
    while top >= length:
        length *= 2
    return length


def encode_bits(indexes, length: int) -> str:
    """The spec's encodedList: the bitstring (index 0 the most significant bit of the first
    byte), GZIP-compressed, base64url without padding, multibase prefix ``u``."""
    bits = bytearray(length // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_bits(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("the encoded list is not base64url multibase")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(bits: bytes, index: int) -> bool:
    if index < 0 or index // 8 >= len(bits):
        raise ValueError("the index is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_claims(tenant, purpose: str, indexes, *, now=None) -> dict:
    url = status_list_url(tenant, purpose)
    now = now or timezone.now()
    return {
        "@context": CONTEXTS[:1],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(tenant),
        "validFrom": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(indexes, list_length(indexes)),
        },
    }


def flagged_indexes(tenant) -> dict[str, list[int]]:
    """The indexes whose bit is set in each of the tenant's lists: one query."""
    flagged = {purpose: [] for purpose in STATUS_BITS}
    rows = Certificate.objects.filter(
        tenant=tenant,
        status__in=[status for statuses in STATUS_BITS.values() for status in statuses],
        status_list_index__isnull=False,
    ).values_list("status", "status_list_index")
    for status, index in rows:
        for purpose, statuses in STATUS_BITS.items():
            if status in statuses:
                flagged[purpose].append(index)
    return flagged


# --- Reading a credential ------------------------------------------------------------------------


def unverified_payload(token: str) -> dict:
    """The claims of a compact JWS, unchecked (for the issuer's own stored credentials)."""
    return json.loads(_b64url(token.split(".")[1]))


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_from_input(text: str) -> str | dict:
    """The compact or JSON-serialized JWS in what was uploaded or pasted, or the credential
    object when it carries no JOSE signature at all. ValidationError on `credential` when it
    is neither a JWT nor JSON."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise ValidationError({"credential": [_("The credential is empty.")]})
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise ValidationError(
                {"credential": [_("This is not a credential: the JSON cannot be read.")]}
            ) from None
        if not isinstance(document, dict):
            raise ValidationError({"credential": [_("This is not a credential.")]})
        enveloped = document.get("id")
        # A VC 2.0 EnvelopedVerifiableCredential carries the VC-JWT in a data: URL.
        if isinstance(enveloped, str) and enveloped.startswith(f"data:{MEDIA_TYPE},"):
            return enveloped.split(",", 1)[1].strip()
        if "payload" in document and ("signature" in document or "signatures" in document):
            return text  # the JWS JSON serialization
        if "credentialSubject" in document or "@context" in document:
            return document
        raise ValidationError({"credential": [_("This is not a credential.")]})
    if text.count(".") != 2 or any(c.isspace() for c in text):
        raise ValidationError(
            {"credential": [_("This is not a credential: expected a JWT or a JSON document.")]}
        )
    return text


def number_of(credential_id) -> str | None:
    """The certificate number in a credential id of this portal, or None."""
    if not isinstance(credential_id, str):
        return None
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(credential_id)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    path = parts.path
    prefix = site.path.rstrip("/")
    if prefix:
        if not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :]
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.kwargs["number"] if match.view_name == "verify:credential" else None


@dataclass
class Signed:
    """What the JOSE layer of an uploaded credential says."""

    claims: dict
    leaf: x509.Certificate | None
    signature_valid: bool
    trusted: bool

    @property
    def leaf_fingerprint(self) -> str | None:
        if self.leaf is None:
            return None
        return hashlib.sha256(self.leaf.public_bytes(serialization.Encoding.DER)).hexdigest()


def check_signature(token: str) -> Signed:
    """Parse a JWS and check its signature with the key of its ``x5c`` leaf, and whether that
    leaf was issued by one of the portal's trust roots. ValidationError on `credential` for
    what is not a readable JWS with JSON claims."""
    unreadable = ValidationError(
        {"credential": [_("This credential is damaged or not a JWT; it cannot be read.")]}
    )
    token_object = jws.JWS()
    try:
        token_object.deserialize(token)
        header = token_object.jose_header
        if isinstance(header, list):  # several signatures: ours have one
            header = header[0]
        claims = json.loads(token_object.objects["payload"])
    except (JWException, ValueError, KeyError, TypeError):
        raise unreadable from None
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise unreadable
    if "credentialSubject" not in claims:
        raise ValidationError({"credential": [_("This JWT is not a verifiable credential.")]})
    leaf = _leaf(header.get("x5c"))
    if leaf is None or header.get("alg") not in ACCEPTED_ALGORITHMS:
        return Signed(claims, leaf, signature_valid=False, trusted=False)
    try:
        key = jwk.JWK.from_pyca(leaf.public_key())
        token_object.verify(key, alg=header["alg"])
        valid = True
    except (JWException, ValueError, TypeError):
        valid = False
    return Signed(claims, leaf, signature_valid=valid, trusted=_issued_by_root(leaf))


def _leaf(x5c) -> x509.Certificate | None:
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
    except ValueError:
        return None


def _issued_by_root(leaf: x509.Certificate) -> bool:
    for path in trust_roots():
        with open(path, "rb") as handle:
            data = handle.read()
        for root in x509.load_pem_x509_certificates(data):
            try:
                leaf.verify_directly_issued_by(root)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return True
    return False
