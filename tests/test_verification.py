"""Public verification: the verdict (valid, suspended, … altered after signing) is the headline,
the same on the page and in the API; bad input is a 4xx with a clear message, never a 500."""

import datetime
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from certificates.models import Certificate


def _headline(response):
    """The verdict's code and headline words on a verification page."""
    body = response.content.decode()
    code = re.search(r'data-verdict="([a-z_]+)"', body)
    word = re.search(r'class="verdict-word">(.*?)</', body, re.S)
    assert code and word, body
    return code.group(1), html.unescape(re.sub(r"<[^>]+>", "", word.group(1))).strip()


def _upload(data, name="certificate.pdf"):
    return {"pdf": SimpleUploadedFile(name, data, content_type="application/pdf")}


def _with_appended_revision(data):
    """`data` with an incremental update after the signature: a new title in the Info dict."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    info = writer.trailer["/Info"]
    info[generic.NameObject("/Title")] = generic.TextStringObject("Level 5 (amended)")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _set_status(certificate, status, **fields):
    with scope(tenant=certificate.tenant):
        Certificate.objects.filter(pk=certificate.pk).update(status=status, **fields)


# --- Uploaded PDFs -------------------------------------------------------------------------------


def test_a_revision_appended_after_signing_is_altered_on_the_page_and_in_the_api(
    issued_certificate, client
):
    original = issued_certificate.pdf.read()
    altered = _with_appended_revision(original)
    assert altered.startswith(original) and len(altered) > len(original)

    body = client.post("/api/v1/verify/", _upload(altered)).json()
    page = client.post("/verify/", _upload(altered))

    assert body["verdict"] == "altered" and body["genuine"] is False
    assert body["headline"] == "Altered after signing"
    assert not body["message"].lower().startswith(("valid", "the file carries a valid"))
    assert issued_certificate.number in body["message"]  # which certificate it was made from
    assert page.status_code == 200
    assert _headline(page) == ("altered", "Altered after signing")
    assert "Genuine" not in page.content.decode()


def test_a_one_byte_change_is_altered(issued_certificate, client):
    changed = bytearray(issued_certificate.pdf.read())
    changed[len(changed) // 2] ^= 0x01

    body = client.post("/api/v1/verify/", _upload(bytes(changed))).json()

    assert body["verdict"] == "altered" and body["genuine"] is False, body


def test_a_genuine_pdf_of_a_suspended_certificate_is_headlined_suspended(
    issued_certificate, client
):
    _set_status(issued_certificate, "suspended", status_reason="Audit pending")
    data = issued_certificate.pdf.read()

    page = client.post("/verify/", _upload(data))
    body = client.post("/api/v1/verify/", _upload(data)).json()

    assert _headline(page) == ("suspended", "Suspended")
    assert 'class="verdict tone-warn"' in page.content.decode()
    assert "Genuine" not in page.content.decode()
    assert body["verdict"] == "suspended" and body["headline"] == "Suspended"
    assert body["genuine"] is True  # the file itself is the one issued
    assert "Audit pending" in body["message"]


def test_a_genuine_pdf_of_an_active_certificate_is_valid(issued_certificate, client):
    data = issued_certificate.pdf.read()

    page = client.post("/verify/", _upload(data))
    body = client.post("/api/v1/verify/", _upload(data)).json()

    assert _headline(page) == ("valid", "Valid")
    assert 'class="verdict tone-ok"' in page.content.decode()
    assert body["verdict"] == "valid" and body["genuine"] is True
    assert body["certificate"]["number"] == issued_certificate.number


def test_an_unsigned_pdf_is_not_ours(client, db):
    from weasyprint import HTML

    from certificates.pdf.fetcher import AssayURLFetcher

    data = HTML(string="<h1>Certificate</h1>", url_fetcher=AssayURLFetcher(None)).write_pdf()

    body = client.post("/api/v1/verify/", _upload(data)).json()
    page = client.post("/verify/", _upload(data))

    assert body["verdict"] == "not_ours" and body["genuine"] is False
    assert _headline(page) == ("not_ours", "Not issued by this portal")


@pytest.mark.parametrize(
    "data",
    [b"hello, this is text", b"\x89PNG\r\n\x1a\n" + bytes(200), b"", b"%PDF-1.7\n garbage"],
    ids=["text", "png", "empty", "damaged"],
)
def test_a_file_that_is_not_a_readable_pdf_is_a_400_naming_the_field(client, db, data):
    page = client.post("/verify/", _upload(data, "upload.bin"))
    api = client.post("/api/v1/verify/", _upload(data, "upload.bin"))

    assert page.status_code == 400
    assert 'class="errorlist' in page.content.decode()
    assert "data-verdict" not in page.content.decode()
    assert api.status_code == 400 and "pdf" in api.json()


def test_a_file_over_the_verification_limit_is_a_400(client, db, settings):
    settings.VERIFY_MAX_UPLOAD_BYTES = 1024
    data = b"%PDF-1.7\n" + bytes(4096)

    page = client.post("/verify/", _upload(data))
    api = client.post("/api/v1/verify/", _upload(data))

    assert page.status_code == 400 and "smaller than" in page.content.decode()
    assert api.status_code == 400 and "smaller than" in api.json()["pdf"][0]


def test_a_file_the_upload_handler_skipped_as_too_large_is_a_400_saying_so(client, db, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    data = b"%PDF-1.7\n" + bytes(200_000)

    page = client.post("/verify/", _upload(data))
    api = client.post("/api/v1/verify/", _upload(data))

    assert page.status_code == 400 and "larger than the limit" in page.content.decode()
    assert api.status_code == 400 and "larger than the limit" in api.json()["pdf"][0]


# --- By number -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict", "word", "tone"),
    [
        ("active", "valid", "Valid", "ok"),
        ("suspended", "suspended", "Suspended", "warn"),
        ("withdrawn", "withdrawn", "Withdrawn", "bad"),
        ("expired", "expired", "Expired", "neutral"),
        ("superseded", "superseded", "Superseded", "neutral"),
    ],
)
def test_the_number_page_and_api_headline_the_status(
    issued_certificate, client, status, verdict, word, tone
):
    _set_status(issued_certificate, status, status_reason="Stated reason")

    page = client.get(f"/verify/{issued_certificate.number}/")
    body = client.get(f"/api/v1/verify/{issued_certificate.number}/").json()

    assert page.status_code == 200
    assert _headline(page) == (verdict, word)
    assert f'class="verdict tone-{tone}"' in page.content.decode()
    assert body["verdict"] == verdict and body["headline"] == word
    assert body["status"] == status  # the facts stay as they were


def test_an_active_certificate_past_its_date_is_expired_before_the_task_runs(
    issued_certificate, client
):
    _set_status(issued_certificate, "active", expires_on=datetime.date(2020, 1, 1))

    page = client.get(f"/verify/{issued_certificate.number}/")

    assert _headline(page) == ("expired", "Expired")


def test_the_suspension_history_stays_on_the_page(issued_certificate, api_for, granted, client):
    base = f"/api/v1/t/{granted.tenant.slug}/certificates/{issued_certificate.pk}/"
    api_for(granted.officer).post(base + "suspend/", {"reason": "Audit pending"}, format="json")

    page = client.get(f"/verify/{issued_certificate.number}/").content.decode()

    assert "Audit pending" in page and 'class="timeline"' in page


def test_an_unknown_number_is_a_404_headlined_not_ours(client, db):
    page = client.get("/verify/NOPE-2026-00001/")

    assert page.status_code == 404
    assert _headline(page) == ("not_ours", "Not issued by this portal")


def test_the_qr_address_pasted_into_the_lookup_finds_the_certificate(issued_certificate, client):
    number = issued_certificate.number
    for pasted in (
        f"http://127.0.0.1:8000/verify/{number}/",
        f"  http://127.0.0.1:8000/verify/{number.lower()}  ",
        f"127.0.0.1:8000/verify/{number}/",
    ):
        response = client.get("/verify/", {"number": pasted})
        assert response.status_code == 302, pasted
        assert response["Location"] == f"/verify/{number}/"


@pytest.mark.parametrize(
    "pasted",
    [
        "ACME/2026/00001",
        "https://phishing.example/verify/ACME-2026-00001/",
        "http://127.0.0.1:8000/t/acme/certificates/3/",
        "ACME-2026-00001?x=<b>",
    ],
)
def test_a_number_that_is_not_a_number_is_a_form_error_not_a_500(client, db, pasted):
    response = client.get("/verify/", {"number": pasted})

    assert response.status_code == 400
    assert "certificate number" in response.content.decode().lower()
    assert 'class="errorlist' in response.content.decode()


def test_an_address_of_another_site_is_refused_as_such(client, db):
    response = client.get(
        "/verify/", {"number": "https://phishing.example/verify/ACME-2026-00001/"}
    )

    assert response.status_code == 400
    assert "not the address of a verification page of this portal" in response.content.decode()


def test_the_history_shows_status_words(issued_certificate, client):
    page = client.get(f"/verify/{issued_certificate.number}/").content.decode()

    assert "<strong>Active</strong>" in page and "<strong>active</strong>" not in page


@pytest.mark.parametrize("prefix", ["/verify/", "/api/v1/verify/"])
def test_an_encoded_slash_in_the_address_is_a_404(client, db, prefix):
    response = client.get(prefix + "ACME%2F2026-00001/")

    assert response.status_code == 404


def test_the_verdict_is_translated(issued_certificate, client):
    page = client.get(f"/verify/{issued_certificate.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = client.get(
        f"/api/v1/verify/{issued_certificate.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()

    assert _headline(page) == ("valid", "有效")
    assert body["headline"] == "有效" and "有效期至" in body["message"]


# --- Long-term validation ------------------------------------------------------------------------


def test_a_certificate_still_verifies_genuine_after_its_signer_expires(
    granted, api_for, client, django_capture_on_commit_callbacks, settings
):
    """PAdES B-LTA: the portal checks the signer at the time the timestamp proves, not today."""
    import time
    from pathlib import Path

    from cryptography.hazmat.primitives.serialization import pkcs12

    from certificates.pdf.signing import generate_dev_ca_and_signer

    short = generate_dev_ca_and_signer(
        settings.DEV_CA_DIR,
        tenant_name=granted.tenant.name,
        tenant_slug=f"{granted.tenant.slug}-short-lived",
        validity=datetime.timedelta(seconds=6),
    )
    Path(f"{short.pkcs12_path}.pass").write_text(short.passphrase)
    with scope(tenant=granted.tenant):
        granted.tenant.signing_pkcs12_path = str(short.pkcs12_path)
        granted.tenant.save(update_fields=["signing_pkcs12_path"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(granted.officer).post(
            f"/api/v1/t/{granted.tenant.slug}/certificates/issue/",
            {"engagement": granted.engagement.pk},
            format="json",
        )
    with scope(tenant=granted.tenant):
        data = Certificate.objects.get(pk=response.json()["id"]).pdf.read()
    _, cert, _ = pkcs12.load_key_and_certificates(
        short.pkcs12_path.read_bytes(), short.passphrase.encode()
    )
    expiry = cert.not_valid_after_utc
    time.sleep(max(0.0, (expiry - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1.5)

    body = client.post("/api/v1/verify/", _upload(data)).json()

    assert datetime.datetime.now(datetime.UTC) > expiry
    assert body["verdict"] == "valid" and body["genuine"] is True, body
    assert body["checks"]["long_term"] is True


def test_an_issued_certificate_is_checked_at_its_timestamp(issued_certificate, client):
    body = client.post("/api/v1/verify/", _upload(issued_certificate.pdf.read())).json()

    assert body["genuine"] is True
    assert body["checks"]["long_term"] is True
    assert body["checks"]["timestamped_at"]
