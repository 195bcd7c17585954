"""A body's tenant admins set what its certificates print of the body (ISO/IEC 17021-1 8.2.2):
Chinese name, address, accreditation, logo, accreditation mark and seal, in the browser and
through the API; checked against a sample certificate first, stored all together or not at all,
audited."""

import io
import subprocess

import pytest
from django_scopes import scope
from PIL import Image

from certificates import rendering
from certificates.models import Certificate
from portal.models import AuditEntry
from tenants.models import Tenant
from tenants.roles import Role

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    b'<circle cx="20" cy="20" r="18" fill="#c00"/></svg>'
)


def png(size=(40, 40), color=(200, 0, 0)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.fixture
def admin(tenant, member, pdf_settings):
    return member(Role.TENANT_ADMIN)


def _tenant(tenant):
    return Tenant.objects.get(pk=tenant.pk)


def test_a_tenant_admin_sets_the_particulars_in_the_browser(tenant, admin, client_for):
    client = client_for(admin)
    url = f"/t/{tenant.slug}/particulars/"

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name_zh": "示例评估机构",
            "address": "北京市西城区示例街8号 (No. 8 Example Street, Beijing)",
            "accreditation_body": "CNAS",
            "accreditation_number": "CNAS C999-M",
            "seal": _upload("seal.png", png()),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = _tenant(tenant)
    assert saved.name_zh == "示例评估机构" and saved.accreditation_number == "CNAS C999-M"
    assert saved.seal.name.endswith(".png")
    with scope(tenant=tenant):
        entry = AuditEntry.objects.filter(verb="tenant.particulars").get()
    assert set(entry.changes) == {
        "name_zh",
        "address",
        "accreditation_body",
        "accreditation_number",
        "seal",
    }
    page = client.get(url).content.decode()
    assert "data:image/png;base64," in page  # the stored seal is shown


def test_the_next_certificate_prints_them(granted, api_for, django_capture_on_commit_callbacks):
    tenant = granted.tenant
    admin = granted.admin
    response = api_for(admin).patch(
        f"/api/v1/t/{tenant.slug}/particulars/",
        {"address": "No. 99 Particular Road, Shanghai", "seal": _upload("seal.png", png())},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    with django_capture_on_commit_callbacks(execute=True):
        issued = api_for(granted.officer).post(
            f"/api/v1/t/{tenant.slug}/certificates/issue/",
            {"engagement": granted.engagement.pk},
            format="json",
        )
    with scope(tenant=tenant):
        certificate = Certificate.objects.get(pk=issued.json()["id"])
        html = rendering.certificate_html(certificate)
        data = certificate.pdf.read()
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout
    assert "No. 99 Particular Road, Shanghai" in " ".join(text.decode().split())
    assert 'class="seal" src="data:image/png;base64,' in html


def test_the_api_reads_and_changes_them(tenant, admin, api_for):
    api = api_for(admin)
    url = f"/api/v1/t/{tenant.slug}/particulars/"

    before = api.get(url).json()
    changed = api.patch(url, {"accreditation_body": "CNAS", "address": "Beijing"}, format="json")
    svg = api.patch(url, {"logo": _upload("logo.svg", SVG)}, format="multipart")
    cleared = api.patch(url, {"clear": ["logo"]}, format="json")

    assert before["name"] == tenant.name and before["images"] == {
        "logo": None,
        "accreditation_mark": None,
        "seal": None,
    }
    assert changed.status_code == 200
    assert changed.json()["accreditation_body"] == "CNAS"
    assert changed.json()["address"] == "Beijing"
    assert svg.json()["images"]["logo"] == "image/svg+xml"
    assert cleared.json()["images"]["logo"] is None


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ASSESSOR, Role.CLIENT_ADMIN])
def test_only_tenant_admins_may(tenant, member, api_for, client_for, role, pdf_settings):
    from tests.factories import OrganizationFactory

    extra = (
        {"organization": OrganizationFactory(tenant=tenant)} if role == Role.CLIENT_ADMIN else {}
    )
    someone = member(role, **extra)

    web = client_for(someone).post(f"/t/{tenant.slug}/particulars/", {"address": "Nowhere"})
    api = api_for(someone).patch(
        f"/api/v1/t/{tenant.slug}/particulars/", {"address": "Nowhere"}, format="json"
    )

    assert web.status_code == 403 and api.status_code == 403
    assert _tenant(tenant).address != "Nowhere"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "Use a PNG, JPEG or SVG image."),
        (b"", "is empty."),
        (SVG.replace(b"<circle", b"<script>alert(1)</script><circle"), "scripts"),
        (SVG.replace(b"<circle", b'<circle onload="alert(1)"'), "event handlers"),
        (b"<svg><unclosed></svg>", "not well-formed"),
        (b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), "at most 2 MB"),
    ],
)
def test_a_bad_image_is_a_400_on_its_field_and_nothing_is_stored(
    tenant, admin, api_for, data, message
):
    response = api_for(admin).patch(
        f"/api/v1/t/{tenant.slug}/particulars/",
        {"address": "Stored only with a good seal", "seal": _upload("seal.png", data)},
        format="multipart",
    )

    assert response.status_code == 400
    assert message in " ".join(response.json()["seal"])
    saved = _tenant(tenant)
    assert saved.address != "Stored only with a good seal" and not saved.seal


def test_a_character_certificates_cannot_print_is_refused_and_named(tenant, admin, client_for):
    response = client_for(admin).post(
        f"/t/{tenant.slug}/particulars/", {"address": "Rocket Street \U0001f680 1"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Certificates cannot print this" in page and "U+1F680" in page
    assert "\U0001f680" not in _tenant(tenant).address


def test_particulars_that_leave_no_room_on_the_page_are_refused(tenant, admin, api_for):
    huge = png(size=(400, 2400))  # a very tall logo pushes the page's content down
    response = api_for(admin).patch(
        f"/api/v1/t/{tenant.slug}/particulars/",
        {
            "name_zh": "示" * 200,
            "address": "Long address " * 23,
            "accreditation_body": "Accreditation " * 14,
            "logo": _upload("logo.png", huge),
            "accreditation_mark": _upload("mark.png", huge),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert "no longer fits its page" in str(response.json())
    assert not _tenant(tenant).logo


def test_a_change_reads_as_a_sentence_in_the_audit_trail(tenant, admin, api_for):
    from portal import trail

    api_for(admin).patch(
        f"/api/v1/t/{tenant.slug}/particulars/", {"address": "Beijing"}, format="json"
    )
    with scope(tenant=tenant):
        entry = AuditEntry.objects.filter(verb="tenant.particulars").get()

    assert trail.sentence(entry, {}).endswith("changed what certificates print of the body")


def test_a_replaced_or_removed_image_leaves_no_file_behind(
    tenant, admin, api_for, django_capture_on_commit_callbacks
):
    api = api_for(admin)
    url = f"/api/v1/t/{tenant.slug}/particulars/"
    with django_capture_on_commit_callbacks(execute=True):
        api.patch(url, {"seal": _upload("seal.png", png())}, format="multipart")
    first = _tenant(tenant).seal
    with django_capture_on_commit_callbacks(execute=True):
        api.patch(url, {"seal": _upload("seal.svg", SVG)}, format="multipart")
    second = _tenant(tenant).seal
    with django_capture_on_commit_callbacks(execute=True):
        api.patch(url, {"clear": ["seal"]}, format="json")

    assert first.name != second.name
    assert not first.storage.exists(first.name) and not second.storage.exists(second.name)
    assert not _tenant(tenant).seal
