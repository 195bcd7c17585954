"""Importing and exporting capability models: whole or nothing, and round trips."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from assessments.model_format import dump_model, load_model
from assessments.models import CapabilityItem, LevelRequirement, ModelVersion
from assessments.services import library

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"


def _import(path, *args):
    out = io.StringIO()
    call_command("import_model", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    "name", ["devops-cd.yaml", "devops-cd-2026.2.yaml", "devops-security.yaml"]
)
def test_export_then_import_gives_back_the_same_model(db, tmp_path, name):
    original = load_model((MODEL_DATA / name).read_bytes())
    _import(MODEL_DATA / name, "--publish")
    exported = tmp_path / "exported.yaml"
    call_command("export_model", original.code, original.version, "-o", str(exported))
    assert load_model(exported.read_bytes()) == original
    # …and importing the export as a new version gives the same tree again.
    renamed = exported.read_text(encoding="utf-8").replace(
        f"version: '{original.version}'", "version: 'copy'", 1
    )
    again = tmp_path / "again.yaml"
    again.write_text(renamed, encoding="utf-8")
    _import(again)
    with scopes_disabled():
        copy = ModelVersion.objects.get(model__code=original.code, version="copy")
        assert library.version_document(copy) == load_model(renamed)


def test_the_shipped_cd_model_has_every_item_of_the_standard(db):
    _import(MODEL_DATA / "devops-cd.yaml", "--publish")
    with scopes_disabled():
        version = ModelVersion.objects.get(model__code="devops-cd")
        doc = library.version_document(version)
    items = {item.name.zh for item in doc.all_items()}
    assert {
        "版本控制",
        "变更管理",
        "构建实践",
        "持续集成",
        "测试分层策略",
        "代码质量管理",
        "自动化测试",
        "部署与发布模式",
        "持续部署流水线",
        "环境供给方式",
        "环境一致性",
        "测试数据管理",
        "数据变更管理",
        "度量指标",
        "度量驱动改进",
    } <= items
    assert version.is_published and "paraphrase" in version.notice_en


def test_a_broken_file_lists_every_problem_and_imports_nothing(db, tmp_path):
    text = (MODEL_DATA / "devops-security.yaml").read_text(encoding="utf-8")
    broken = text.replace("level: 2", "level: 7", 1).replace("zh: ", "zh: ''\n    x: ", 0)
    doc = load_model(text)
    first_item = next(doc.all_items())
    broken = broken.replace(f"code: {first_item.code}\n", "code: SR\n", 1)  # duplicate code
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_model", str(path), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) >= 2
    assert any("level" in line and "line " in line for line in lines)
    with scopes_disabled():
        assert not ModelVersion.objects.exists()


def test_an_existing_version_is_refused(db):
    _import(MODEL_DATA / "devops-cd.yaml")
    with pytest.raises(CommandError, match="exists already"):
        _import(MODEL_DATA / "devops-cd.yaml")


def _synthetic(items):
    doc = load_model((MODEL_DATA / "devops-security.yaml").read_bytes())
    text = dump_model(doc)
    data_items = []
    for n in range(items):
        reqs = "".join(
            f"""
          - code: X{n}.L{level}
            level: {level}
            text: {{en: Requirement {n} {level}, zh: 要求 {n} {level}}}"""
            for level in range(1, 6)
        )
        data_items.append(f"""
      - code: X{n}
        name: {{en: Item {n}, zh: 能力项 {n}}}
        requirements:{reqs}""")
    head = text.split("domains:")[0].replace("code: devops-security", f"code: synthetic-{items}")
    return (
        head
        + "domains:\n  - code: P\n    name: {en: Part, zh: 部分}\n    items:"
        + "".join(data_items)
    )


def _batches(model, rows):
    """INSERT statements bulk_create needs for `rows` rows on this database."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    per_batch = min(library.BATCH_SIZE, connection.ops.bulk_batch_size(fields, [None] * rows))
    return -(-rows // per_batch)


def test_import_uses_a_constant_number_of_queries_per_batch(db):
    overhead = {}
    for size in (50, 500):
        document = load_model(_synthetic(size))
        with CaptureQueriesContext(connection) as queries, scopes_disabled():
            library.import_model_document(document=document)
        batches = _batches(CapabilityItem, size) + _batches(LevelRequirement, 5 * size)
        overhead[size] = len(queries) - batches
    with scopes_disabled():
        assert LevelRequirement.objects.count() == 5 * 550
    assert overhead[50] == overhead[500], overhead
