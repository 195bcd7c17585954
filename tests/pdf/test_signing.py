"""PAdES signatures that pyHanko and poppler's pdfsig both accept, and both reject once touched."""

import datetime as dt
import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from weasyprint import HTML

from certificates.pdf.dev_tsa import make_server
from certificates.pdf.fetcher import AssayURLFetcher
from certificates.pdf.signing import (
    DEV_CA_NAME,
    SigningError,
    TimestampUnavailable,
    dev_timestamper,
    fingerprint,
    generate_dev_ca_and_signer,
    load_signer,
    sign_pdf,
    signer_fingerprint,
    validate_pdf,
    write_dev_crl,
)
from certificates.trust import OPENSSL_CHECK
from tests.certificate_fixtures import run_openssl_check, trusting_nss_db

TENANT = "Example Assessment Services Ltd."
SHORT_LIFE_S = 4


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    return generate_dev_ca_and_signer(tmp_path_factory.mktemp("ca"), tenant_name=TENANT)


@pytest.fixture(scope="module")
def unsigned_pdf():
    html = "<h1>Certificate</h1><p>EAS-2025-000123</p>"
    return HTML(string=html, url_fetcher=AssayURLFetcher(None)).write_pdf()


def sign_long_term(pdf, credentials, **options):
    """PAdES B-LTA with pyHanko's in-process TSA and the development CA's CRL."""
    ca_dir = credentials.ca_cert_path.parent
    return sign_pdf(
        pdf,
        pkcs12_path=credentials.pkcs12_path,
        passphrase=credentials.passphrase,
        timestamper=dev_timestamper(ca_dir),
        crls=[write_dev_crl(ca_dir)],
        **options,
    )


@pytest.fixture(scope="module")
def signed_pdf(credentials, unsigned_pdf):
    return sign_long_term(
        unsigned_pdf, credentials, reason="Certificate EAS-2025-000123", location="Beijing"
    )


@pytest.fixture(scope="module")
def short_lived(credentials):
    """A signer of the same CA whose certificate lives a few seconds."""
    return generate_dev_ca_and_signer(
        credentials.ca_cert_path.parent,
        tenant_name="Short-lived signer",
        validity=dt.timedelta(seconds=SHORT_LIFE_S),
    )


@pytest.fixture(scope="module")
def signed_by_expired_signer(short_lived, unsigned_pdf):
    """A PDF signed by `short_lived`, returned once that signer's certificate has expired."""
    signed = sign_long_term(unsigned_pdf, short_lived)
    expiry = _signer_cert(short_lived).not_valid_after_utc
    time.sleep(max(0.0, (expiry - dt.datetime.now(dt.UTC)).total_seconds()) + 1.5)
    return signed


def _signer_cert(credentials):
    _, cert, _ = pkcs12.load_key_and_certificates(
        credentials.pkcs12_path.read_bytes(), credentials.passphrase.encode()
    )
    return cert


def pdfsig_sections(report):
    """pdfsig's report cut into one text per signature, in file order."""
    return report.split("Signature #")[1:]


@pytest.fixture(scope="module")
def nss_db(tmp_path_factory, credentials):
    """An NSS database trusting the development CA, as pdfsig reads trust from one."""
    if shutil.which("certutil") is None:
        pytest.skip("libnss3-tools (certutil) is not installed")
    return trusting_nss_db(tmp_path_factory.mktemp("nssdb"), credentials.ca_cert_path)


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


def test_pdfsig_says_the_signature_is_valid_and_the_document_timestamp_covers_the_file(
    signed_pdf, tmp_path
):
    signature, document_timestamp = pdfsig_sections(pdfsig(signed_pdf, tmp_path))

    assert "Signature is Valid." in signature
    assert "ETSI.CAdES.detached" in signature
    # The DSS and the document timestamp come after the signature: the last revision, the
    # document timestamp, is the one that covers the whole file.
    assert "Not total document signed" in signature
    assert "Total document signed" in document_timestamp.replace("Not total", "")
    assert "Assay DEVELOPMENT timestamp authority" in document_timestamp


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


