"""The YAML model format: shipped models load, round trips are exact, and every kind of problem is
reported at the right path and line, all problems of a file at once.

Model authors fix files from these messages alone, so the tests pin path, line and wording.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.model_format import (
    DomainNode,
    ItemNode,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    ModelFormatError,
    Problem,
    RequirementNode,
    dump_model,
    json_schema,
    load_model,
    loader,
)

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"

VALID = """\
code: demo
version: '1.0'
name:
  en: Demo model
  zh: 演示模型
levels:
  - {level: 1, name: {en: Initial, zh: 初始级}}
  - {level: 2, name: {en: Basic, zh: 基础级}}
  - {level: 3, name: {en: Comprehensive, zh: 全面级}}
  - {level: 4, name: {en: Excellent, zh: 优秀级}}
  - {level: 5, name: {en: Outstanding, zh: 卓越级}}
domains:
  - code: P
    name: {en: Part, zh: 部分}
    domains:
      - code: P.A
        name: {en: Domain A, zh: 能力域甲}
        items:
          - code: P.A.X
            name: {en: Item X, zh: 能力项甲}
            requirements:
              - code: P.A.X.L1.1
                level: 1
                text: {en: First requirement, zh: 第一项要求}
              - code: P.A.X.L2.1
                level: 2
                text: {en: Second requirement, zh: 第二项要求}
              - code: P.A.X.L3.1
                level: 3
                text: {en: Third requirement, zh: 第三项要求}
          - code: P.A.Y
            name: {en: Item Y, zh: 能力项乙}
            requirements:
              - code: P.A.Y.L1.1
                level: 1
                text: {en: Only requirement, zh: 唯一要求}
