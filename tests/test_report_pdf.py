"""The assessment report: bilingual throughout, what ISO/IEC 17021-1 9.4.8 asks (team, dates,
sites, recommendation), the aggregation rule, a running header, compact findings."""

import re
import shutil
import subprocess

import pytest
from django_scopes import scope

from assessments.models import Domain, Finding
from certificates import rendering
from certificates.models import Report
from tenants.models import Organization
from tests.engagement_world import advance, build_world

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext") or not shutil.which("pdffonts"),
    reason="poppler-utils is not installed",
)

LONG_DOMAIN = "Continuous integration and build pipeline management"


@pytest.fixture
def reported(tenant, pdf_settings, api_for, django_capture_on_commit_callbacks, tmp_path):
    """A closed engagement of two items: one with a note and a nonconformity, one without;
    its report rendered and signed by the worker task."""
    from assessments.services import findings
    from certificates.credentials import ensure_dev_credentials

    world = build_world(tenant, items=2)
    with scope(tenant=tenant):
        Organization.objects.filter(pk=world.organization.pk).update(
            legal_name="北京示例科技有限公司",
            english_name="北京示例科技有限公司",
            address="北京市海淀区中关村大街1号",
        )
        Domain.objects.filter(version=world.version, code="D0").update(name_en=LONG_DOMAIN)
        ensure_dev_credentials(tenant)
    advance(world, "assessment")
    with scope(tenant=tenant):
        noted, plain = world.engagement.scope_items.order_by("code")
        finding = findings.record_finding(
            engagement=world.engagement, item=noted, by=world.assessor, ratings={}
        )
        findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="Rollback not rehearsed",
        )
    advance(world, "closed")  # rates every item, with a note each
    with scope(tenant=tenant):
        notes = Finding.objects.filter(engagement=world.engagement)
        notes.filter(item=noted).update(narrative="Pipelines seen \U0001f680 on site")
        notes.filter(item=plain).update(narrative="")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world.lead).post(
            f"/api/v1/t/{tenant.slug}/reports/", {"engagement": world.engagement.pk}, format="json"
        )
    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        report = Report.objects.get(pk=response.json()["id"])
        html = rendering.report_html(report)
    assert report.status == "ready", report.last_error
    path = tmp_path / "report.pdf"
    path.write_bytes(report.pdf.read())
    return world, report, html, path


def pages(path):
    count = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", path)).group(1))
    return [_run("pdftotext", "-f", str(n), "-l", str(n), path, "-") for n in range(1, count + 1)]


def _run(*command):
    command = [str(part) for part in command]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def flat(text):
    return " ".join(text.split())


def test_tables_rating_words_and_requirements_are_in_both_languages(reported):
    _world, _report, _html, path = reported
    text = flat(" ".join(pages(path)))

    for expected in (
        "Met · 符合",
        "Not met · 不符合",
        "Requirement 1.0 of item 0.0 · 能力项 0.0 的要求 1.0",  # the noted item, in full
        "Grade · 级别",
        "Corrective action · 纠正措施",
        "Minor · 一般",
        "File · 文件",
        "SHA-256",
        "Ratings by level · 各级评定",
    ):
        assert expected in text, expected


def test_findings_are_compact_with_details_only_for_items_with_a_note_or_nonconformity(
    reported,
):
    _world, _report, _html, path = reported
    text = flat(" ".join(pages(path)))

    assert "D0.I0* Item 0.0 · 能力项 0.0" in text  # the compact row, marked for details
    assert "D0.I1 Item 0.1 · 能力项 0.1" in text
    assert "1 MM · 2 M · 3 M · 4 N · 5 N" in text  # the ratings of each level in one cell
    assert "Requirement 1.0 of item 0.1" not in text  # no note, no nonconformity: no details
    assert "Pipelines seen [U+1F680] on site" in text  # no glyph: its code point, not nothing


def test_the_cover_names_the_organization_once(reported):
    _world, _report, _html, path = reported
    cover = pages(path)[0]

    assert cover.count("北京示例科技有限公司") == 1


def test_every_page_after_the_cover_has_the_running_header(reported):
    world, report, _html, path = reported
    every = pages(path)

    assert len(every) >= 3
    for page in every[1:]:
        header = flat(page)
        assert "Assessment report · 评估报告" in header
        assert world.engagement.reference in header and "北京示例科技有限公司" in header


def test_the_report_states_team_dates_sites_recommendation_and_the_rule(reported):
    world, _report, _html, path = reported
    text = flat(" ".join(pages(path)))

    for expected in (
        "Team · 评估组及人员",
        world.lead.user.get_full_name() or world.lead.user.email,
        "Lead assessor · 评估组长",
        "Technical reviewer · 技术评审人员",
        "Sites · 场所 北京市海淀区中关村大街1号",
        "Dates · 日期",
        "Recommendation · 建议",
        "Findings approved · 评估发现已批准",
        "Certification granted · 批准认证",
        "a domain's level is the lowest level of its items",
    ):
        assert expected in text, expected
    assert "能力域的等级为其能力项的最低等级" in text.replace(" ", "")


def test_chart_labels_are_whole_and_the_chart_shares_its_page(reported):
    _world, _report, html, path = reported
    chart = html[html.index("<svg") : html.index("</svg>")]
    labels = " ".join(re.findall(r"<text[^>]*>([^<]+)</text>", chart))

    assert f"D0 {LONG_DOMAIN}" in labels  # wrapped over lines, never cut
    assert "…" not in labels
    page = next(p for p in pages(path) if "Domain · 能力域" in p)
    assert "Recommendation · 建议" in page  # the chart sits between them, not alone


