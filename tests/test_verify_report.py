"""An assessment report is verifiable by upload on the public page, like a certificate: a file
that is a report version exactly as issued is a "Genuine report" of its engagement, on the page
and in the API; a changed one is "Altered after signing" and names the report it was made from."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from certificates.models import Report


def _upload(data):
    return {"pdf": SimpleUploadedFile("report.pdf", data, content_type="application/pdf")}


def _bytes(report):
    with report.pdf.open("rb") as file:
        return file.read()


def test_the_latest_report_is_a_genuine_report_of_its_engagement(report_versions, client):
    world, (_first, latest) = report_versions

    body = client.post("/api/v1/verify/", _upload(_bytes(latest))).json()

    assert body["verdict"] == "report" and body["headline"] == "Genuine report"
    assert body["genuine"] is True and body["tone"] == "ok"
    assert body["certificate"] is None
    facts = body["report"]
    assert facts["engagement"] == world.engagement.reference
    assert facts["organization"] == world.organization.legal_name
    assert facts["body"] == world.tenant.name
    assert facts["version"] == 2 and facts["latest"] is True
    assert facts["pages"] == latest.page_count
    assert f"genuine report of engagement {world.engagement.reference}" in body["message"]
    assert "version 2" in body["message"] and "later version" not in body["message"]
    assert body["checks"]["long_term"] is True


def test_an_earlier_version_is_genuine_and_says_a_later_one_exists(report_versions, client):
    _world, (first, _latest) = report_versions

    body = client.post("/api/v1/verify/", _upload(_bytes(first))).json()

    assert body["verdict"] == "report" and body["genuine"] is True
    assert body["report"]["version"] == 1 and body["report"]["latest"] is False
    assert "A later version of this report has been issued since." in body["message"]


def test_a_report_with_a_revision_appended_is_altered_and_named(report_versions, client):
    world, (_first, latest) = report_versions
    writer = IncrementalPdfFileWriter(io.BytesIO(_bytes(latest)), strict=False)
    info = writer.trailer["/Info"]
    info[generic.NameObject("/Title")] = generic.TextStringObject("Level 5 (amended)")
    writer.update_container(info)
    forged = io.BytesIO()
    writer.write(forged)

    body = client.post("/api/v1/verify/", _upload(forged.getvalue())).json()

    assert body["verdict"] == "altered" and body["genuine"] is False
    assert body["report"] is None
    assert (
        f"made from version 2 of the report of engagement {world.engagement.reference}"
        in body["message"]
    )


def test_a_report_whose_row_names_another_signer_is_not_ours(report_versions, client):
    world, (_first, latest) = report_versions
    with scope(tenant=world.tenant):
        Report.objects.filter(pk=latest.pk).update(signer_fingerprint="0" * 64)

    body = client.post("/api/v1/verify/", _upload(_bytes(latest))).json()

    assert body["verdict"] == "not_ours" and body["genuine"] is False
    assert "certificates or reports the portal issued" in body["message"]


def test_a_report_still_rendering_is_not_recognised(report_versions, client):
    world, (_first, latest) = report_versions
    with scope(tenant=world.tenant):
        Report.objects.filter(pk=latest.pk).update(status=Report.Status.RENDERING)

    body = client.post("/api/v1/verify/", _upload(_bytes(latest))).json()

    assert body["verdict"] == "not_ours"


@pytest.mark.parametrize(
    ("language", "headline", "subject"),
    [
        ("en", "Genuine report", "report of engagement"),
        ("zh-hans", "真实报告", "评估项目"),
    ],
)
def test_the_page_shows_the_genuine_report_in_both_languages(
    report_versions, client, settings, language, headline, subject
):
    world, (_first, latest) = report_versions
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.post("/verify/", {**_upload(_bytes(latest)), "check": "pdf"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="report"' in page
    word = re.search(r'class="verdict-word">(.*?)</', page, re.S).group(1).strip()
    assert word == headline
    assert subject in page and world.engagement.reference in page
    assert world.organization.legal_name in page