def test_it_is_pades_b_lta(signed_pdf):
    reader = PdfFileReader(io.BytesIO(signed_pdf))
    signature, document_timestamp = reader.embedded_signatures
    unsigned = [a["type"].native for a in signature.signer_info["unsigned_attrs"]]
    dss = reader.root["/DSS"]

    assert "signature_time_stamp_token" in unsigned  # B-T
    assert len(dss["/CRLs"]) >= 1 and len(dss["/Certs"]) >= 2  # B-LT: revocation data, chain
    assert document_timestamp.sig_object_type == "/DocTimeStamp"  # B-LTA


def test_pyhanko_validates_it_at_the_time_of_its_timestamp(signed_pdf, credentials):
    result = validate_pdf(signed_pdf, trust_roots=[credentials.ca_cert_path])

    assert result.ok, result.error
    assert result.long_term
    assert result.timestamp_time is not None
    assert result.validated_at == result.timestamp_time


def test_with_the_clock_past_a_two_day_signer_it_still_validates(credentials, unsigned_pdf):
    two_days = generate_dev_ca_and_signer(
        credentials.ca_cert_path.parent,
        tenant_name="Two-day signer",
        validity=dt.timedelta(days=2),
    )
    signed = sign_long_term(unsigned_pdf, two_days)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    ca = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    plain = validate_pdf_signature(
        ca,
        ValidationContext(
            trust_roots=[load_cert_from_pemder(credentials.ca_cert_path)],
            allow_fetching=False,
            moment=later,
        ),
    )

    result = validate_pdf(signed, trust_roots=[credentials.ca_cert_path], moment=later)

    assert not plain.trusted  # the clock is past the signer's expiry for pyHanko too
    assert result.ok, result.error
    assert result.validated_at < _signer_cert(two_days).not_valid_after_utc < later


def test_after_the_signer_expired_pyhanko_still_validates_it(
    signed_by_expired_signer, short_lived, credentials
):
    expired = _signer_cert(short_lived).not_valid_after_utc
    signature = PdfFileReader(io.BytesIO(signed_by_expired_signer)).embedded_signatures[0]
    plain = validate_pdf_signature(
        signature,
        ValidationContext(
            trust_roots=[load_cert_from_pemder(credentials.ca_cert_path)], allow_fetching=False
        ),
    )

    result = validate_pdf(signed_by_expired_signer, trust_roots=[credentials.ca_cert_path])

    assert dt.datetime.now(dt.UTC) > expired
    assert not plain.trusted  # checked today, the signer's certificate has expired
    assert result.ok, result.error
    assert result.validated_at < expired


def test_after_the_signer_expired_pdfsig_still_says_valid(
    signed_by_expired_signer, nss_db, tmp_path
):
    """pdfsig checks the certificate today and has no option for another time: it reports the
    expiry, while the signature itself and the document timestamp are there and cover it."""
    signature, document_timestamp = pdfsig_sections(
        pdfsig(signed_by_expired_signer, tmp_path, "-nssdir", nss_db)
    )

    assert "Signature is Valid." in signature
    assert "Certificate has Expired" in signature
    assert "Total document signed" in document_timestamp.replace("Not total", "")


def test_signing_through_the_development_tsa_over_http(credentials, unsigned_pdf):
    ca_dir = credentials.ca_cert_path.parent
    server = make_server(ca_dir)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        signed = sign_pdf(
            unsigned_pdf,
            pkcs12_path=credentials.pkcs12_path,
            passphrase=credentials.passphrase,
            timestamp_url=f"http://127.0.0.1:{server.server_address[1]}/",
            crls=[ca_dir / "dev-ca.crl"],
        )
    finally:
        server.shutdown()
        server.server_close()

    result = validate_pdf(signed, trust_roots=[credentials.ca_cert_path])
    assert result.ok and result.long_term, result.error


def test_a_timestamp_authority_that_does_not_answer_is_worth_retrying(credentials, unsigned_pdf):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TimestampUnavailable):
        sign_pdf(
            unsigned_pdf,
            pkcs12_path=credentials.pkcs12_path,
            passphrase=credentials.passphrase,
            timestamp_url=f"http://127.0.0.1:{port}/",
            crls=[write_dev_crl(credentials.ca_cert_path.parent)],
        )


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