def test_the_report_uses_only_the_projects_fonts(reported, tmp_path):
    _world, _report, _html, path = reported
    fonts = [line.split()[0] for line in _run("pdffonts", path).splitlines()[2:]]

    assert fonts and all(font.split("+", 1)[1].startswith("Assay-") for font in fonts), fonts


@pytest.fixture
def split_report(tenant, pdf_settings, settings, django_capture_on_commit_callbacks):
    """A closed engagement of three domains whose report is rendered in two parts (the
    threshold lowered), joined and signed: what a large report gets on the pdf workers."""
    from certificates.credentials import ensure_dev_credentials
    from tests.factories_assessments import make_model_version

    settings.REPORT_SPLIT_ITEMS = 1
    settings.REPORT_PARTS = 2
    world = build_world(tenant, version=make_model_version(domains=3, items_per_domain=4))
    with scope(tenant=tenant):
        ensure_dev_credentials(tenant)
    advance(world, "closed")
    with scope(tenant=tenant), django_capture_on_commit_callbacks(execute=True):
        from certificates import services

        report = services.request_report(engagement=world.engagement, by=world.lead)
    with scope(tenant=tenant):
        report.refresh_from_db()
        context = rendering.report_context(report)
    assert report.status == "ready", report.last_error
    return world, report, context


def test_a_large_report_is_cut_in_order_into_parts_that_hold_every_block_once(split_report):
    from certificates import report_parts

    _world, _report, context = split_report
    parts = report_parts.split(context)
    whole = _body_text(
        rendering.render_to_string("certificates/report_pdf.html", rendering.whole(context))
    )
    joined = " ".join(_body_text(html) for html in parts)

    assert len(parts) == 2
    assert joined == whole  # the same text in the same order, nothing twice, nothing lost


def _body_text(html):
    body = html[html.index("<body>") : html.index("</body>")]
    return flat(re.sub(r"<[^>]+>", " ", body))


def test_a_report_rendered_in_parts_has_one_signature_and_the_pages_of_the_whole(
    split_report, tmp_path
):
    from certificates.credentials import trust_roots
    from certificates.pdf.signing import validate_pdf

    world, report, _context = split_report
    data = report.pdf.read()
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    every = pages(path)

    assert validate_pdf(data, trust_roots=trust_roots()).ok
    assert report.page_count == len(every) >= 3
    for number, page in enumerate(every, start=1):
        numbers = re.findall(r"(\d+) ?/ ?(\d+)\s*$", page.strip())
        assert numbers == [(str(number), str(len(every)))]  # numbered across the parts
        if number > 1:  # the running header of the whole, on every page after the cover
            header = flat(page)
            assert "Assessment report · 评估报告" in header
            assert world.engagement.reference in header
    text = flat(" ".join(every))
    for code in ("D0.I0", "D1.I3", "D2.I3"):  # every domain's findings, from both parts
        assert code in text


def _sampling_row(report):
    with scope(tenant=report.tenant):
        html = rendering.report_html(report)
    row = re.search(r"<tr><th>Sampling · .*?</tr>", html, re.S)
    assert row, "no sampling row"
    return flat(re.sub(r"<[^>]+>", " ", row.group(0)))


def _accepted_application(world, report, projects, sampled=()):
    from assessments.models import Application

    with scope(tenant=report.tenant):
        Application.objects.create(
            tenant=report.tenant,
            organization=world.organization,
            model_version=world.version,
            target_level=3,
            projects=projects,
            sampled_projects=list(sampled),
            status=Application.Status.ACCEPTED,
            applicant=world.lead.user,
            engagement=world.engagement,
        )


def test_the_report_states_the_projects_sampled_in_the_contract_review(reported):
    world, report, _html, _path = reported
    _accepted_application(
        world,
        report,
        ["Payments platform", "Mobile app", "Data warehouse"],
        sampled=["Payments platform", "Data warehouse"],
    )

    assert _sampling_row(report) == (
        "Sampling · 抽样 Payments platform, Data warehouse — 2 of 3 project(s) proposed · "
        "申请提出 3 个项目，抽取 2 个"
    )


def test_without_a_sample_every_project_proposed_is_named_and_without_an_application_a_dash(
    reported,
):
    world, report, _html, _path = reported
    assert _sampling_row(report) == "Sampling · 抽样 —"
    _accepted_application(world, report, ["Payments platform"])

    assert _sampling_row(report) == (
        "Sampling · 抽样 Payments platform — every project proposed · 申请提出的全部项目"
    )


def test_planned_dates_print_as_a_range_or_one_dash(reported):
    import datetime

    from assessments.models import Engagement

    world, report, _html, _path = reported

    def planned():
        with scope(tenant=report.tenant):
            fresh = Report.objects.get(pk=report.pk)
            text = flat(re.sub(r"<[^>]+>", " ", rendering.report_html(fresh)))
        return re.search(r"Planned · 计划 : (.*?) Technical review", text).group(1)

    with scope(tenant=report.tenant):
        Engagement.objects.filter(pk=world.engagement.pk).update(
            planned_start=None, planned_end=None
        )
    assert planned() == "—"
    with scope(tenant=report.tenant):
        Engagement.objects.filter(pk=world.engagement.pk).update(
            planned_start=datetime.date(2026, 3, 2), planned_end=datetime.date(2026, 3, 6)
        )
    assert planned() == "2026-03-02 – 2026-03-06"
