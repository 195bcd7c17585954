"""The scoring laws, as properties over generated models and ratings, plus worked examples.

Certificates state the level `score` computes, so the laws an assessment body relies on are
checked over thousands of generated cases rather than a handful of examples: better ratings never
lower a level, not applicable never lowers a level, partially met never counts as met, and a domain
or the whole never reaches above its weakest in-scope item.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.model_format import load_model
from assessments.scoring import (
    Blocker,
    Rating,
    blocking_requirements,
    domain_level,
    item_gap,
    item_level,
    level_display,
    overall_level,
    parse_level,
    score,
)

FAST = settings(max_examples=200, deadline=None)
# Whole engagements cost ~100 draws each; 100 of them still cover nesting, scope and every rating.
TREES = settings(max_examples=100, deadline=None)
MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"

# The order in which a rating gets better for its requirement. Not applicable scores like met.
BETTER = {None: 0, Rating.NOT_MET: 0, Rating.PARTIALLY_MET: 1, Rating.MET: 2}
BETTER[Rating.NOT_APPLICABLE] = 2
ALL_RATINGS = [None, *Rating]


# --- A small model tree, built only from what scoring reads ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Req:
    code: str
    level: int


@dataclasses.dataclass(frozen=True)
class Item:
    code: str
    requirements: tuple[Req, ...]


@dataclasses.dataclass(frozen=True)
class Dom:
    code: str
    domains: tuple[Dom, ...] = ()
    items: tuple[Item, ...] = ()


@dataclasses.dataclass(frozen=True)
class Tree:
    domains: tuple[Dom, ...]


def specs(item):
    return [(requirement.code, requirement.level) for requirement in item.requirements]


def all_items(domain):
    yield from domain.items
    for child in domain.domains:
        yield from all_items(child)


def all_domains(domains):
    for domain in domains:
        yield domain
        yield from all_domains(domain.domains)


requirement_levels = st.lists(st.integers(1, 5), max_size=6)
item_shapes = st.lists(st.lists(st.integers(1, 5), max_size=4), max_size=2)
domain_shapes = st.recursive(
    st.tuples(item_shapes, st.just([])),
    lambda children: st.tuples(item_shapes, st.lists(children, max_size=2)),
    max_leaves=4,
)


def build_tree(shapes):
    """Give every generated domain, item and requirement a unique code."""
    counter = iter(range(10**6))

    def domain(shape):
        item_shapes, children = shape
        items = tuple(
            Item(f"I{next(counter)}", tuple(Req(f"R{next(counter)}", level) for level in levels))
            for levels in item_shapes
        )
        return Dom(f"D{next(counter)}", tuple(domain(child) for child in children), items)

    return Tree(tuple(domain(shape) for shape in shapes))


@st.composite
def engagements(draw):
    """A model tree, a scope over it (or None) and ratings for some of its requirements."""
    tree = build_tree(draw(st.lists(domain_shapes, min_size=1, max_size=2)))
    domains = list(all_domains(tree.domains))
    items = [item for domain in domains for item in domain.items]
    codes = [domain.code for domain in domains] + [item.code for item in items]
    scope = draw(st.none() | st.sets(st.sampled_from(codes)))
    requirements = [requirement.code for item in items for requirement in item.requirements]
    drawn = draw(st.lists(st.sampled_from(ALL_RATINGS), min_size=len(requirements)))
    ratings = {
        code: rating
        for code, rating in zip(requirements, drawn, strict=False)
        if rating is not None
    }
    return tree, scope, ratings


def requirement_codes(tree):
    return [r.code for d in all_domains(tree.domains) for i in d.items for r in i.requirements]


def assert_no_level_lower(before, after):
    for code, item in before.items.items():
        assert after.items[code].level >= item.level
    for code, domain in before.domains.items():
        if domain.level is not None:
            assert after.domains[code].level >= domain.level
    if before.overall is not None:
        assert after.overall >= before.overall


# --- Laws -----------------------------------------------------------------------------------------


@TREES
@given(engagements(), st.data())
def test_improving_a_rating_never_lowers_any_level(engagement, data):
    tree, scope, ratings = engagement
    codes = requirement_codes(tree)
    if not codes:
        return
    code = data.draw(st.sampled_from(codes))
    current = ratings.get(code)
    better = data.draw(st.sampled_from([r for r in Rating if BETTER[r] >= BETTER[current]]))
    assert_no_level_lower(
        score(tree, scope, ratings), score(tree, scope, {**ratings, code: better})
    )


@TREES
@given(engagements(), st.data())
def test_not_applicable_never_lowers_any_level(engagement, data):
    tree, scope, ratings = engagement
    codes = requirement_codes(tree)
    if not codes:
        return
    code = data.draw(st.sampled_from(codes))
    changed = {**ratings, code: Rating.NOT_APPLICABLE}
    assert_no_level_lower(score(tree, scope, ratings), score(tree, scope, changed))


@FAST
@given(requirement_levels, st.data())
def test_partially_met_never_counts_as_met(levels, data):
    requirements = [(f"R{index}", level) for index, level in enumerate(levels)]
    if not requirements:
        return
    ratings = {code: data.draw(st.sampled_from(ALL_RATINGS)) for code, _ in requirements}
    code, level = data.draw(st.sampled_from(requirements))
    ratings[code] = Rating.PARTIALLY_MET
    assert item_level(requirements, ratings) < level


@TREES
@given(engagements())
def test_no_domain_and_no_overall_level_is_above_its_lowest_item(engagement):
    tree, scope, ratings = engagement
    result = score(tree, scope, ratings)
    for domain in all_domains(tree.domains):
        beneath = [result.items[i.code].level for i in all_items(domain) if i.code in result.items]
        assert result.domains[domain.code].level == (min(beneath) if beneath else None)
    item_levels = [item.level for item in result.items.values()]
    assert result.overall == (min(item_levels) if item_levels else None)


@FAST
@given(requirement_levels, st.data())
def test_item_level_is_the_highest_level_with_everything_up_to_it_met(levels, data):
    requirements = [(f"R{index}", level) for index, level in enumerate(levels)]
    ratings = {code: data.draw(st.sampled_from(ALL_RATINGS)) for code, _ in requirements}

    def reached(level):
        return all(
            ratings[code] in (Rating.MET, Rating.NOT_APPLICABLE)
            for code, requirement_level in requirements
            if requirement_level <= level
        )

    expected = max(level for level in range(6) if reached(level))
    assert item_level(requirements, ratings) == expected


@FAST
@given(requirement_levels, st.data())
def test_gap_lists_exactly_the_unmet_requirements_of_the_next_level(levels, data):
    requirements = [(f"R{index}", level) for index, level in enumerate(levels)]
    ratings = {code: data.draw(st.sampled_from(ALL_RATINGS)) for code, _ in requirements}
    level = item_level(requirements, ratings)
    gap = item_gap(requirements, ratings)
    if level == 5:
        assert gap.next_level is None and gap.blocking == ()
        return
    assert gap.next_level == level + 1
    unmet = {
        code
        for code, requirement_level in requirements
        if requirement_level == level + 1
        and ratings[code] not in (Rating.MET, Rating.NOT_APPLICABLE)
    }
    assert {blocker.requirement_code for blocker in gap.blocking} == unmet
    assert unmet  # something must block, or the item would be one level higher


@TREES
@given(engagements())
def test_out_of_scope_items_are_not_scored(engagement):
    tree, scope, ratings = engagement
    result = score(tree, scope, ratings)
    if scope is None:
        expected = {item.code for domain in tree.domains for item in all_items(domain)}
    else:
        expected = set()
        for domain in all_domains(tree.domains):
            if domain.code in scope:
                expected |= {item.code for item in all_items(domain)}
            expected |= {item.code for item in domain.items if item.code in scope}
    assert set(result.items) == expected


# --- Examples -------------------------------------------------------------------------------------

REQUIREMENTS = [("A1", 1), ("A2", 2), ("A3", 3), ("B3", 3), ("A4", 4), ("A5", 5)]


def test_item_reaches_the_level_below_its_first_unmet_requirement():
    ratings = {"A1": "met", "A2": "met", "A3": "met", "B3": "partially_met", "A4": "met"}
    assert item_level(REQUIREMENTS, ratings) == 2


def test_unrated_requirement_is_not_met():
    assert item_level(REQUIREMENTS, {}) == 0
    assert item_level(REQUIREMENTS, {"A1": Rating.MET}) == 1


def test_not_applicable_counts_as_met():
    ratings = dict.fromkeys(["A1", "A2", "A3", "A4", "A5"], Rating.MET)
    assert item_level(REQUIREMENTS, {**ratings, "B3": Rating.NOT_APPLICABLE}) == 5


def test_levels_without_requirements_are_satisfied_vacuously():
    assert item_level([], {}) == 5
    assert item_level([("A1", 1), ("A2", 2)], {"A1": "met", "A2": "met"}) == 5
    # ...but never skip a blocked lower level
    assert item_level([("A1", 1), ("A3", 3)], {"A3": "met"}) == 0


def test_unknown_rating_and_out_of_range_level_raise():
    with pytest.raises(ValueError, match="mostly"):
        item_level([("A1", 1)], {"A1": "mostly"})
    with pytest.raises(ValueError, match="levels are 1 to 5"):
        item_level([("A1", 6)], {})


def test_blocking_requirements_for_a_target_level_lists_everything_missing():
    ratings = {"A1": "met", "A2": "not_met", "B3": "partially_met"}
    assert blocking_requirements(REQUIREMENTS, ratings, 3) == (
        Blocker("A2", 2, Rating.NOT_MET),
        Blocker("A3", 3, None),
        Blocker("B3", 3, Rating.PARTIALLY_MET),
    )


def test_empty_domains_have_no_level_and_do_not_count_overall():
    assert domain_level([]) is None
    assert domain_level([3, None, 2]) == 2
    assert overall_level([None, 4, 3]) == 3
    assert overall_level([None]) is None


NESTED = Tree(
    (
        Dom(
            "P",
            domains=(
                Dom("P.A", items=(Item("X", (Req("X1", 1), Req("X2", 2))),)),
                Dom(
                    "P.B",
                    items=(Item("Y", (Req("Y1", 1),)),),
                    domains=(Dom("P.B.1", items=(Item("Z", (Req("Z1", 1), Req("Z2", 2))),)),),
                ),
            ),
        ),
    )
)


def test_a_domain_is_as_low_as_the_lowest_item_anywhere_beneath_it():
    result = score(NESTED, None, {"X1": "met", "X2": "met", "Y1": "met", "Z1": "met"})
    assert result.items["Y"].level == 5 and result.items["Z"].level == 1
    assert result.domains["P.B.1"].level == 1
    assert result.domains["P.B"].level == 1
    assert result.domains["P.B"].limiting_items == ("Z",)
    assert result.domains["P"].level == 1
    assert result.overall == 1
    assert result.items["Z"].gap.blocking == (Blocker("Z2", 2, None),)


def test_scope_by_domain_or_item_leaves_the_rest_unscored():
    result = score(NESTED, {"P.A", "Y"}, {"X1": "met", "X2": "met", "Y1": "met"})
    assert set(result.items) == {"X", "Y"}
    assert result.domains["P.B.1"].level is None
    assert result.domains["P.B"].item_codes == ("Y",)
    assert result.overall == 5


def test_scope_naming_unknown_code_raises():
    with pytest.raises(ValueError, match="NOPE"):
        score(NESTED, {"P.A", "NOPE"}, {})


def test_empty_scope_has_no_overall_level():
    result = score(NESTED, set(), {})
    assert result.items == {} and result.overall is None


def test_shipped_continuous_delivery_model_scores_against_its_ratings():
    model = load_model((MODEL_DATA / "devops-cd.yaml").read_bytes())
    ratings = {requirement.code: Rating.MET for requirement in model.all_requirements()}
    assert score(model, None, ratings).overall == 5

    ratings["CD.TM.TA.L3.2"] = Rating.PARTIALLY_MET
    result = score(model, {"CD.TM", "CD.CM.VC"}, ratings)
    assert result.overall == 2
    assert result.domains["CD.TM"].limiting_items == ("CD.TM.TA",)
    assert result.items["CD.TM.TA"].gap.blocking == (
        Blocker("CD.TM.TA.L3.2", 3, Rating.PARTIALLY_MET),
    )
    assert result.domains["CD.BI"].level is None


# --- Format 2: sub-items, declared levels, gaps, tolerance, custom scales, "N-" -------------------

from assessments.scoring import (  # noqa: E402
    Aggregation,
    RatingScale,
    ScaleValue,
    aggregate,
    item_partial,
)


@dataclasses.dataclass(frozen=True)
class Node:
    """An item that may have sub-items (format 2); leaves carry the requirements."""

    code: str
    requirements: tuple[Req, ...] = ()
    items: tuple[Node, ...] = ()


@dataclasses.dataclass(frozen=True)
class Tree2:
    domains: tuple[Dom, ...]
    top_level: int = 5
    aggregation: Aggregation = Aggregation()
    rating_scale: tuple[ScaleValue, ...] = ()


CUSTOM = (
    ScaleValue("largely_met", counts_as_met=False, progress=True),
    ScaleValue("accepted", counts_as_met=True, progress=True),
)


@st.composite
def engagements_2(draw):
    """A format-2 tree: N levels, sub-items of any depth, leaves with gaps in their levels."""
    top = draw(st.integers(2, 10))
    counter = iter(range(10**6))
    leaves = []

    def item(depth):
        if depth == 0 or draw(st.booleans()):
            levels = draw(st.lists(st.integers(1, top), max_size=4))  # any subset: gaps allowed
            node = Node(f"I{next(counter)}", tuple(Req(f"R{next(counter)}", lv) for lv in levels))
            leaves.append(node)
            return node
        return Node(
            f"I{next(counter)}",
            items=tuple(item(depth - 1) for _ in range(draw(st.integers(1, 3)))),
        )

    domains = tuple(
        Dom(f"D{next(counter)}", items=tuple(item(3) for _ in range(draw(st.integers(1, 3)))))
        for _ in range(draw(st.integers(1, 2)))
    )
    tolerance = draw(st.integers(0, 3))
    rule = Aggregation("minimum_with_tolerance", tolerance) if tolerance else Aggregation()
    tree = Tree2(domains, top, rule, CUSTOM)
    codes = [r.code for leaf in leaves for r in leaf.requirements]
    values = [None, *Rating, "largely_met", "accepted"]
    ratings = {c: v for c in codes if (v := draw(st.sampled_from(values))) is not None}
    parents = [c for c in _item_codes(domains) if not c.startswith("R")]
    scope = draw(st.none() | st.sets(st.sampled_from(parents + [d.code for d in domains])))
    return tree, scope, ratings, leaves


def _item_codes(domains):
    def walk(node):
        yield node.code
        for child in node.items:
            yield from walk(child)

    for domain in domains:
        for node in domain.items:
            yield from walk(node)


def _leaves_beneath(node):
    if not node.items:
        return [node]
    return [leaf for child in node.items for leaf in _leaves_beneath(child)]


def _parents(domains):
    def walk(node):
        if node.items:
            yield node
            for child in node.items:
                yield from walk(child)

    for domain in domains:
        for node in domain.items:
            yield from walk(node)


BETTER_2 = {**BETTER, "largely_met": 1, "accepted": 2}


@TREES
@given(engagements_2(), st.data())
def test_format_2_improving_a_rating_never_lowers_any_level(engagement, data):
    tree, scope, ratings, leaves = engagement
    codes = [r.code for leaf in leaves for r in leaf.requirements]
    if not codes:
        return
    code = data.draw(st.sampled_from(codes))
    current = ratings.get(code)
    better = data.draw(
        st.sampled_from([r for r in BETTER_2 if r and BETTER_2[r] >= BETTER_2[current]])
    )
    before = score(tree, scope, ratings)
    after = score(tree, scope, {**ratings, code: better})
    assert_no_level_lower(before, after)
    for code_, parent in before.parents.items():
        if parent.level is not None:
            assert after.parents[code_].level >= parent.level


@TREES
@given(engagements_2())
def test_format_2_leaves_are_rated_and_parents_aggregate_the_leaves_beneath(engagement):
    tree, scope, ratings, _leaves = engagement
    result = score(tree, scope, ratings)
    assert all(not getattr(n, "items", ()) for n in _all_nodes(tree) if n.code in result.items)
    for parent in _parents(tree.domains):
        beneath = [
            result.items[leaf.code].level
            for leaf in _leaves_beneath(parent)
            if leaf.code in result.items
        ]
        assert result.parents[parent.code].level == aggregate(beneath, tree.aggregation)
    assert result.overall == aggregate([i.level for i in result.items.values()], tree.aggregation)


def _all_nodes(tree):
    for domain in tree.domains:
        for node in domain.items:
            yield from _walk(node)


def _walk(node):
    yield node
    for child in node.items:
        yield from _walk(child)


@TREES
@given(engagements_2())
def test_format_2_levels_stay_within_the_declared_levels(engagement):
    tree, scope, ratings, _leaves = engagement
    result = score(tree, scope, ratings)
    for item in result.items.values():
        assert 0 <= item.level <= tree.top_level
    assert result.overall is None or 0 <= result.overall <= tree.top_level


@FAST
@given(st.integers(2, 10), st.data())
def test_levels_missing_from_a_leaf_are_satisfied_vacuously(top, data):
    levels = data.draw(st.lists(st.integers(1, top), unique=True, max_size=top))
    requirements = [(f"R{lv}", lv) for lv in levels]
    ratings = {code: Rating.MET for code, _ in requirements}
    blocked = data.draw(st.sampled_from(levels)) if levels else None
    if blocked is not None:
        ratings[f"R{blocked}"] = Rating.NOT_MET
    expected = top if blocked is None else blocked - 1
    assert item_level(requirements, ratings, top=top) == expected


@FAST
@given(st.lists(st.integers(0, 10), min_size=1, max_size=12), st.integers(0, 5))
def test_tolerance_lifts_at_most_one_level_and_never_above_the_highest_leaf(levels, k):
    lowest = min(levels)
    result = aggregate(levels, Aggregation("minimum_with_tolerance", k))
    assert result in (lowest, lowest + 1) and result <= max(levels)
    below = [lv for lv in levels if lv < result]
    assert len(below) <= k and all(lv >= result - 1 for lv in below)
    assert aggregate(levels, Aggregation("minimum_with_tolerance", k + 1)) >= result


@FAST
@given(st.lists(st.integers(0, 10), min_size=1, max_size=12))
def test_tolerance_zero_is_the_minimum(levels):
    assert aggregate(levels, Aggregation("minimum_with_tolerance", 0)) == min(levels)
    assert aggregate(levels, Aggregation()) == min(levels)


@TREES
@given(engagements_2())
def test_n_minus_is_never_shown_at_the_top_and_always_names_the_next_level(engagement):
    tree, scope, ratings, _leaves = engagement
    result = score(tree, scope, ratings)
    for node in [*result.items.values(), *result.domains.values(), *result.parents.values()]:
        if node.partial:
            assert node.level < tree.top_level and node.display == f"{node.level + 1}-"
        elif node.level is not None:
            assert node.display == str(node.level)


@FAST
@given(st.integers(2, 10), st.data())
def test_a_leaf_shows_n_minus_exactly_when_part_of_its_next_level_shows_progress(top, data):
    levels = data.draw(st.lists(st.integers(1, top), min_size=1, max_size=6))
    requirements = [(f"R{i}", lv) for i, lv in enumerate(levels)]
    values = [None, *Rating, "largely_met", "accepted"]
    ratings = {code: v for code, _ in requirements if (v := data.draw(st.sampled_from(values)))}
    scale = RatingScale(CUSTOM)
    level = item_level(requirements, ratings, top=top, scale=scale)
    progress = any(
        lv == level + 1 and ratings.get(code) in ("met", "partially_met", "largely_met", "accepted")
        for code, lv in requirements
    )
    assert item_partial(requirements, ratings, top=top, scale=scale) == (level < top and progress)


def test_worked_example_of_sub_items_tolerance_and_n_minus():
    a = Node("A", (Req("A2", 2), Req("A3", 3)))
    b = Node("B", (Req("B2", 2), Req("B3", 3)))
    c = Node("C", (Req("C2", 2),))
    tree = Tree2(
        (Dom("D", items=(Node("P", items=(a, b)), c)),),
        top_level=3,
        aggregation=Aggregation("minimum_with_tolerance", 1),
    )
    ratings = {"A2": "met", "A3": "partially_met", "B2": "met", "B3": "met", "C2": "met"}
    result = score(tree, None, ratings)
    assert result.items["A"].display == "3-" and result.items["B"].level == 3
    assert result.parents["P"].level == 3  # one leaf may be one level lower
    assert result.overall == 3 and result.items["C"].level == 3  # C has nothing at level 3
    strict = score(dataclasses.replace(tree, aggregation=Aggregation()), None, ratings)
    assert strict.parents["P"].level == 2 and strict.parents["P"].display == "3-"
    assert score(tree, {"P"}, ratings).items.keys() == {"A", "B"}
    assert level_display(None) == ""


def test_an_unknown_custom_rating_raises():
    tree = Tree2((Dom("D", items=(Node("A", (Req("A1", 1),)),)),))
    with pytest.raises(ValueError):
        score(tree, None, {"A1": "largely_met"})  # not declared by this model


@given(top=st.integers(2, 10), data=st.data())
def test_parse_level_reads_back_what_level_display_writes(top, data):
    level = data.draw(st.integers(0, top))
    partial = data.draw(st.booleans()) and 1 <= level < top
    assert parse_level(level_display(level, partial), top) == (level, partial)


def test_parse_level_refuses_what_is_not_a_level_of_the_model():
    for text in ("1-", "6", "6-", "0-", "-", "", "x", "３", "2.5"):
        assert parse_level(text, 5) is None, text