"""
ITEM_X = "domains[0].domains[0].items[0]"
ITEM_Y = "domains[0].domains[0].items[1]"


def line_of(text, snippet, occurrence=1):
    """The 1-based line of the n-th line containing `snippet` (ending with it, if it ends "$")."""
    if snippet.endswith("$"):
        found = [n for n, line in enumerate(text.splitlines(), 1) if line.endswith(snippet[:-1])]
    else:
        found = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    return found[occurrence - 1]


def edit(old, new, text=VALID):
    assert old in text, old
    return text.replace(old, new, 1)


def problems(text):
    with pytest.raises(ModelFormatError) as refused:
        load_model(text)
    return refused.value.problems


def only_problem(text):
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# --- Valid files ----------------------------------------------------------------------------------


def test_valid_model_loads_into_a_tree_with_paths():
    doc = load_model(VALID)
    assert (doc.code, doc.version, doc.name) == (
        "demo",
        "1.0",
        LocalizedText("Demo model", "演示模型"),
    )
    assert [definition.level for definition in doc.levels] == [1, 2, 3, 4, 5]
    assert doc.level_name(3).get("zh-hans") == "全面级"
    part = doc.domains[0]
    assert [domain.code for domain in doc.all_domains()] == ["P", "P.A"]
    assert [item.code for item in part.all_items()] == ["P.A.X", "P.A.Y"]
    requirement = part.domains[0].items[0].requirements[2]
    assert (requirement.code, requirement.level) == ("P.A.X.L3.1", 3)
    assert requirement.path == f"{ITEM_X}.requirements[2]"
    assert doc.notice is None and part.domains[0].items[0].description is None


def test_bytes_with_a_byte_order_mark_load():
    assert load_model(b"\xef\xbb\xbf" + VALID.encode()) == load_model(VALID)


@pytest.mark.parametrize("name", ["devops-cd.yaml", "devops-security.yaml"])
def test_shipped_model_loads_cleanly_and_round_trips(name):
    doc = load_model((MODEL_DATA / name).read_bytes())
    assert load_model(dump_model(doc)) == doc
    assert doc.notice is not None
    assert [(d.level, d.name.en, d.name.zh) for d in doc.levels] == [
        (1, "Initial", "初始级"),
        (2, "Basic", "基础级"),
        (3, "Comprehensive", "全面级"),
        (4, "Excellent", "优秀级"),
        (5, "Outstanding", "卓越级"),
    ]
    for item in doc.all_items():
        per_level = Counter(requirement.level for requirement in item.requirements)
        assert sorted(per_level) == [1, 2, 3, 4, 5], item.code
        assert all(1 <= count <= 3 for count in per_level.values()), item.code
        for requirement in item.requirements:
            assert requirement.code.startswith(f"{item.code}.L{requirement.level}.")
            # a sentence cut short (an unquoted " #" starts a YAML comment) would lose its stop
            assert requirement.text.en.endswith(".") and requirement.text.zh.endswith("。")


def test_continuous_delivery_model_has_the_public_structure_of_part_3():
    doc = load_model((MODEL_DATA / "devops-cd.yaml").read_bytes())
    (part,) = doc.domains
    assert (part.code, part.name.zh) == ("CD", "持续交付")
    assert [
        (domain.name.en, [item.name.zh for item in domain.items]) for domain in part.domains
    ] == [
        ("Configuration management", ["版本控制", "变更管理"]),
        ("Build and continuous integration", ["构建实践", "持续集成"]),
        ("Test management", ["测试分层策略", "代码质量管理", "自动化测试"]),
        ("Deployment and release management", ["部署与发布模式", "持续部署流水线"]),
        ("Environment management", ["环境供给方式", "环境一致性"]),
        ("Data management", ["测试数据管理", "数据变更管理"]),
        ("Metrics and feedback", ["度量指标", "度量驱动改进"]),
    ]
    assert doc.version == "2026.1"


def test_security_demo_model_is_big_enough_to_demonstrate():
    doc = load_model((MODEL_DATA / "devops-security.yaml").read_bytes())
    (part,) = doc.domains
    assert part.name.zh == "安全及风险管理"
    assert len(part.domains) >= 3 and len(list(part.all_items())) >= 6
    assert "Assay" in doc.notice.en and "Assay" in doc.notice.zh


def test_dump_writes_chinese_as_is_and_keys_in_documented_order():
    text = dump_model(load_model(VALID))
    assert "能力项甲" in text and "\\u" not in text
    assert [line.split(":")[0] for line in text.splitlines()[:3]] == ["code", "version", "name"]
    assert "version: '1.0'" in text  # quoted, or it would load back as a number


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


# --- Round trip of generated documents ------------------------------------------------------------

codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)
model_codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}", fullmatch=True)
# Texts that YAML would misread if written plainly: numbers, booleans, nulls, indicators, newlines.
tricky = st.sampled_from(
    ["1.0", "2026.10", "true", "no", "null", "~", "- x", "a: b", "# c", "'q'", '"q"', "x\ny", " y "]
)
texts = (
    tricky
    | st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t"),
        min_size=1,
        max_size=12,
    )
).filter(lambda text: re.search(r"\S", text))
localized = st.builds(LocalizedText, en=texts, zh=texts)


@st.composite
def documents(draw):
    """Valid documents: unique codes, contiguous requirement levels, any texts."""
    # domain shape: (item shapes, child shapes); item shape: requirements per level 1..top
    shape = st.recursive(
        st.tuples(
            st.lists(st.lists(st.integers(1, 2), min_size=1, max_size=5), min_size=1, max_size=2),
            st.just([]),
        ),
        lambda children: st.tuples(st.just([]), st.lists(children, min_size=1, max_size=2)),
        max_leaves=3,
    )
    shapes = draw(st.lists(shape, min_size=1, max_size=2))

    def count(node):
        items, children = node
        return 1 + sum(1 + sum(item) for item in items) + sum(count(child) for child in children)

    total = sum(count(node) for node in shapes)
    pool = iter(draw(st.lists(codes, min_size=total, max_size=total, unique=True)))

    def domain(node):
        item_shapes, children = node
        code = next(pool)
        items = []
        for per_level in item_shapes:
            item_code = next(pool)
            requirements = tuple(
                RequirementNode(next(pool), level, draw(localized))
                for level, count_at_level in enumerate(per_level, 1)
                for _ in range(count_at_level)
            )
            description = draw(st.none() | localized)
            items.append(ItemNode(item_code, draw(localized), requirements, description))
        return DomainNode(code, draw(localized), tuple(domain(c) for c in children), tuple(items))

    return ModelDocument(
        code=draw(model_codes),
        version=draw(codes),
        name=draw(localized),
        levels=tuple(LevelDefinition(level, draw(localized)) for level in range(1, 6)),
        domains=tuple(domain(node) for node in shapes),
        description=draw(st.none() | localized),
        notice=draw(st.none() | localized),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_dump_then_load_gives_the_same_document(doc):
    assert load_model(dump_model(doc)) == doc


# --- Problems, one kind at a time -----------------------------------------------------------------


def test_yaml_syntax_error_is_reported_with_its_line():
    text = edit("name: {en: Item Y, zh: 能力项乙}", "name: {en: Item Y, zh: 能力项乙")
    problem = only_problem(text)
    assert problem.message.startswith("YAML syntax error")
    assert line_of(text, "name: {en: Item Y") <= problem.line <= line_of(text, "requirements:", 2)


def test_missing_key_is_reported_at_the_mapping_that_lacks_it():
    text = edit("            name: {en: Item Y, zh: 能力项乙}\n", "")
    problem = only_problem(text)
    assert problem == Problem(
        line_of(text, "- code: P.A.Y"), f"{ITEM_Y}.name", "the required key 'name' is missing"
    )


def test_wrong_type_is_reported_at_the_value():
    text = edit("level: 2\n", "level: two\n")
    problem = only_problem(text)
    assert problem.path == f"{ITEM_X}.requirements[1].level"
    assert problem.line == line_of(text, "level: two")
    assert problem.message == "must be a whole number, not text"


def test_unknown_key_names_the_allowed_keys():
    text = edit("          - code: P.A.Y\n", "          - code: P.A.Y\n            colour: red\n")
    problem = only_problem(text)
    assert (problem.path, problem.line) == (f"{ITEM_Y}.colour", line_of(text, "colour: red"))
    assert problem.message == (
        "unknown key 'colour'; allowed here: code, name, description, requirements"
    )


@pytest.mark.parametrize(
    ("old", "new", "path", "first"),
    [
        ("- code: P.A\n", "- code: P\n", "domains[0].domains[0].code", "domains[0]"),
        ("- code: P.A.Y\n", "- code: P.A.X\n", f"{ITEM_Y}.code", ITEM_X),
        (
            "- code: P.A.X.L2.1\n",
            "- code: P.A.X.L1.1\n",
            f"{ITEM_X}.requirements[1].code",
            f"{ITEM_X}.requirements[0]",
        ),
    ],
    ids=["domain", "item", "requirement"],
)
def test_duplicate_code_is_reported_with_its_first_use(old, new, path, first):
    text = edit(old, new)
    problem = only_problem(text)
    assert problem.path == path
    assert problem.line == line_of(text, f"{new.strip()}$", 2)
    assert f"already used by {first} (line {line_of(text, f'{new.strip()}$')})" in problem.message


def test_level_out_of_range():
    text = edit("level: 3\n", "level: 6\n")
    problem = only_problem(text)
    assert problem == Problem(
        line_of(text, "level: 6"), f"{ITEM_X}.requirements[2].level", "levels are 1 to 5, not 6"
    )


def test_fractional_level_is_refused():
    text = edit("level: 3\n", "level: 3.0\n")
    assert only_problem(text).message == "must be a whole number, not a decimal number"


def test_missing_chinese_name():
    text = edit("name: {en: Item Y, zh: 能力项乙}", "name: {en: Item Y}")
    problem = only_problem(text)
    assert (problem.path, problem.line) == (f"{ITEM_Y}.name.zh", line_of(text, "Item Y"))
    assert problem.message == "the Chinese (zh) text is missing"


@pytest.mark.parametrize("empty", ["''", "'   '"])
def test_empty_english_text_counts_as_missing(empty):
    text = edit("en: Only requirement", f"en: {empty}")
    problem = only_problem(text)
    assert problem.path == f"{ITEM_Y}.requirements[0].text.en"
    assert problem.message.startswith("the English (en) text is empty")


def test_requirements_that_skip_a_level():
    text = edit(
        "              - code: P.A.X.L2.1\n"
        "                level: 2\n"
        "                text: {en: Second requirement, zh: 第二项要求}\n",
        "",
    )
    problem = only_problem(text)
    assert (problem.path, problem.line) == (
        f"{ITEM_X}.requirements",
        line_of(text, "requirements:"),
    )
    assert problem.message.startswith("the requirements skip level 2 (found levels 1, 3)")


@pytest.mark.parametrize(
    ("old", "new", "detail"),
    [
        ("{level: 4,", "{level: 3,", "; missing: 4; listed more than once: 3"),
        ("  - {level: 5, name: {en: Outstanding, zh: 卓越级}}\n", "", "; missing: 5"),
    ],
    ids=["repeated", "missing"],
)
def test_levels_must_be_exactly_one_to_five(old, new, detail):
    text = edit(old, new)
    problem = only_problem(text)
    assert (problem.path, problem.line) == ("levels", line_of(text, "levels:"))
    assert problem.message == f"levels must name each of the levels 1 to 5 exactly once{detail}"


def test_unquoted_version_is_a_number_and_the_message_says_to_quote_it():
    problem = only_problem(edit("version: '1.0'", "version: 2026.10"))
    assert problem.path == "version"
    assert problem.message == (
        "must be text, not a decimal number; put it in quotes ('2026.10') so that YAML reads it "
        "as text"
    )


def test_domain_without_items_or_sub_domains():
    text = edit("  - code: P\n", "  - code: Q\n    name: {en: Q, zh: 问}\n  - code: P\n")
    problem = only_problem(text)
    assert (problem.path, problem.line) == ("domains[0]", line_of(text, "- code: Q"))
    assert "needs sub-domains" in problem.message


def test_duplicate_key_is_reported_not_silently_overwritten():
    text = edit("code: demo\n", "code: demo\ncode: other\n")
    problem = only_problem(text)
    assert (problem.path, problem.line) == ("code", 2)
    assert (
        problem.message
        == "the key 'code' appears twice in this mapping (first on line 1); keep one"
    )


def test_several_problems_are_reported_at_once_in_line_order():
    text = VALID
    text = edit("version: '1.0'", "version: 1.0", text)
    text = edit("{level: 4,", "{level: 3,", text)
    text = edit("- code: P.A.Y\n", "- code: P.A.X\n", text)
    text = edit("text: {en: Only requirement, zh: 唯一要求}", "text: {en: Only requirement}", text)
    found = problems(text)
    assert [problem.path for problem in found] == [
        "version",
        "levels",
        f"{ITEM_Y}.code",
        f"{ITEM_Y}.requirements[0].text.zh",
    ]
    assert [problem.line for problem in found] == sorted(problem.line for problem in found)
    assert str(ModelFormatError(found)).startswith("the model file has 4 problems:\n  line 2, ")


# --- Hostile input --------------------------------------------------------------------------------


def test_anchors_and_aliases_are_refused():
    text = edit("name:\n  en: Demo model", "name: &n\n  en: Demo model")
    text = edit("    name: {en: Part, zh: 部分}", "    name: *n", text)
    assert problems(text) == [
        Problem(3, "", "YAML anchors (&n) are not allowed"),
        Problem(line_of(text, "*n"), "", "YAML aliases (*n) are not allowed; write the value out"),
    ]


def test_billion_laughs_is_refused_without_expanding():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    found = problems("\n".join(lines))
    assert found[0].message == "YAML anchors (&a0) are not allowed"


def test_deep_nesting_is_refused():
    assert (
        only_problem("[" * 200 + "]" * 200).message == "lists and mappings nest more than 64 deep"
    )


def test_oversized_file_is_refused_before_parsing():
    problem = only_problem("# padding\n" * (loader.MAX_MODEL_BYTES // 10 + 1))
    assert problem.message.startswith("the file is 2,097,160 bytes; model files may be at most")


def test_python_object_tags_are_refused():
    text = edit("code: demo", "code: !!python/object/apply:os.system [echo hi]")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (1, "code")
    assert "is not allowed in a model file" in problem.message


@pytest.mark.parametrize(
    ("source", "line", "start"),
    [
        ("", 1, "the file is empty"),
        ("- code: demo\n", 1, "the file must hold a mapping"),
        (b"code: demo\nversion: \xff\n", 2, "the file is not UTF-8 text"),
        ("code: demo\n---\ncode: again\n", 2, "YAML syntax error: a model file holds one"),
    ],
    ids=["empty", "list", "not-utf8", "two-documents"],
)
def test_unreadable_files(source, line, start):
    problem = only_problem(source)
    assert problem.line == line and problem.message.startswith(start)


@pytest.mark.parametrize(
    ("old", "new", "path", "allowed"),
    [
        ("code: demo\n", "code: demo.v1\n", "code", "'_' and '-'"),
        ("- code: P.A\n", "- code: P A\n", "domains[0].domains[0].code", "'.', '_' and '-'"),
    ],
    ids=["model", "domain"],
)
def test_codes_with_other_characters_are_refused(old, new, path, allowed):
    problem = only_problem(edit(old, new))
    assert problem.path == path
    assert f"use letters, digits, {allowed}, starting with a letter or digit" in problem.message
