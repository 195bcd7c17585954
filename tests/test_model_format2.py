"""Format 2 of the model file: sub-items, level cells, declared levels and scale, aggregation,
expected evidence, one-language texts. Format-1 files keep loading as before (test_model_format)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.model_format import (
    AggregationRule,
    DomainNode,
    EvidenceNode,
    ItemNode,
    LevelCell,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    ModelFormatError,
    RatingValueDefinition,
    RequirementNode,
    StandardReference,
    dump_model,
    load_model,
)

VALID2 = """\
format: 2
code: demo2
version: '2.0'
name: {en: Demo model, zh: 演示模型}
standard: {identifier: YD/T 3763.3-2021, status: current}
layers:
  - {en: Domain, zh: 能力域}
  - {en: Item, zh: 能力项}
  - {zh: 能力子项}
levels:
  - {level: 1, name: {en: Initial, zh: 初始级}}
  - {level: 2, name: {en: Basic}}
  - {level: 3, name: {zh: 全面级}}
rating_scale:
  - value: largely_met
    name: {en: Largely met, zh: 大部分符合}
    counts_as_met: false
    progress: true
aggregation: {rule: minimum_with_tolerance, tolerance: 1}
domains:
  - code: P
    name: {en: Part, zh: 部分}
    items:
      - code: P.X
        name: {en: Item X, zh: 能力项甲}
        items:
          - code: P.X.A
            name: {zh: 子项甲}
            levels:
              - level: 1
                description: {en: Nothing is managed., zh: 无管理。}
              - level: 2
                requirements:
                  - code: P.X.A.L2.1
                    text: {en: First requirement, zh: 第一项要求}
                evidence:
                  - code: EV-A-L2-1
                    kind: document
                    text: {en: The rules, zh: 规范文档}
              - level: 3
                includes_lower_evidence: true
                requirements:
                  - code: P.X.A.L3.1
                    text: {zh: 第三级要求}
          - code: P.X.B
            name: {en: Sub-item B}
            levels:
              - level: 1
              - level: 2
                requirements:
                  - code: P.X.B.L2.1
                    text: {en: Only requirement}
