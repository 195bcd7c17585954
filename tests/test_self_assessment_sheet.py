"""The self-assessment spreadsheet in the layout of CAICT's sheet: a model version (and an
engagement's assessed levels) exported to it, and a client's filled-in sheet read back as
{leaf code: level or "N-"} with row-numbered problems."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from assessments.model_format import load_model
from assessments.self_assessment_sheet import (
    SheetError,
    read_self_assessment_sheet,
    write_self_assessment_sheet,
)
from assessments.services import engagements as engagement_services
from assessments.services import library
from tenants.roles import Role
from tests.factories import OrganizationFactory

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"
CD = load_model((MODEL_DATA / "devops-cd-2026.2.yaml").read_bytes())
LEAVES = list(CD.all_leaves())


def _sheet(data):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def _rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_export_has_the_layout_of_the_caict_sheet():
    rows = _rows(_sheet(write_self_assessment_sheet(CD)))
    assert rows[0][0].endswith("自评表")
    assert rows[1][0] == "项目名称" and "目标级别" in rows[1]
    header = rows[2]
    assert header[:4] == ["能力域", "能力子域", "能力项", "能力子项"]
    assert header[4].startswith("1级") and "初始级" in header[4]
    assert header[8].startswith("5级") and "卓越级" in header[8]
    assert header[9] == "自评"
    assert len(rows) == 3 + 49
    first = rows[3]
    assert first[:4] == ["持续交付", "配置管理", "版本控制", "版本控制系统"]
    assert first[-1] == "CD.CM.VC.VCS"


def test_ancestors_are_merged_over_their_rows_as_in_the_caict_sheet():
    sheet = _sheet(write_self_assessment_sheet(CD))
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert "A4:A52" in merged  # 持续交付 over all 49 sub-items


def test_a_level_cell_lists_the_requirements_or_the_description_or_says_none():
    rows = _rows(_sheet(write_self_assessment_sheet(CD)))
    by_code = {row[-1]: row for row in rows[3:]}
    assert by_code["CD.CM.VC.BM"][4] == "无"  # an empty level-1 cell
    vcs = by_code["CD.CM.VC.VCS"]
    assert vcs[4] == "源代码由开发人员各自在本地保存。"  # a description-only cell
    assert vcs[5].startswith("1) ") and "\n2) " in vcs[5]


def test_the_english_export_uses_the_english_names():
    rows = _rows(_sheet(write_self_assessment_sheet(CD, language="en")))
    assert rows[2][9] == "Self-rating" and rows[3][3] == "Version control system"


def _filled(values, *, data=None):
    """The exported sheet with the self-rating column filled in: {row number: value}."""
    workbook = openpyxl.load_workbook(io.BytesIO(data or write_self_assessment_sheet(CD)))
    sheet = workbook.active
    for row, value in values.items():
        sheet.cell(row=row, column=10, value=value)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_a_filled_export_reads_back_as_levels_per_leaf():
    ratings = read_self_assessment_sheet(_filled({4: "3", 5: "3-", 6: 2, 7: "4级"}), CD)
    codes = [leaf.code for leaf in LEAVES[:4]]
    assert ratings == {codes[0]: 3, codes[1]: "3-", codes[2]: 2, codes[3]: 4}


def test_every_bad_row_is_reported_with_its_row_number():
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(_filled({4: "6", 5: "1-", 6: "good", 8: "2"}), CD)
    problems = refused.value.problems
    assert [(p.row, p.column) for p in problems] == [(4, "J"), (5, "J"), (6, "J")]
    assert "1 to 5" in problems[0].message and "row 4" in str(problems[0])


def test_a_code_that_is_not_a_leaf_of_the_model_is_reported():
    workbook = openpyxl.load_workbook(io.BytesIO(write_self_assessment_sheet(CD)))
    sheet = workbook.active
    sheet.cell(row=4, column=sheet.max_column, value="CD.NOPE")
    sheet.cell(row=4, column=10, value="2")
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(io.BytesIO(out.getvalue()), CD)
    (problem,) = refused.value.problems
    assert problem.row == 4 and "CD.NOPE" in problem.message


def _caict_layout(rows):
    """A sheet laid out like CAICT's own (no code column, ancestors merged, notes under the
    sub-item names): rows of (sub-domain, item, sub-item, self-rating)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DevOps-持续交付-能力成熟度自评表"])
    sheet.append(["项目名称", "请填写：XX公司XX项目", None, None, None, None, "目标级别", "3级"])
    sheet.append(
        ["能力域", "能力子域", "能力项", "能力子项"]
        + [f"{n}级\n（…）" for n in range(1, 6)]
        + ["自评", "和X级要求的差距", "问题记录与改进思路"]
    )
    for index, (subdomain, item, leaf, value) in enumerate(rows):
        sheet.append(
            ["持续交付" if index == 0 else None, subdomain, item, leaf] + [""] * 5 + [value]
        )
    sheet.merge_cells(start_row=4, end_row=3 + len(rows), start_column=1, end_column=1)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_a_sheet_in_caicts_own_layout_is_matched_by_names():
    sheet = _caict_layout(
        [
            ("配置管理", "版本控制", "版本控制系统", "3"),
            (None, None, "单一可信数据源\n说明：保证每个数据元素只存储一份", "2-"),
            (None, "变更管理\n说明：该变更是指需求、代码等内容", "变更过程", "2"),
        ]
    )
    assert read_self_assessment_sheet(sheet, CD) == {
        "CD.CM.VC.VCS": 3,
        next(leaf.code for leaf in LEAVES if leaf.name.zh == "单一可信数据源"): "2-",
        "CD.CM.CHG.CP": 2,  # not the other 变更过程 (CD.DM.DCM.CP): the rows above tell
    }


