"""PAdES signatures that pyHanko and poppler's pdfsig both accept, and both reject once touched."""

import hashlib
import io
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from weasyprint import HTML

from certificates.pdf.fetcher import AssayURLFetcher
from certificates.pdf.signing import (
    DEV_CA_NAME,
    SigningError,
    fingerprint,
    generate_dev_ca_and_signer,
    load_signer,
    sign_pdf,
    signer_fingerprint,
    validate_pdf,
)

TENANT = "Example Assessment Services Ltd."


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    return generate_dev_ca_and_signer(tmp_path_factory.mktemp("ca"), tenant_name=TENANT)


@pytest.fixture(scope="module")
def unsigned_pdf():
    html = "<h1>Certificate</h1><p>EAS-2025-000123</p>"
    return HTML(string=html, url_fetcher=AssayURLFetcher(None)).write_pdf()


@pytest.fixture(scope="module")
def signed_pdf(credentials, unsigned_pdf):
    return sign_pdf(
        unsigned_pdf,
        pkcs12_path=credentials.pkcs12_path,
        passphrase=credentials.passphrase,
        reason="Certificate EAS-2025-000123",
        location="Beijing",
    )


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory, credentials):
    """An NSS database trusting the development CA, as pdfsig reads trust from one."""
    if shutil.which("certutil") is None:
        pytest.skip("libnss3-tools (certutil) is not installed")
    directory = tmp_path_factory.mktemp("nssdb")
    database = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "--empty-password", "-d", database], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "ca",
            "-t",
            ",C,",  # trusted to issue signing certificates: the README's command
            "-i",
            str(credentials.ca_cert_path),
            "-d",
            database,
        ],
        check=True,
    )
    return database


def pdfsig(pdf, tmp_path, *options):
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils (pdfsig) is not installed")
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", *options, str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


def one_byte_changed(pdf: bytes) -> bytes:
    """The same PDF with its header's version digit changed: still parseable, not the same."""
    assert pdf.startswith(b"%PDF-1.")
    return pdf[:7] + bytes([pdf[7] ^ 0x01]) + pdf[8:]


def test_dev_ca_is_named_as_such_and_made_once(credentials):
    again = generate_dev_ca_and_signer(credentials.ca_cert_path.parent, tenant_name=TENANT)
    ca = x509.load_pem_x509_certificate(credentials.ca_cert_path.read_bytes())

    assert again == credentials
    assert DEV_CA_NAME in ca.subject.rfc4514_string()
    assert "not for production" in DEV_CA_NAME
    assert oct(credentials.pkcs12_path.stat().st_mode & 0o777) == "0o600"


def test_signer_key_is_p256_with_non_repudiation(credentials):
    key, cert, chain = pkcs12.load_key_and_certificates(
        credentials.pkcs12_path.read_bytes(), credentials.passphrase.encode()
    )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value

    assert isinstance(key.curve, ec.SECP256R1)
    assert usage.digital_signature and usage.content_commitment
    assert [c.subject for c in chain] == [cert.issuer]


def test_pdfsig_says_the_signature_is_valid(signed_pdf, tmp_path):
    report = pdfsig(signed_pdf, tmp_path)

    assert "Signature is Valid." in report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report


def test_pdfsig_trusts_it_given_the_development_ca(signed_pdf, nss_db, tmp_path):
    report = pdfsig(signed_pdf, tmp_path, "-nssdir", nss_db)

    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report


def test_it_is_a_certification_signature_allowing_no_changes(signed_pdf):
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    signature = reader.embedded_signatures[0]

    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    assert "/DocMDP" in reader.root["/Perms"]


def test_pyhanko_finds_it_valid_and_trusted(signed_pdf, credentials):
    result = validate_pdf(signed_pdf, trust_roots=[credentials.ca_cert_path])

    assert result.ok, result.error
    assert result.intact and result.valid and result.trusted and result.covers_whole_file
    assert result.signer_fingerprint == signer_fingerprint(
        credentials.pkcs12_path, credentials.passphrase
    )
    assert result.signing_time is not None
    assert TENANT in result.signer_subject


