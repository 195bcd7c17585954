"""The shipped continuous-delivery model 2026.2: the structure of YD/T 3763.3-2021, format 2.

The public self-assessment sheet lists 7 sub-domains, 14 capability items and 49 sub-items (the
item table of ../shared/MODEL-FACTS.md, counted item by item, has 14 rows as well).
"""

from collections import Counter
from pathlib import Path

from assessments.model_format import dump_model, load_model
from assessments.scoring import Rating, score

MODEL = (
    Path(__file__).resolve().parent.parent / "assessments" / "model_data" / "devops-cd-2026.2.yaml"
)


def _doc():
    return load_model(MODEL.read_bytes())


def test_it_loads_without_warnings_and_round_trips():
    doc = _doc()
    assert doc.warnings == ()
    assert load_model(dump_model(doc)) == doc
    assert (doc.code, doc.version, doc.format) == ("devops-cd", "2026.2", 2)
    assert (doc.standard.identifier, doc.standard.status) == ("YD/T 3763.3-2021", "current")
    assert [layer.zh for layer in doc.layers] == ["能力域", "能力子域", "能力项", "能力子项"]
    assert "YD/T 3763.3-2021" in doc.notice.en and "YD/T 3763.3-2021" in doc.notice.zh


def test_it_has_the_seven_sub_domains_fourteen_items_and_49_sub_items_of_part_3():
    (part,) = _doc().domains
    assert part.name.zh == "持续交付"
    assert [d.name.zh for d in part.domains] == [
        "配置管理",
        "构建与持续集成",
        "测试管理",
        "部署与发布管理",
        "环境管理",
        "数据管理",
        "度量与反馈",
    ]
    items = [item for domain in part.domains for item in domain.items]
    assert len(items) == 14 and all(not item.is_leaf for item in items)
    leaves = list(part.all_leaves())
    assert len(leaves) == 49
    assert [leaf.name.zh for leaf in items[0].items] == [
        "版本控制系统",
        "分支管理",
        "制品管理",
        "单一可信数据源",
    ]
    assert [leaf.name.zh for leaf in items[1].items] == ["变更过程", "变更追溯", "变更回滚"]
    assert all(leaf.name.en and leaf.name.zh for leaf in leaves)


def test_level_one_asks_nothing_and_every_sub_item_has_requirements_from_level_two():
    for leaf in _doc().all_leaves():
        cells = {cell.level: cell for cell in leaf.cells}
        assert 1 in cells and not [r for r in leaf.requirements if r.level == 1], leaf.code
        assert [r for r in leaf.requirements if r.level == 2], leaf.code
        for requirement in leaf.requirements:
            assert requirement.code.startswith(f"{leaf.code}.L{requirement.level}.")
            assert requirement.text.en.endswith(".") and requirement.text.zh.endswith("。")


def test_only_change_rollback_has_no_level_five_cell():
    missing = [
        leaf.name.zh for leaf in _doc().all_leaves() if 5 not in {c.level for c in leaf.cells}
    ]
    assert missing == ["变更回滚"]


def test_thresholds_sit_where_the_self_assessment_sheet_puts_them():
    leaves = {leaf.code: leaf for leaf in _doc().all_leaves()}

    def texts(code, level):
        return " ".join(r.text.en for r in leaves[code].requirements if r.level == level)

    assert "10 minutes" in texts("CD.BCI.CI.FP", 5) and "30 minutes" in texts("CD.BCI.CI.FP", 4)
    assert "hours" in texts("CD.EM.EM.EB", 3) and "minutes" in texts("CD.EM.EM.EB", 4)


def test_evidence_codes_are_unique_and_of_the_three_kinds():
    evidence = list(_doc().all_evidence())
    codes = [e.code for e in evidence]
    assert len(codes) == len(set(codes))
    assert Counter(e.kind for e in evidence) == {
        "document": 67,
        "screenshot": 71,
        "demonstration": 45,
    }
    assert "CM-VC-VCS-L2-1" in codes


def test_full_marks_reach_level_five_and_one_unmet_level_three_requirement_shows_three_minus():
    doc = _doc()
    ratings = {r.code: Rating.MET for r in doc.all_requirements()}
    assert score(doc, None, ratings).overall == 5
    ratings["CD.BCI.CI.FP.L3.1"] = Rating.PARTIALLY_MET
    result = score(doc, None, ratings)
    assert result.overall == 2 and result.overall_display == "3-"
    assert result.items["CD.BCI.CI.FP"].display == "3-"
    assert result.parents["CD.BCI.CI"].level == 2
