"""Issuing certificates: numbering, the worker's signed PDF, lifecycle, public verification."""

import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from certificates import services
from certificates.models import Certificate


def _issue(api, world, **extra):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/certificates/issue/",
        {"engagement": world.engagement.pk, **extra},
        format="json",
    )


@pytest.fixture
def issued(granted, api_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(granted.officer), granted)
    assert response.status_code == 201, response.json()
    with scope(tenant=granted.tenant):
        certificate = Certificate.objects.get(pk=response.json()["id"])
    return granted, certificate


def test_the_officer_issues_and_a_worker_makes_the_signed_pdf(issued, client):
    world, certificate = issued
    assert certificate.status == "active"
    assert (
        certificate.number
        == f"{world.tenant.certificate_prefix}-{certificate.issued_on.year}-00001"
    )
    assert (certificate.expires_on.year - certificate.issued_on.year) == 3
    pdf = certificate.pdf.read()
    assert pdf.startswith(b"%PDF") and len(pdf) < 1_000_000
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == certificate.sha256
    page = client.get(f"/verify/{certificate.number}/")
    assert page.status_code == 200 and "Active" in page.content.decode()


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils is not installed")
def test_pdfsig_accepts_the_signature_and_a_one_byte_change_breaks_it(issued, tmp_path):
    world, certificate = issued
    path = tmp_path / "certificate.pdf"
    data = certificate.pdf.read()
    path.write_bytes(data)
    assert (
        "Signature is Valid."
        in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    )
    flipped = bytearray(data)
    flipped[len(flipped) // 3] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(flipped))
    out = subprocess.run(
        ["pdfsig", str(tmp_path / "altered.pdf")], capture_output=True, text=True
    ).stdout
    assert "Signature is Valid." not in out


def test_issuing_twice_gives_the_same_certificate(
    issued, api_for, django_capture_on_commit_callbacks
):
    world, certificate = issued
    with django_capture_on_commit_callbacks(execute=True):
        again = _issue(api_for(world.officer), world)
    assert again.json()["id"] == certificate.pk and again.json()["number"] == certificate.number
    with scope(tenant=world.tenant):
        assert Certificate.objects.filter(engagement=world.engagement).count() == 1


def test_a_render_task_that_runs_twice_changes_nothing(issued):
    from certificates.tasks import render_certificate

    world, certificate = issued
    assert render_certificate.apply(args=[certificate.pk]).get() == "done already"
    with scope(tenant=world.tenant):
        again = Certificate.objects.get(pk=certificate.pk)
    assert again.sha256 == certificate.sha256 and again.pdf.name == certificate.pdf.name


def test_only_the_officer_issues_and_only_granted_engagements(granted, api_for, tenant):
    # A refusal is a 403 and allocates no number, whether or not the person is on the team.
    assert _issue(api_for(granted.lead), granted).status_code == 403
    assert _issue(api_for(granted.outsider_assessor), granted).status_code == 403
    with scope(tenant=tenant):
        assert not Certificate.objects.exists()
    from tests.engagement_world import build_world

    other = build_world(tenant)
    response = _issue(api_for(other.officer), other)
    assert response.status_code == 409 and "granted" in response.json()["detail"]


def test_uploaded_pdf_is_verified_genuine_and_an_altered_one_is_not(issued, client):
    world, certificate = issued
    data = certificate.pdf.read()
    ok = client.post("/api/v1/verify/", {"pdf": SimpleUploadedFile("c.pdf", data)})
    assert ok.status_code == 200 and ok.json()["genuine"] is True
    assert ok.json()["certificate"]["status"] == "active"
    altered = bytearray(data)
    altered[len(altered) // 2] ^= 0x01
    bad = client.post("/api/v1/verify/", {"pdf": SimpleUploadedFile("c.pdf", bytes(altered))})
    assert bad.status_code == 200 and bad.json()["genuine"] is False
    assert bad.json()["verdict"] == "altered"
    junk = client.post("/api/v1/verify/", {"pdf": SimpleUploadedFile("c.pdf", b"hello")})
    assert junk.status_code == 400 and "not a PDF" in junk.json()["pdf"][0]
    page = client.post("/verify/", {"pdf": SimpleUploadedFile("c.pdf", data)})
    assert 'data-verdict="valid"' in page.content.decode()


def test_lifecycle_shows_on_the_verify_page_at_once(issued, api_for, client):
    world, certificate = issued
    officer = api_for(world.officer)
    base = f"/api/v1/t/{world.tenant.slug}/certificates/{certificate.pk}/"
    assert officer.post(base + "suspend/", {}, format="json").status_code == 400  # reason
    assert (
        officer.post(base + "suspend/", {"reason": "Audit pending"}, format="json").json()["status"]
        == "suspended"
    )
    body = client.get(f"/api/v1/verify/{certificate.number}/").json()
    assert body["status"] == "suspended" and body["status_reason"] == "Audit pending"
    assert officer.post(base + "reinstate/", {}, format="json").json()["status"] == "active"
    assert (
        officer.post(base + "withdraw/", {"reason": "Client request"}, format="json").json()[
            "status"
        ]
        == "withdrawn"
    )
    refused = officer.post(base + "reinstate/", {}, format="json")
    assert refused.status_code == 409
    assert "Withdrawn" in client.get(f"/verify/{certificate.number}/").content.decode()
    # The signed file never changed.
    with scope(tenant=world.tenant):
        assert Certificate.objects.get(pk=certificate.pk).sha256 == certificate.sha256


def test_expiry_task_expires_certificates_past_their_date(issued):
    import datetime

    from certificates.tasks import expire_certificates

    world, certificate = issued
    with scope(tenant=world.tenant):
        Certificate.objects.filter(pk=certificate.pk).update(expires_on=datetime.date(2020, 1, 1))
    assert expire_certificates.apply().get() == 1
    with scope(tenant=world.tenant):
        assert Certificate.objects.get(pk=certificate.pk).status == "expired"


def test_unknown_numbers_and_bad_requests_get_clear_answers(client, db):
    assert client.get("/verify/NOPE-2026-00001/").status_code == 404
    response = client.get("/api/v1/verify/NOPE-2026-00001/")
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]
    assert client.post("/api/v1/verify/", {}).status_code == 400


def test_a_new_engagement_certificate_supersedes_the_old_one(
    issued, tenant, api_for, django_capture_on_commit_callbacks
):
    from tests.engagement_world import advance, build_world

    world, old = issued
    renewal = build_world(tenant, items=1, organization=world.organization)
    advance(renewal, "closed")
    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(renewal.officer), renewal, supersede=old.pk)
    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        assert Certificate.objects.get(pk=old.pk).status == "superseded"