"""
ITEM_A = "domains[0].items[0].items[0]"


def problems(text):
    with pytest.raises(ModelFormatError) as refused:
        load_model(text)
    return refused.value.problems


def edit(old, new, text=VALID2):
    assert old in text, old
    return text.replace(old, new, 1)


def test_format_2_file_loads_with_sub_items_cells_and_model_settings():
    doc = load_model(VALID2)
    assert doc.format == 2 and doc.top_level == 3
    assert doc.standard == StandardReference("YD/T 3763.3-2021", "current")
    assert [layer.get("zh-hans") for layer in doc.layers] == ["能力域", "能力项", "能力子项"]
    assert doc.aggregation == AggregationRule("minimum_with_tolerance", 1)
    assert doc.rating_scale[0].value == "largely_met" and doc.rating_scale[0].progress
    (item,) = doc.domains[0].items
    assert not item.is_leaf and item.requirements == ()
    assert [leaf.code for leaf in doc.all_leaves()] == ["P.X.A", "P.X.B"]
    assert [i.code for i in doc.all_items()] == ["P.X", "P.X.A", "P.X.B"]
    leaf = item.items[0]
    assert [(r.code, r.level) for r in leaf.requirements] == [("P.X.A.L2.1", 2), ("P.X.A.L3.1", 3)]
    assert leaf.cells[0].description.en == "Nothing is managed." and leaf.cells[0].evidence == ()
    assert leaf.cells[1].evidence == (
        EvidenceNode("EV-A-L2-1", "document", LocalizedText("The rules", "规范文档")),
    )
    assert leaf.cells[2].includes_lower_evidence
    assert doc.warnings == ()


def test_a_missing_language_falls_back_to_the_other():
    doc = load_model(VALID2)
    leaf = doc.domains[0].items[0].items[0]
    assert leaf.name.get("en") == "子项甲" and leaf.name.get("zh-hans") == "子项甲"
    assert doc.level_name(2).get("zh-hans") == "Basic"


def test_format_2_file_round_trips():
    doc = load_model(VALID2)
    text = dump_model(doc)
    assert text.startswith("format: 2\n")
    assert load_model(text) == doc


def test_gap_in_levels_is_a_warning_not_a_refusal():
    text = edit(
        "              - level: 1\n              - level: 2\n", "              - level: 2\n"
    )
    text = text.replace(
        "            levels:\n              - level: 1\n                description",
        "            levels:\n              - level: 3\n                requirements:\n"
        "                  - {code: P.X.A.L3.0, text: {en: Top}}\n              - level: 9\n"
        "                description",
    )
    with pytest.raises(ModelFormatError):  # level 9 is above the declared 3
        load_model(text)
    gap = edit(
        "              - level: 1\n              - level: 2\n                requirements:\n"
        "                  - code: P.X.B.L2.1",
        "              - level: 2\n                requirements:\n"
        "                  - code: P.X.B.L2.1",
    )
    doc = load_model(gap)
    (warning,) = doc.warnings
    assert warning.path == "domains[0].items[0].items[1].levels"
    assert "no cell for level 1" in warning.message


def test_cell_level_above_the_declared_levels_is_refused():
    (problem,) = problems(edit("              - level: 3\n", "              - level: 4\n"))
    assert problem.path == f"{ITEM_A}.levels[2].level"
    assert "declares levels 1 to 3" in problem.message


def test_a_level_listed_twice_in_one_item_is_refused():
    (problem,) = problems(edit("              - level: 3\n", "              - level: 2\n"))
    assert "listed twice" in problem.message


def test_item_with_both_sub_items_and_cells_is_refused():
    text = edit(
        "        name: {en: Item X, zh: 能力项甲}\n",
        "        name: {en: Item X, zh: 能力项甲}\n        levels:\n          - level: 1\n",
    )
    (problem,) = problems(text)
    assert problem.path == "domains[0].items[0]" and "not both" in problem.message


def test_declared_levels_must_be_numbered_from_one():
    (problem,) = problems(edit("{level: 3, name: {zh: 全面级}}", "{level: 4, name: {zh: 全面级}}"))
    assert problem.path == "levels" and "missing: 3" in problem.message


def test_a_model_declares_two_to_ten_levels():
    levels = "".join(f"  - {{level: {n}, name: {{en: L{n}}}}}\n" for n in range(1, 12))
    text = re.sub(r"levels:\n(  - .*\n)+", "levels:\n" + levels, VALID2, count=1)
    assert any(p.path == "levels" for p in problems(text))


def test_tolerance_rule_needs_its_tolerance():
    (problem,) = problems(
        edit("rule: minimum_with_tolerance, tolerance: 1", "rule: minimum_with_tolerance")
    )
    assert problem.path == "aggregation.tolerance"


def test_unknown_aggregation_rule_is_refused():
    (problem,) = problems(edit("rule: minimum_with_tolerance, tolerance: 1", "rule: average"))
    assert problem.path == "aggregation.rule" and "minimum_with_tolerance" in problem.message


def test_a_text_needs_at_least_one_language():
    (problem,) = problems(edit("name: {zh: 子项甲}", "name: {}"))
    assert problem.path == f"{ITEM_A}.name" and "English (en) or a Chinese (zh)" in problem.message


def test_evidence_codes_share_the_model_namespace():
    (problem,) = problems(edit("code: EV-A-L2-1", "code: P.X.A.L2.1"))
    assert "already used" in problem.message


def test_evidence_kind_is_one_of_document_screenshot_demonstration():
    (problem,) = problems(edit("kind: document", "kind: video"))
    assert problem.path.endswith("evidence[0].kind")


def test_a_default_rating_value_cannot_be_redeclared():
    (problem,) = problems(edit("value: largely_met", "value: met"))
    assert problem.path == "rating_scale[0].value"


def test_format_1_file_does_not_accept_format_2_keys():
    from tests.test_model_format import VALID

    assert load_model(VALID).format == 1
    found = problems("layers:\n  - {en: Domain}\n" + VALID)
    assert any("unknown key 'layers'" in p.message for p in found)


def test_unknown_format_is_refused():
    found = problems(edit("format: 2", "format: 3"))
    assert any(p.path == "format" and "1 or 2" in p.message for p in found)


# --- Round trip of generated format-2 documents ---------------------------------------------------

codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t"),
    min_size=1,
    max_size=10,
).filter(lambda text: re.search(r"\S", text)) | st.sampled_from(["1.0", "true", "- x", "# c"])
one_or_both = st.one_of(
    st.builds(LocalizedText, en=texts, zh=texts),
    st.builds(LocalizedText, en=texts, zh=st.just("")),
    st.builds(LocalizedText, en=st.just(""), zh=texts),
)


@st.composite
def documents_2(draw):
    top = draw(st.integers(2, 10))
    pool = iter(draw(st.lists(codes, min_size=200, max_size=200, unique=True)))

    def leaf():
        levels = draw(st.lists(st.integers(1, top), min_size=1, max_size=top, unique=True))
        requirements, cells = [], []
        for level in levels:
            for _ in range(draw(st.integers(0, 2))):
                requirements.append(RequirementNode(next(pool), level, draw(one_or_both)))
            evidence = tuple(
                EvidenceNode(
                    next(pool),
                    draw(st.sampled_from(["document", "screenshot", "demonstration"])),
                    draw(one_or_both),
                )
                for _ in range(draw(st.integers(0, 2)))
            )
            cells.append(
                LevelCell(level, draw(st.none() | one_or_both), evidence, draw(st.booleans()))
            )
        return ItemNode(next(pool), draw(one_or_both), tuple(requirements), cells=tuple(cells))

    def item(depth):
        if depth == 0 or draw(st.booleans()):
            return leaf()
        children = tuple(item(depth - 1) for _ in range(draw(st.integers(1, 2))))
        return ItemNode(
            next(pool), draw(one_or_both), (), draw(st.none() | one_or_both), items=children
        )

    domains = tuple(
        DomainNode(next(pool), draw(one_or_both), items=tuple(item(2) for _ in range(2)))
        for _ in range(draw(st.integers(1, 2)))
    )
    rule = draw(st.sampled_from([AggregationRule(), AggregationRule("minimum_with_tolerance", 2)]))
    return ModelDocument(
        code="generated",
        version=draw(codes),
        name=draw(one_or_both),
        levels=tuple(LevelDefinition(n, draw(one_or_both)) for n in range(1, top + 1)),
        domains=domains,
        notice=draw(st.none() | one_or_both),
        format=2,
        layers=tuple(draw(st.lists(one_or_both, max_size=4))),
        standard=draw(
            st.none() | st.builds(StandardReference, st.just("YD/T 1-2021"), st.just("current"))
        ),
        rating_scale=tuple(
            RatingValueDefinition(
                f"custom_{n}", draw(one_or_both), draw(st.booleans()), draw(st.booleans())
            )
            for n in range(draw(st.integers(0, 2)))
        ),
        aggregation=rule,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_2())
def test_dump_then_load_gives_the_same_format_2_document(doc):
    assert load_model(dump_model(doc)) == doc