def test_an_unknown_sub_item_and_a_repeated_one_are_reported_by_row():
    sheet = _caict_layout(
        [
            ("配置管理", "版本控制", "版本控制系统", "3"),
            (None, None, "版本控制系统", "2"),
            (None, None, "不存在的子项", "2"),
        ]
    )
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(sheet, CD)
    rows = [(p.row, p.message) for p in refused.value.problems]
    assert rows[0][0] == 5 and "row 4" in rows[0][1]
    assert rows[1][0] == 6 and "不存在的子项" in rows[1][1]


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(io.BytesIO(b"not a workbook"), CD)
    assert "xlsx" in refused.value.problems[0].message


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 60_000_000 + b"</a>")
    out.seek(0)
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(out, CD)
    assert "too large" in refused.value.problems[0].message


def test_a_sheet_without_a_self_rating_column_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append(["nothing", "here"])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    with pytest.raises(SheetError) as refused:
        read_self_assessment_sheet(out, CD)
    assert "自评" in refused.value.problems[0].message


def test_the_export_carries_an_engagements_assessed_levels():
    assessed = {LEAVES[0].code: "3-", LEAVES[1].code: "2"}
    rows = _rows(
        _sheet(
            write_self_assessment_sheet(
                CD, assessed=assessed, project="北京示例科技有限公司", target_level=3
            )
        )
    )
    assert rows[2][-2] == "评估结果"
    assert rows[3][-2] == "3-" and rows[4][-2] == "2"
    assert rows[1][1] == "北京示例科技有限公司" and rows[1][7] == "3级"


def _published_cd():
    with scopes_disabled():
        version = library.import_model_document(document=CD)
        return library.publish_version(version=version)


def test_export_sheet_command_writes_the_version_and_an_engagement(tenant, member, tmp_path):
    version = _published_cd()
    out = tmp_path / "sheet.xlsx"
    call_command("export_sheet", "devops-cd", "2026.2", "-o", str(out), stdout=io.StringIO())
    assert len(_rows(openpyxl.load_workbook(out).active)) == 52
    organization = OrganizationFactory(tenant=tenant, legal_name="示例公司")
    with scope(tenant=tenant):
        engagement = engagement_services.create_engagement(
            tenant=tenant,
            by=member(Role.TENANT_ADMIN),
            organization=organization,
            model_version=version,
            target_level=3,
            scope_codes=["CD.CM"],
        )
    call_command(
        "export_sheet",
        "devops-cd",
        "2026.2",
        "--engagement",
        str(engagement.pk),
        "-o",
        str(out),
        stdout=io.StringIO(),
    )
    rows = _rows(openpyxl.load_workbook(out).active)
    assert rows[1][1] == "示例公司"
    by_code = {row[-1]: row for row in rows[3:]}
    assert by_code["CD.CM.VC.VCS"][-2] == "1"  # level 1 asks nothing: reached vacuously
    assert by_code[LEAVES[-1].code][-2] in ("", None)  # out of scope


def test_export_sheet_command_refuses_an_unknown_version(db):
    with pytest.raises(CommandError, match="no model version"):
        call_command("export_sheet", "devops-cd", "9.9", stdout=io.StringIO())