def test_the_web_request_never_renders_a_pdf(granted, client_for, monkeypatch):
    import certificates.rendering

    def refuse(*args, **kwargs):
        raise AssertionError("rendered in the request")

    monkeypatch.setattr(certificates.rendering, "render_pdf", refuse)
    client = client_for(granted.officer)
    response = client.post(
        f"/t/{granted.tenant.slug}/engagements/{granted.engagement.pk}/certificate/issue/", {}
    )
    assert response.status_code == 302
    with scope(tenant=granted.tenant):
        assert Certificate.objects.get(engagement=granted.engagement).status == "issuing"


def _pdf_text(path):
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def hostile(tenant, pdf_settings, loopback_server):
    """An engagement under assessment whose user-supplied text asks the renderer to read a
    local file and fetch from a loopback server."""
    from assessments.models import Evidence
    from assessments.services import findings
    from certificates.credentials import ensure_dev_credentials
    from tenants.models import Organization
    from tests.engagement_world import advance, build_world, rate_everything

    origin, requests = loopback_server
    markup = f'<img src="file:///etc/passwd"><img src="{origin}/probe.svg">'
    world = build_world(tenant, items=2)
    with scope(tenant=tenant):
        Organization.objects.filter(pk=world.organization.pk).update(legal_name=f"Evil {markup}")
        ensure_dev_credentials(tenant)
    advance(world, "assessment")
    with scope(tenant=tenant):
        rate_everything(world, world.engagement)
        item = world.engagement.scope_items.order_by("code").first()
        finding = findings.record_finding(
            engagement=world.engagement,
            item=item,
            by=world.assessor,
            ratings={},
            narrative=f"Pipelines seen {markup}",
        )
        findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="Rollback not rehearsed",
        )
        evidence = Evidence.objects.filter(engagement=world.engagement).get()
    return world, markup, requests, evidence


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_the_report_has_every_part_and_fetches_nothing_user_text_asks_for(
    hostile, api_for, django_capture_on_commit_callbacks, tmp_path
):
    from certificates import rendering
    from certificates.models import Report

    world, markup, requests, evidence = hostile
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world.lead).post(
            f"/api/v1/t/{world.tenant.slug}/reports/",
            {"engagement": world.engagement.pk},
            format="json",
        )
    assert response.status_code == 201, response.json()
    with scope(tenant=world.tenant):
        report = Report.objects.get(pk=response.json()["id"])
        html = rendering.report_html(report)
    assert report.status == "ready" and report.page_count >= 2
    path = tmp_path / "report.pdf"
    path.write_bytes(report.pdf.read())
    text = " ".join(_pdf_text(path).split())
    assert "Assessment report" in text and "评估报告" in text  # cover
    assert "Result · 评估结果" in text and "target · 目标: 3" in text
    assert html.count("<svg") == 1  # the chart of levels per domain, beside its table
    assert "Pipelines seen" in text and "Rollback not rehearsed" in text
    assert evidence.sha256 in text.replace(" ", "")  # the index wraps the hash
    assert 'src="file:///etc/passwd"' in text  # shown as text, never loaded
    assert "root:x:0" not in text
    assert requests == []


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_a_hostile_organization_name_is_printed_not_loaded(
    hostile, django_capture_on_commit_callbacks, tmp_path
):
    from tests.engagement_world import advance

    world, markup, requests, _evidence = hostile
    advance(world, "closed")
    with scope(tenant=world.tenant), django_capture_on_commit_callbacks(execute=True):
        certificate = services.issue_certificate(engagement=world.engagement, by=world.officer)
    with scope(tenant=world.tenant):
        certificate.refresh_from_db()
    assert certificate.status == "active"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate.pdf.read())
    text = _pdf_text(path)
    assert "file:///etc/passwd" in text and "root:x:0" not in text
    assert requests == []


@pytest.mark.parametrize("path", ["/verify/NOPE-2026-00001/", "/api/v1/verify/NOPE-2026-00001/"])
def test_public_verification_is_rate_limited_per_address(client, db, empty_cache, path):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"].split("/")[0])
    for _ in range(limit):
        assert client.get(path).status_code == 404
    refused = client.get(path)
    assert refused.status_code == 429
    assert b"wait" in refused.content.lower() or b"throttled" in refused.content.lower()
    assert client.get(path, REMOTE_ADDR="192.0.2.7").status_code == 404  # another address
