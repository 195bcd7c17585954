import datetime as dt
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from certificates.credentials import signing_credentials
from certificates.models import Certificate, Report
from certificates.pdf.dev_tsa import make_server
from certificates.pdf.signing import LOCAL_CA_NAME, LOCAL_CA_STEM, validate_pdf
from portal.checks import check_production_settings
from tenants.models import Membership, Organization, Tenant, User
from tenants.roles import Role
from tests.certificate_fixtures import run_openssl_check, trusting_nss_db


def test_demo_data_loads_once_and_twice_duplicates_nothing(db, pdf_settings, tmp_path, capsys):
    settings = pdf_settings
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    second = capsys.readouterr().out
    with scopes_disabled():
        assert Tenant.objects.get().name == "Demo Assessment Body"
        assert Organization.objects.count() == 2
        roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    assert User.objects.filter(is_superuser=True).count() == 1
    assert "tenant-admin@demo.test" in first and "demo-" in first
    assert "already loaded" in second
    assert (tmp_path / "demo-logins.txt").read_text().count("@demo.test") == 8
    with scopes_disabled():
        certificate = Certificate.objects.get()  # the certified engagement, once
        assert certificate.status == "active" and certificate.pdf
        report = Report.objects.get()
        assert report.status == "ready"
        application = certificate.engagement.application  # the contract review's sample
        assert application.sampled_projects == ["Order management system", "Data platform"]
    assert f"certificate {certificate.number} issued" in first
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=report.pdf.open("rb").read(), capture_output=True
    ).stdout.decode()
    assert "Order management system, Data platform — 2 of 3 project(s) proposed" in " ".join(
        text.split()
    )


def test_demo_signed_with_a_local_ca_passes_production_verification(
    db, pdf_settings, tmp_path, capsys
):
    """`make prod`: the demo body signs with a local CA of its own, which production settings
    may trust (never the development CA, assay.E002), timestamped by that CA's own timestamp
    authority (`run_dev_tsa --local-ca`, assay.E007): PAdES B-LTA, verifying against it alone."""
    settings = pdf_settings
    settings.VAR_DIR = tmp_path
    signing_dir = tmp_path / "local-ca"
    tsa = make_server(signing_dir, ca_name=LOCAL_CA_NAME, ca_stem=LOCAL_CA_STEM)
    threading.Thread(target=tsa.serve_forever, args=(0.05,), daemon=True).start()
    settings.TSA_URL = f"http://127.0.0.1:{tsa.server_address[1]}/"
    settings.SIGNING_CRL_FILES = [str(signing_dir / "local-ca.crl")]
    try:
        call_command("load_demo", signing_dir=str(signing_dir))
    finally:
        tsa.shutdown()
        tsa.server_close()
    local_ca = signing_dir / "local-ca.pem"
    settings.DEBUG = False
    settings.CERTIFICATE_TRUST_ROOTS = [str(local_ca)]
    assert [
        e.id
        for e in check_production_settings()
        if e.id in ("assay.E002", "assay.E003", "assay.E007")
    ] == []
    with scopes_disabled():
        certificate = Certificate.objects.get()
        assert Tenant.objects.get().signing_pkcs12_path.startswith(str(tmp_path / "local-ca"))
    with certificate.pdf.open("rb") as pdf:
        data = pdf.read()
    result = validate_pdf(data, trust_roots=[local_ca])
    assert result.ok and result.long_term
    assert not validate_pdf(data, trust_roots=[settings.DEV_CA_DIR / "dev-ca.pem"]).ok


def test_the_demo_certificate_and_report_verify_everywhere_today_and_past_the_signers_expiry(
    db, pdf_settings, tmp_path, capsys
):
    """Issue 12's "done when" on the demo's own files: pdfsig with the README's trust command,
    OpenSSL at the timestamp's time, pyHanko and the portal; then with the validation clock a
    day past the signer's expiry (pdfsig has no clock: see docs/architecture.md)."""
    if not (shutil.which("pdfsig") and shutil.which("certutil") and shutil.which("openssl")):
        pytest.skip("poppler-utils, libnss3-tools and openssl are needed")
    settings = pdf_settings
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    ca = settings.DEV_CA_DIR / "dev-ca.pem"
    (tmp_path / "nss").mkdir()
    nss = trusting_nss_db(tmp_path / "nss", ca)
    with scopes_disabled():
        certificate = Certificate.objects.get()
        report = Report.objects.get()
        files = {
            "certificate": certificate.pdf.open("rb").read(),
            "report": report.pdf.open("rb").read(),
        }
        path, passphrase = signing_credentials(certificate.tenant)
    signer = pkcs12.load_key_and_certificates(Path(path).read_bytes(), passphrase.encode())[1]
    later = signer.not_valid_after_utc + dt.timedelta(days=1)
    client = Client()
    for name, data in files.items():
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(data)
        pdfsig = subprocess.run(
            ["pdfsig", "-nssdir", nss, str(pdf)], capture_output=True, text=True
        )
        signature, document_timestamp = pdfsig.stdout.split("Signature #")[1:]
        assert "Signature is Valid." in signature and "Certificate is Trusted." in signature, name
        assert "Total document signed" in document_timestamp.replace("Not total", ""), name
        code, openssl = run_openssl_check(pdf, ca)
        assert code == 0 and openssl.rstrip().endswith("VALID"), openssl
        today = validate_pdf(data, trust_roots=[ca])
        assert today.ok and today.long_term, (name, today.error)
        past = validate_pdf(data, trust_roots=[ca], moment=later)
        assert past.ok, (name, past.error)  # checked at the timestamp's time, not the clock's
        body = client.post("/api/v1/verify/", {"pdf": pdf.open("rb")}).json()
        assert body["genuine"] is True, (name, body)
