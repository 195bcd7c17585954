"""Evidence uploads: what is accepted, what is refused and why, versions, judgement, downloads."""

import io
import tracemalloc
import zipfile

import pytest
from django.core import mail
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from assessments import uploads
from assessments.models import Evidence
from portal.models import AuditEntry
from tests.engagement_world import PDF, advance, build_world, pdf_upload
from tests.zip_bomb import zip_bomb_bytes


@pytest.fixture
def world(tenant):
    w = build_world(tenant)
    advance(w, "evidence")
    return w


def _upload(client, world, upload, **data):
    return client.post(
        reverse("assessments:evidence_upload", args=[world.tenant.slug, world.engagement.pk]),
        {"file": upload, **data},
    )


def _api_upload(api, world, upload, **data):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/evidence/",
        {"engagement": world.engagement.pk, "file": upload, **data},
        format="multipart",
    )


def _count(world):
    with scope(tenant=world.tenant):
        return Evidence.objects.filter(engagement=world.engagement).count()


def _zip(entries, symlink=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.pdf", b"", "is empty."),
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200, "Executable files (Windows (PE))"),
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "Executable files (ELF)"),
        ("notes.txt", b"#!/bin/sh\nrm -rf /\n", "Scripts are not accepted"),
        ("blob.pdf", bytes(range(256)) * 4, "could not be recognised"),
        ("a.zip", _zip([("../../etc/cron.d/x", b"x")]), "unsafe path"),
        ("b.zip", _zip([("ok.txt", b"x")], symlink="link"), "symbolic link"),
    ],
)
def test_refused_files_say_why_and_store_nothing(world, client_for, name, content, reason):
    response = _upload(
        client_for(world.client),
        world,
        SimpleUploadedFile(name, content, content_type="application/pdf"),
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert _count(world) == 0


def test_over_the_size_limit_is_refused_with_the_limit(world, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (2 * 1024 * 1024)
    response = _upload(client_for(world.client), world, pdf_upload("big.pdf", big))
    assert "larger than the limit of 1 MB" in response.content.decode()
    api_response = _api_upload(_api(world), world, pdf_upload("big.pdf", big))
    assert api_response.status_code == 400 and "file" in api_response.json()
    assert _count(world) == 0


def _api(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(world.client.user)
    return api


def test_a_path_traversal_name_is_display_text_only(world, client_for):
    _upload(client_for(world.client), world, pdf_upload("../../etc/passwd.pdf"))
    with scope(tenant=world.tenant):
        evidence = Evidence.objects.get()
    assert evidence.original_name == "passwd.pdf"
    assert evidence.file.name.startswith(f"evidence/{world.tenant.pk}/{world.engagement.pk}/")
    assert "passwd" not in evidence.file.name


def test_office_documents_are_recognised_from_their_content(world, client_for):
    docx = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")])
    _upload(client_for(world.client), world, SimpleUploadedFile("plan.bin", docx))
    with scope(tenant=world.tenant):
        evidence = Evidence.objects.get()
    assert evidence.content_type.endswith("wordprocessingml.document")


def test_api_upload_records_hash_size_and_type(world):
    response = _api_upload(_api(world), world, pdf_upload("证据.pdf"), description="CI logs")
    assert response.status_code == 201, response.json()
    body = response.json()
    import hashlib

    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["size"] == len(PDF) and body["content_type"] == "application/pdf"
    assert body["original_name"] == "证据.pdf"


def test_a_new_version_supersedes_and_the_old_one_stays(world):
    api = _api(world)
    first = _api_upload(api, world, pdf_upload("v1.pdf")).json()
    second = _api_upload(api, world, pdf_upload("v2.pdf", PDF + b"%v2\n"), supersedes=first["id"])
    assert second.status_code == 201
    again = _api_upload(api, world, pdf_upload("v2b.pdf"), supersedes=first["id"])
    assert again.status_code == 400 and "supersedes" in again.json()
    with scope(tenant=world.tenant):
        old = Evidence.objects.get(pk=first["id"])
        assert old.superseded_by.pk == second.json()["id"]


def test_rejecting_needs_a_note_and_tells_the_uploader(
    world, api_for, django_capture_on_commit_callbacks
):
    evidence_id = _api_upload(_api(world), world, pdf_upload()).json()["id"]
    assessor = api_for(world.assessor)
    url = f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/judge/"
    assert assessor.post(url, {"accept": False}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = assessor.post(url, {"accept": False, "note": "Unreadable scan."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert any(world.client.user.email in m.to and "Unreadable" in m.body for m in mail.outbox)
    # The client cannot judge.
    assert _api(world).post(url, {"accept": True}, format="json").status_code == 403


def test_download_for_allowed_people_only(world, api_for):
    evidence_id = _api_upload(_api(world), world, pdf_upload()).json()["id"]
    url = f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/download/"
    for who in (
        world.client,
        world.assessor,
        world.reviewer,
        world.officer,
        world.observer,
        world.admin,
    ):
        response = api_for(who).get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF
    for who in (world.outsider_assessor, world.other_client):
        assert api_for(who).get(url).status_code == 404


def test_a_tampered_stored_file_is_refused_on_download(world, api_for):
    evidence_id = _api_upload(_api(world), world, pdf_upload()).json()["id"]
    with scope(tenant=world.tenant):
        evidence = Evidence.objects.get(pk=evidence_id)
    with open(evidence.file.path, "ab") as handle:
        handle.write(b"tampered")
    response = api_for(world.assessor).get(
        f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/download/"
    )
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]


def test_uploads_are_refused_outside_the_evidence_phases(tenant, api_for):
    world = build_world(tenant)
    advance(world, "planning")
    response = _api_upload(_api(world), world, pdf_upload())
    assert response.status_code == 409
    assert "planning" in response.json()["detail"]


def test_an_upload_is_in_the_audit_trail(world):
    _api_upload(_api(world), world, pdf_upload())
    with scope(tenant=world.tenant):
        assert (
            AuditEntry.objects.filter(verb="evidence.uploaded", engagement=world.engagement).count()
            == 1
        )


def _token_api(world):
    from rest_framework.test import APIClient

    from tenants.tokens import issue_api_token

    api = APIClient()
    _, key = issue_api_token(user=world.client.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_over_the_size_limit_is_refused_with_the_limit_for_a_token_client(world, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (2 * 1024 * 1024)
    response = _api_upload(_token_api(world), world, pdf_upload("big.pdf", big))
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is larger than the limit of 1 MB."]
    assert _count(world) == 0


GIGABYTE = 1024**3


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """About 1 MB on disk, one member of 1 GB of zeros: what a type check must not unpack."""
    path = tmp_path_factory.mktemp("bomb") / "evidence.zip"
    path.write_bytes(zip_bomb_bytes("mimetype", GIGABYTE))
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


def test_checking_a_zip_bomb_stays_small_in_memory_and_refuses_it(zip_bomb):
    refusal = None
    with open(zip_bomb, "rb") as handle:
        tracemalloc.start()
        try:
            uploads.check(File(handle, name="evidence.zip"))
        except uploads.Refused as refused:
            refusal = str(refused)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    assert "zip bomb" in (refusal or "")


def test_a_zip_bomb_upload_says_why(world, client_for, zip_bomb):
    upload = SimpleUploadedFile("evidence.zip", zip_bomb.read_bytes())
    response = _upload(client_for(world.client), world, upload)
    assert "zip bomb" in response.content.decode()
    assert _count(world) == 0


DOCX_PARTS = [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")]
XLSX_PARTS = [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<x/>")]
HTML = b"<!DOCTYPE html>\n<html><body><script>fetch('/api/')</script></body></html>\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n'


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("plan.docm", _zip([*DOCX_PARTS, ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")]), "macros"),
        ("book.xlsx", _zip([*XLSX_PARTS, ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")]), "macros"),
        ("report.txt", HTML, "HTML"),
        ("report.txt", b"  \n<html lang=en><p>hello</p></html>", "HTML"),
        ("diagram.png", SVG, "SVG"),
        ("diagram.txt", b"<svg><script>alert(1)</script></svg>", "SVG"),
        ("notes.txt", b"@echo off\r\ndel /q C:\\*\r\n", "Scripts are not accepted"),
        ("deploy.js", b"console.log('hello')\n", "Scripts are not accepted"),
        ("build.sh", b"make all\n", "Scripts are not accepted"),
        ("setup.ps1", b"Write-Host hello\n", "Scripts are not accepted"),
        ("run.bat", b"dir\r\n", "Scripts are not accepted"),
        ("page.html", b"hello\n", "HTML"),
        ("outer.zip", _zip([("inner.zip", _zip([("a.txt", b"x")]))]), "another archive"),
        ("outer.zip", _zip([("logs.tar.gz", b"\x1f\x8b\x08\x00" + bytes(60))]), "another archive"),
        ("site.zip", _zip([("index.html", HTML)]), "HTML"),
        (
            "tools.zip",
            _zip([("tool", b"\x7fELF\x02\x01\x01" + bytes(200))]),
            "executable file (ELF)",
        ),
        (
            "docs.zip",
            _zip([("plan.docm", _zip([*DOCX_PARTS, ("word/vbaProject.bin", b"x")]))]),
            "macros",
        ),
    ],
)
def test_dangerous_kinds_are_refused_with_the_reason(world, client_for, name, content, reason):
    response = _upload(client_for(world.client), world, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert _count(world) == 0


def test_an_api_refusal_names_the_reason_on_the_file_field(world):
    response = _api_upload(_api(world), world, SimpleUploadedFile("a.txt", HTML))
    assert response.status_code == 400
    assert "HTML" in response.json()["file"][0]
    assert _count(world) == 0


def test_office_documents_inside_an_archive_are_accepted(world, client_for):
    bundle = _zip([("plan.docx", _zip(DOCX_PARTS)), ("notes.txt", b"CI runs on every push.\n")])
    _upload(client_for(world.client), world, SimpleUploadedFile("bundle.zip", bundle))
    with scope(tenant=world.tenant):
        assert Evidence.objects.get().content_type == "application/zip"


def test_refused_kinds_are_configurable(world, client_for, settings):
    settings.EVIDENCE_REFUSED_KINDS = ["html", "svg", "script", "macro"]
    nested = _zip([("inner.zip", _zip([("a.txt", b"x")]))])
    _upload(client_for(world.client), world, SimpleUploadedFile("outer.zip", nested))
    assert _count(world) == 1