# --- OpenSSL alone, at the timestamp's time (certificates/offline/openssl_check.py) -----------


def openssl_check(pdf, tmp_path, *cas):
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    return run_openssl_check(path, *cas)


def test_after_the_signer_expired_openssl_validates_it_at_the_timestamps_time(
    signed_by_expired_signer, short_lived, credentials, tmp_path
):
    """The independent check pdfsig cannot make: the signature and the signer's chain as they
    stood when the document timestamp proves the file existed."""
    expired = _signer_cert(short_lived).not_valid_after_utc
    signature = PdfFileReader(io.BytesIO(signed_by_expired_signer)).embedded_signatures[0]
    (tmp_path / "sig.der").write_bytes(signature.pkcs7_content)
    a, b, c, d = signature.byte_range
    signed = signed_by_expired_signer
    (tmp_path / "sig.data").write_bytes(signed[a : a + b] + signed[c : c + d])
    today = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
         "-content", str(tmp_path / "sig.data"), "-CAfile", str(credentials.ca_cert_path),
         "-purpose", "any", "-out", os.devnull],
        capture_output=True, text=True,
    )  # fmt: skip

    code, output = openssl_check(signed_by_expired_signer, tmp_path, credentials.ca_cert_path)

    assert dt.datetime.now(dt.UTC) > expired
    assert today.returncode != 0 and "certificate has expired" in today.stderr
    assert code == 0, output
    assert "Signature: valid, signer's chain trusted at" in output
    assert "Document timestamp: valid, covers the whole file" in output
    assert output.rstrip().endswith("VALID")


def test_openssl_check_passes_a_fresh_file(signed_pdf, credentials, tmp_path):
    code, output = openssl_check(signed_pdf, tmp_path, credentials.ca_cert_path)

    assert code == 0, output


def test_openssl_check_fails_a_one_byte_change(signed_pdf, credentials, tmp_path):
    code, output = openssl_check(one_byte_changed(signed_pdf), tmp_path, credentials.ca_cert_path)

    assert code == 1
    assert "NOT VALID: document timestamp: message imprint mismatch" in output


def test_openssl_check_calls_an_appended_revision_altered(signed_pdf, credentials, tmp_path):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    overprint = generic.StreamObject(stream_data=b"BT /F1 48 Tf 100 100 Td (Level 5) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(overprint))
    forged = io.BytesIO()
    writer.write(forged)

    code, output = openssl_check(forged.getvalue(), tmp_path, credentials.ca_cert_path)

    assert code == 1
    assert "NOT VALID: altered after signing" in output


def test_openssl_check_needs_the_bodys_ca(signed_pdf, tmp_path):
    stranger = generate_dev_ca_and_signer(tmp_path / "other", tenant_name="Someone else")

    code, output = openssl_check(signed_pdf, tmp_path, stranger.ca_cert_path)

    assert code == 1
    assert "unable to get local issuer certificate" in output


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\n garbage", b"%PDF-1.7 /ByteRange [0 5 99 1]"])
def test_openssl_check_refuses_what_is_not_a_signed_pdf(data, credentials, tmp_path):
    code, output = openssl_check(data, tmp_path, credentials.ca_cert_path)

    assert code == 1 and output.startswith("NOT VALID: ")


def test_openssl_check_says_which_file_it_cannot_read(credentials, tmp_path):
    result = subprocess.run(
        [sys.executable, str(OPENSSL_CHECK), str(tmp_path / "missing.pdf"), "--ca",
         str(credentials.ca_cert_path)],
        capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 2
    assert "missing.pdf" in result.stderr


def test_signing_with_the_crls_given_logs_no_warning(credentials, unsigned_pdf, caplog):
    """pyHanko's warning that fetching is not allowed is dropped: the CRLs are given on purpose."""
    import logging

    with caplog.at_level(logging.WARNING):
        sign_long_term(unsigned_pdf, credentials)

    assert not [r for r in caplog.records if r.name.startswith("pyhanko")], caplog.text


def test_other_pyhanko_warnings_still_show(caplog):
    import logging

    with caplog.at_level(logging.WARNING):
        logging.getLogger("pyhanko.sign.signers.pdf_signer").warning("Something else")

    assert "Something else" in caplog.text
