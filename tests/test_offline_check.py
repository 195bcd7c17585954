"""What a relying party needs to check a PDF without the portal, served by the portal itself:
the certificate authorities it trusts and the OpenSSL check
(certificates/offline/openssl_check.py)."""

import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certificates.credentials import trust_roots
from certificates.trust import OPENSSL_CHECK
from tests.certificate_fixtures import run_openssl_check


def _der_sha256(cert):
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _configured():
    found = [
        c
        for path in trust_roots()
        for c in x509.load_pem_x509_certificates(Path(path).read_bytes())
    ]
    assert found, "no trusted CA is configured: the test would compare nothing"
    return found


def test_the_trusted_authorities_download_as_one_pem(client, pdf_settings):
    response = client.get("/verify/trust/roots.pem")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert 'filename="assay-trust-roots.pem"' in response["Content-Disposition"]
    served = x509.load_pem_x509_certificates(response.content)
    assert [_der_sha256(c) for c in served] == list(
        dict.fromkeys(_der_sha256(c) for c in _configured())
    )
    for cert in served:  # each named with its fingerprint, for whoever reads the file
        assert f"# SHA-256 {_der_sha256(cert)}" in response.content.decode()


def test_an_authority_configured_twice_is_served_once(client, pdf_settings):
    pdf_settings.CERTIFICATE_TRUST_ROOTS = [*trust_roots(), *trust_roots()]

    served = x509.load_pem_x509_certificates(client.get("/verify/trust/roots.pem").content)

    assert len(served) == len({_der_sha256(c) for c in _configured()})


def test_no_trusted_authority_is_a_404_not_an_empty_file(client, settings, tmp_path):
    settings.CERTIFICATE_TRUST_ROOTS = [str(tmp_path / "missing.pem")]

    assert client.get("/verify/trust/roots.pem").status_code == 404


def test_the_api_lists_the_authorities_and_where_to_get_the_check(client, pdf_settings):
    body = client.get("/api/v1/verify/trust/").json()

    assert [root["sha256"] for root in body["roots"]] == list(
        dict.fromkeys(_der_sha256(c) for c in _configured())
    )
    first = body["roots"][0]
    assert (
        x509.load_pem_x509_certificate(first["pem"].encode()).subject.rfc4514_string()
        == (first["subject"])
    )
    assert first["not_after"]
    assert body["roots_pem_url"].endswith("/verify/trust/roots.pem")
    assert body["openssl_check_url"].endswith("/verify/trust/openssl_check.py")


def test_the_check_downloads_as_the_file_in_the_repository(client):
    response = client.get("/verify/trust/openssl_check.py")

    assert response.status_code == 200
    assert 'filename="openssl_check.py"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data == OPENSSL_CHECK.read_bytes()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_verification_page_links_both_downloads(client, language, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get("/verify/").content.decode()

    assert 'id="offline"' in page
    assert 'href="/verify/trust/roots.pem"' in page
    assert 'href="/verify/trust/openssl_check.py"' in page
    assert ("Check a file without this site" in page) == (language == "en")
    assert ("离线自行验证" in page) == (language == "zh-hans")


def test_an_issued_certificate_passes_the_downloaded_check_with_the_downloaded_roots(
    client, issued_certificate, tmp_path
):
    """The relying party's whole path: two downloads from the portal, then no portal at all."""
    script = tmp_path / "openssl_check.py"
    script.write_bytes(b"".join(client.get("/verify/trust/openssl_check.py").streaming_content))
    roots = tmp_path / "roots.pem"
    roots.write_bytes(client.get("/verify/trust/roots.pem").content)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(issued_certificate.pdf.read())

    code, output = run_openssl_check(pdf, roots, script=script)

    assert code == 0, output
    assert output.rstrip().endswith("VALID")