def test_a_one_byte_change_fails_both_validators(signed_pdf, credentials, nss_db, tmp_path):
    changed = one_byte_changed(signed_pdf)

    report = pdfsig(changed, tmp_path, "-nssdir", nss_db)
    result = validate_pdf(changed, trust_roots=[credentials.ca_cert_path])

    assert "Signature is Valid." not in report
    assert not result.ok
    assert not result.intact
    assert result.error


def test_content_appended_after_signing_is_reported(signed_pdf, credentials):
    result = validate_pdf(signed_pdf + b"\n% appended\n", trust_roots=[credentials.ca_cert_path])

    assert not result.ok
    assert not result.covers_whole_file


def test_a_forged_revision_redrawing_the_page_is_not_ok(signed_pdf, credentials):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    overprint = generic.StreamObject(stream_data=b"BT /F1 48 Tf 100 100 Td (Level 5) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(overprint))
    forged = io.BytesIO()
    writer.write(forged)

    result = validate_pdf(forged.getvalue(), trust_roots=[credentials.ca_cert_path])

    assert result.intact and result.valid  # the signed revision itself is untouched
    assert not result.covers_whole_file
    assert not result.ok and "changed after it was signed" in result.error


def test_another_ca_does_not_make_it_trusted(signed_pdf, tmp_path):
    stranger = generate_dev_ca_and_signer(tmp_path, tenant_name="Someone else")

    result = validate_pdf(signed_pdf, trust_roots=[stranger.ca_cert_path])

    assert result.intact and result.valid
    assert not result.trusted
    assert not result.ok


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"%PDF-1.7\n garbage", b"\x89PNG\r\n\x1a\n" + bytes(100)]
)
def test_not_a_signed_pdf_is_a_result_not_an_error(data, credentials):
    result = validate_pdf(data, trust_roots=[credentials.ca_cert_path])

    assert not result.ok
    assert result.error


def test_an_unsigned_pdf_is_reported(unsigned_pdf, credentials):
    result = validate_pdf(unsigned_pdf, trust_roots=[credentials.ca_cert_path])

    assert not result.ok
    assert result.error == "The PDF is not signed."


def test_a_wrong_passphrase_is_a_signing_error(credentials, unsigned_pdf):
    with pytest.raises(SigningError):
        sign_pdf(unsigned_pdf, pkcs12_path=credentials.pkcs12_path, passphrase="wrong")


def test_the_signer_is_pyhankos_own(credentials):
    """No hand-assembled CMS: pyHanko's SimpleSigner builds the container (issue 12, item 6)."""
    signer = load_signer(credentials.pkcs12_path, credentials.passphrase)

    assert type(signer) is signers.SimpleSigner


def test_fingerprint_is_the_sha256_of_the_certificate(credentials):
    cert = x509.load_pem_x509_certificate(credentials.ca_cert_path.read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)

    assert fingerprint(cert) == hashlib.sha256(der).hexdigest()
    assert fingerprint(der) == fingerprint(credentials.ca_cert_path.read_bytes())


def test_the_signed_length_is_the_file_as_signed_under_an_appended_revision(
    signed_pdf, credentials
):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    writer.update_container(writer.trailer["/Info"])
    appended = io.BytesIO()
    writer.write(appended)

    result = validate_pdf(appended.getvalue(), trust_roots=[credentials.ca_cert_path])

    assert result.signed and result.readable and not result.covers_whole_file
    assert appended.getvalue()[: result.signed_length] == signed_pdf


@pytest.mark.parametrize("data", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + bytes(100)])
def test_a_file_that_is_not_a_pdf_is_unreadable(data, credentials):
    result = validate_pdf(data, trust_roots=[credentials.ca_cert_path])

    assert not result.readable and not result.signed
