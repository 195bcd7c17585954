"""Each tenant's signing credential (a PKCS#12 file named in its settings) and the trust roots
that public verification accepts."""

import os
import secrets
from pathlib import Path

from django.conf import settings

from certificates.pdf.signing import (
    LOCAL_CA_NAME,
    LOCAL_CA_STEM,
    LOCAL_SIGNER_UNIT,
    ensure_dev_tsa,
    generate_dev_ca_and_signer,
    write_dev_crl,
)


class SigningNotConfigured(Exception):
    """The tenant has no usable signing credential."""


def _passphrase_variable(tenant):
    return "ASSAY_SIGNING_PASSPHRASE_" + tenant.slug.upper().replace("-", "_")


def signing_credentials(tenant) -> tuple[str, str]:
    """(PKCS#12 path, passphrase) of the tenant; the passphrase comes from the environment
    (ASSAY_SIGNING_PASSPHRASE_<SLUG>) or from a `<file>.pass` beside the PKCS#12 file."""
    path = tenant.signing_pkcs12_path
    if not path or not Path(path).is_file():
        raise SigningNotConfigured(f"{tenant.slug}: no signing credential (PKCS#12) configured")
    passphrase = os.environ.get(_passphrase_variable(tenant))
    if passphrase is None:
        pass_file = Path(path + ".pass")
        if not pass_file.is_file():
            raise SigningNotConfigured(
                f"{tenant.slug}: set {_passphrase_variable(tenant)} or write {pass_file}"
            )
        passphrase = pass_file.read_text().strip()
    return path, passphrase


def ensure_dev_credentials(tenant):
    """Give a tenant DEVELOPMENT signing credentials (made once, under DEV_CA_DIR) unless it
    has its own, and the development CA its timestamp authority and a fresh CRL. The CA is named
    as a development CA: never for production."""
    ensure_dev_tsa(settings.DEV_CA_DIR)
    write_dev_crl(settings.DEV_CA_DIR)
    if tenant.signing_pkcs12_path and Path(tenant.signing_pkcs12_path).is_file():
        return tenant
    credentials = generate_dev_ca_and_signer(
        settings.DEV_CA_DIR, tenant_name=tenant.name, tenant_slug=tenant.slug
    )
    pass_file = Path(str(credentials.pkcs12_path) + ".pass")
    pass_file.write_text(credentials.passphrase)
    pass_file.chmod(0o600)
    tenant.signing_pkcs12_path = str(credentials.pkcs12_path)
    tenant.save(update_fields=["signing_pkcs12_path"])
    return tenant


def ensure_local_credentials(tenant, directory):
    """Give a tenant signing credentials of a local CA kept in `directory` (made once, with a
    random passphrase in `<file>.pass`), for `make prod` on one machine: production verification
    trusts `<directory>/local-ca.pem`, never the development CA (portal/checks.py, E002).
    Returns the CA file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    slug = tenant.slug
    pass_file = directory / f"{slug}-signer.p12.pass"
    if not pass_file.is_file():
        pass_file.write_text(secrets.token_urlsafe(32))
        pass_file.chmod(0o600)
    credentials = generate_dev_ca_and_signer(
        directory,
        tenant_name=tenant.name,
        tenant_slug=slug,
        passphrase=pass_file.read_text().strip(),
        ca_name=LOCAL_CA_NAME,
        ca_stem=LOCAL_CA_STEM,
        signer_unit=LOCAL_SIGNER_UNIT,
    )
    if tenant.signing_pkcs12_path != str(credentials.pkcs12_path):
        tenant.signing_pkcs12_path = str(credentials.pkcs12_path)
        tenant.save(update_fields=["signing_pkcs12_path"])
    return credentials.ca_cert_path


def trust_roots():
    """The CA certificates (PEM paths) whose signatures verification trusts."""
    return [path for path in settings.CERTIFICATE_TRUST_ROOTS if Path(path).is_file()]


def timestamp_url(tenant) -> str:
    """The RFC 3161 timestamp authority of the tenant's signatures ("" for none)."""
    return tenant.tsa_url or settings.TSA_URL


def signing_crls() -> list[str]:
    """The CRL files embedded in signatures as revocation data (empty: fetched instead)."""
    return [path for path in settings.SIGNING_CRL_FILES if Path(path).is_file()]
