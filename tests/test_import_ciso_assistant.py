"""Importing CISO Assistant framework libraries as format-2 models: the tree, the two compliance
levels, implementation groups as tags, line-and-path errors, nothing half-imported, and every
door (command, upload page, API) detecting the format by content."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from assessments.model_format import (
    ModelFormatError,
    detect_format,
    dump_model,
    load_model,
    read_model_file,
)
from assessments.models import CapabilityItem, LevelRequirement, MaturityModel, ModelVersion
from assessments.services import library

DATA = Path(__file__).resolve().parent / "data" / "ciso-assistant"
PCI = DATA / "pcidss-4_0-excerpt.yaml"
GROUPS = DATA / "controls-with-groups.yaml"


def _pci():
    return read_model_file(PCI.read_bytes())


def _codes(items):
    return [item.code for item in items]


def test_the_format_is_detected_from_the_content():
    assert detect_format(PCI.read_bytes()) == "ciso-assistant"
    assay = Path(library.__file__).parent.parent / "model_data" / "devops-security.yaml"
    assert detect_format(assay.read_bytes()) == "assay"


def test_pci_dss_library_imports_unchanged_as_a_two_level_compliance_model():
    doc = _pci()
    assert (doc.code, doc.version, doc.format) == ("pcidss-4_0", "3", 2)
    assert [(d.level, d.name.en, d.name.zh) for d in doc.levels] == [
        (1, "Not compliant", "不符合"),
        (2, "Compliant", "符合"),
    ]
    assert doc.standard.identifier == "PCI DSS 4.0.1"
    assert "PCI Security Standards Council" in doc.notice.en
    assert doc.name.zh == "支付卡行业数据安全标准（PCI-DSS）4.0.1"
    (root,) = doc.domains
    assert _codes(root.domains) == [
        "build-and-maintain-a-secure-network-and-systems",
        "regularly-monitor-and-test-networks",
        "appendix-a3",
    ]
    requirement_1 = root.domains[0].domains[0]
    assert requirement_1.code == "1"
    assert requirement_1.name.en == "Requirement 1 — Install and Maintain Network Security Controls"


def test_assessable_nodes_become_items_and_those_without_sub_nodes_are_the_leaves():
    doc = _pci()
    leaves = {leaf.code: leaf for leaf in doc.all_leaves()}
    leaf = leaves["1.2.1"]
    assert leaf.cells[0].level == 1 and not leaf.cells[0].description
    (requirement,) = leaf.requirements
    assert requirement.level == 2 and requirement.code == "1.2.1.L2"
    assert requirement.text.en.startswith("Configuration standards for NSC rulesets are:\n• ")
    assert requirement.text.zh.startswith("NSC 规则集的配置标准")
    assert leaf.name.en == "Configuration standards for NSC rulesets are:"


def test_an_assessable_node_with_sub_nodes_keeps_its_own_requirement_as_first_sub_item():
    doc = _pci()
    item = next(i for i in doc.all_items() if i.code == "1.1")
    assert _codes(item.items) == ["1.1.req", "1.1.1", "1.1.2"]
    assert item.items[0].requirements[0].text.en.startswith("Processes and mechanisms")


def test_repeated_ref_ids_keep_distinct_codes_from_their_urns_and_show_the_ref_id():
    doc = _pci()
    a331 = next(i for i in doc.all_items() if i.code == "a3.3.1")
    assert _codes(a331.items) == ["a3.3.1.req", "a3.3.1.1", "a3.3.1.2"]
    assert a331.items[2].name.en.startswith("A3.3.1.1 Failures of critical")


def test_informational_nodes_are_left_out_with_a_warning_on_their_line():
    doc = _pci()
    assert "a3-note" not in {item.code for item in doc.all_items()}
    (warning,) = doc.warnings
    assert warning.path == "objects.framework.requirement_nodes[13]"
    line = PCI.read_text(encoding="utf-8").splitlines()[warning.line - 1]
    assert "a3-note" in line


def test_the_imported_model_round_trips_through_assays_own_format():
    doc = _pci()
    assert load_model(dump_model(doc)) == doc


def test_implementation_groups_become_item_tags_and_typical_evidence_expected_evidence():
    doc = read_model_file(GROUPS.read_bytes())
    leaves = {leaf.code: leaf for leaf in doc.all_leaves()}
    assert leaves["1.1"].tags == ("IG1", "IG2") and leaves["1.2"].tags == ("IG2",)
    (evidence,) = leaves["1.1"].cells[1].evidence
    assert evidence.kind == "document" and evidence.text.en.startswith("The inventory")
    assert leaves["1.1"].description.en == "Include portable devices."
    assert leaves["1.1"].name.zh == "维护资产清单"
    # A ref_id YAML reads as a number (1.10) keeps its digits.
    assert leaves["1.2"].name.en == "1.10 Address unauthorised assets"
    assert "IG1 — Essential hygiene" in doc.description.en
    assert "IG1 — 基本卫生" in doc.description.zh


def test_tags_are_stored_and_exported(db):
    doc = read_model_file(GROUPS.read_bytes())
    with scopes_disabled():
        version = library.import_model_document(document=doc)
        assert CapabilityItem.objects.get(version=version, code="1.1").tags == ["IG1", "IG2"]
        assert library.version_document(version) == doc


def _broken(replace_from, replace_to):
    text = PCI.read_text(encoding="utf-8")
    assert replace_from in text
    return text.replace(replace_from, replace_to, 1)


def _problems(text):
    with pytest.raises(ModelFormatError) as refused:
        read_model_file(text.encode())
    return refused.value.problems


def test_an_unknown_parent_is_reported_with_its_line_and_path():
    text = _broken(
        "parent_urn: urn:intuitem:risk:req_node:pcidss-4_0:1.2\n      ref_id: 1.2.7",
        "parent_urn: urn:intuitem:risk:req_node:pcidss-4_0:9.9\n      ref_id: 1.2.7",
    )
    (problem,) = _problems(text)
    assert problem.path == "objects.framework.requirement_nodes[7].parent_urn"
    assert "9.9" in text.splitlines()[problem.line - 1]
    assert "not a node listed before" in problem.message


def test_every_problem_is_listed_in_one_pass():
    text = _broken("assessable: true\n      depth: 4", "assessable: 'yes'\n      depth: 4")
    text = text.replace(
        "urn: urn:intuitem:risk:req_node:pcidss-4_0:1.2.7",
        "urn: urn:intuitem:risk:req_node:pcidss-4_0:1.2.1",
    )
    problems = _problems(text)
    assert [p.path for p in problems] == [
        "objects.framework.requirement_nodes[3].assessable",
        "objects.framework.requirement_nodes[7].urn",
    ]
    assert "already used by objects.framework.requirement_nodes[6]" in problems[1].message


def test_a_depth_that_contradicts_the_parent_is_reported():
    problems = _problems(_broken("depth: 5", "depth: 7"))
    assert problems[0].path == "objects.framework.requirement_nodes[17].depth"


def test_a_library_without_english_or_chinese_is_refused_naming_its_locale():
    text = GROUPS.read_text(encoding="utf-8").replace("locale: en", "locale: fr")
    text = text.replace("translations:\n  zh:\n    name: 示例控制项\n", "")
    (problem,) = _problems(text)
    assert problem.path == "locale" and problem.line == 2 and "'fr'" in problem.message


def test_a_library_without_a_framework_is_refused():
    text = "urn: urn:intuitem:risk:library:matrix\nlocale: en\nobjects:\n  risk_matrix: []\n"
    (problem,) = _problems(text)
    assert problem.path == "objects.framework" and "no framework" in problem.message


def test_a_too_long_requirement_text_is_refused_on_its_line():
    text = _broken(
        "description: NSC configurations are reviewed at least once every six months.",
        "description: " + "x" * 4001,
    )
    (problem,) = _problems(text)
    assert problem.path == "objects.framework.requirement_nodes[7].description"
    assert "4,001" in problem.message


def _command(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_model", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_library_with_from_ciso_assistant(db):
    out, err = _command(PCI, "--from", "ciso-assistant", "--publish")
    assert "Imported pcidss-4_0 3" in out and "(published)" in out
    assert "warning" in err and "requirement_nodes[13]" in err
    with scopes_disabled():
        version = ModelVersion.objects.get(model__code="pcidss-4_0")
        assert version.item_count == len(list(_pci().all_leaves()))
        assert version.top_level == 2


def test_the_command_detects_the_format_without_the_option(db):
    out, _ = _command(GROUPS)
    assert "Imported example-controls 2" in out


def test_a_broken_library_imports_nothing_from_the_command(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(_broken("depth: 5", "depth: 7"), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing imported"):
        _command(path, "--from", "ciso-assistant")
    with scopes_disabled():
        assert not ModelVersion.objects.exists() and not MaturityModel.objects.exists()


def test_an_assay_file_given_as_ciso_assistant_is_refused(db):
    assay = Path(library.__file__).parent.parent / "model_data" / "devops-security.yaml"
    with pytest.raises(CommandError, match="nothing imported"):
        _command(assay, "--from", "ciso-assistant")


def _upload_page(client, tenant, path):
    return client.post(
        reverse("assessments:model_upload", args=[tenant.slug]),
        {"file": SimpleUploadedFile(path.name, path.read_bytes(), "application/yaml")},
    )


def test_the_upload_page_takes_a_library(tenant, admin_membership, client_for):
    response = _upload_page(client_for(admin_membership), tenant, PCI)
    assert response.status_code == 302
    with scopes_disabled():
        version = ModelVersion.objects.get(model__code="pcidss-4_0", tenant=tenant)
        assert LevelRequirement.objects.filter(version=version).count() == len(
            list(_pci().all_requirements())
        )


def test_the_upload_page_lists_the_problems_of_a_broken_library(
    tenant, admin_membership, client_for, tmp_path
):
    path = tmp_path / "broken.yaml"
    path.write_text(_broken("depth: 5", "depth: 7"), encoding="utf-8")
    page = _upload_page(client_for(admin_membership), tenant, path).content.decode()
    assert "requirement_nodes[17].depth" in page
    with scopes_disabled():
        assert not ModelVersion.objects.exists()


def test_the_api_upload_takes_a_library_as_a_yaml_body(tenant, admin_membership, api_for):
    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/model-versions/upload/",
        GROUPS.read_bytes(),
        content_type="application/yaml",
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "example-controls"


def test_the_api_upload_answers_a_broken_library_with_its_problems(
    tenant, admin_membership, api_for
):
    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/model-versions/upload/",
        _broken("depth: 5", "depth: 7").encode(),
        content_type="application/yaml",
    )
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "objects.framework.requirement_nodes[17].depth"
    with scopes_disabled():
        assert not ModelVersion.objects.exists()


def test_format_2_tags_must_be_non_empty_and_distinct():
    assay = Path(library.__file__).parent.parent / "model_data" / "devops-cd-2026.2.yaml"
    text = assay.read_text(encoding="utf-8")
    text = text.replace(
        "          - code: CD.CM.VC\n",
        "          - code: CD.CM.VC\n            tags: [IG1, IG1, ' ']\n",
        1,
    )
    with pytest.raises(ModelFormatError) as refused:
        load_model(text)
    assert {p.path.rsplit(".", 1)[-1].split("[")[0] for p in refused.value.problems} == {"tags"}


def test_format_2_import_queries_grow_only_with_the_batches(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import ExpectedEvidence, LevelCell
    from benchmarks.model_format2_figures import synthetic_format_2
    from tests.test_library_import import _batches

    overhead = {}
    for domains in (1, 10):
        document = synthetic_format_2(f"f2-{domains}", domains, 10, 10)
        leaves = domains * 100
        with CaptureQueriesContext(connection) as queries, scopes_disabled():
            library.import_model_document(document=document)
        batches = (
            _batches(CapabilityItem, domains * 10)  # items: one INSERT per depth
            + _batches(CapabilityItem, leaves)  # and their sub-items
            + _batches(LevelRequirement, len(list(document.all_requirements())))
            + _batches(LevelCell, 5 * leaves)
            + _batches(ExpectedEvidence, len(list(document.all_evidence())))
        )
        overhead[domains] = len(queries) - batches
        with scopes_disabled():
            assert LevelCell.objects.filter(version__model__code=f"f2-{domains}").count() == (
                5 * leaves
            )
    assert overhead[1] == overhead[10], overhead


CPG = DATA / "cisa-cpg-2.0.yaml"


def test_a_whole_published_library_imports_unchanged_cisa_cpg_2():
    """CISA's Cross-Sector Cybersecurity Performance Goals 2.0, the library file exactly as CISO
    Assistant publishes it (public domain, tests/data/ciso-assistant/README.md): six functions,
    34 goals, each a leaf with its outcome as requirement and its annotation as description."""
    doc = read_model_file(CPG.read_bytes())
    assert (doc.code, doc.version, doc.standard.identifier) == ("cisa-cpg-2-0", "3", "CISA-CPG-2.0")
    (root,) = doc.domains
    assert _codes(root.domains) == ["gv", "id", "pr", "de", "rs", "rc"]
    assert [len(d.items) for d in root.domains] == [5, 5, 19, 2, 2, 1]
    leaves = list(doc.all_leaves())
    assert len(leaves) == 34
    first = leaves[0]
    assert (
        first.name.en.startswith("1.A")
        and "Establish Cybersecurity Responsibilities" in first.name.en
    )
    (requirement,) = first.requirements
    assert requirement.level == 2 and requirement.text.en.startswith("Roles, responsibilities")
    assert first.description.en.startswith("Outcome: Roles")
    assert "public domain" in doc.notice.en
    assert load_model(dump_model(doc)) == doc


def test_what_a_maturity_model_cannot_hold_is_named_in_the_import_report():
    """CISO Assistant's reference controls, threats and score scale are not part of a maturity
    model: the import says so instead of dropping them silently."""
    warnings = [str(w) for w in read_model_file(CPG.read_bytes()).warnings]
    assert any("objects.reference_controls" in w and "37" in w for w in warnings), warnings
    assert any("objects.threats" in w and "16" in w for w in warnings), warnings
    assert any("scores_definition" in w for w in warnings), warnings
