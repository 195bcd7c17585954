"""Scoring: which maturity level an item, a domain and an engagement reach.

Pure functions over plain data, with no Django or database imports, so that the rules that decide a
certificate can be read in one page, tested exhaustively with property tests, and reused by the web
pages, the API, the report and the certificate without any of them re-implementing a rule.

The rules (DESIGN.md, "Scoring"):

* An item reaches level L when every requirement of level <= L is met; ``not_applicable`` counts
  as met; ``partially_met`` never does; a requirement without a rating (not yet rated) is not met.
* A level at which an item sets no requirement is satisfied vacuously: it neither blocks the item
  nor lets it skip a blocked lower level. An item whose requirements stop at level 3 therefore
  reaches 5 once levels 1 to 3 are met -- the model says nothing more is asked of it, and a domain
  must not be held down by an item for which the higher levels define nothing. (The model loader
  refuses items whose requirements skip a level, so "vacuous" only ever happens above the top.)
* A domain's level is the lowest level of the in-scope items anywhere beneath it (its own items
  and those of its sub-domains at any depth). A domain with no in-scope item has no level
  (``None``) and is left out of the levels above it, rather than counting as 0 (which would sink
  the engagement) or 5 (which would certify what was never assessed).
* The overall level is the lowest level of the top-level domains that have one, which is the same
  as the lowest level of all in-scope items. With nothing in scope it is ``None``.

Format 2 of the model file (docs/model-format.md) adds, all as model data:

* Sub-items: an item may hold items; ratings happen at the leaves, and an item with sub-items
  aggregates the leaves beneath it like a domain does. Scope by any ancestor's code.
* Declared levels 1..N (N from 2 to 10): `top` replaces 5. Gaps in a leaf's levels are allowed and
  satisfied vacuously, as above.
* A declared rating scale: the four default values plus the model's own, each saying whether it
  counts as met and whether it shows progress ("N-").
* The aggregation rule: ``minimum`` (the default, the rules above) or ``minimum_with_tolerance``
  with k: a node reaches the lowest leaf level plus one when at most k leaves beneath it are at
  that lowest level and at least one leaf is higher. A node never exceeds its highest leaf, and no
  leaf is ever more than one level below its node. Every node aggregates the in-scope leaves
  beneath it directly (not the levels of its children), and so does the overall level.
* "N-": a leaf at level N-1 shows "N-" when some requirement of level N has a rating that shows
  progress (met, partially met, or a custom value saying so); a node at level N-1 shows "N-" when
  some leaf beneath it is higher or shows "N-" itself. At the top level there is no "N-".

Levels are integers 0..top, where 0 means "level 1 not reached".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from typing import NamedTuple, Protocol

MIN_LEVEL = 1
MAX_LEVEL = 5  # the top level of format-1 models, and the default
LEVEL_LIMIT = 10  # a format-2 model declares 2 to 10 levels
LEVELS = tuple(range(MIN_LEVEL, MAX_LEVEL + 1))


class Rating(StrEnum):
    """An assessor's verdict on one level requirement; the values are what the database stores."""

    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def counts_as_met(self) -> bool:
        """Whether this rating satisfies its requirement for scoring."""
        return self in (Rating.MET, Rating.NOT_APPLICABLE)


# How good a rating is for the requirement, as used by the monotonicity law: moving a rating up this
# order never lowers a level. Not applicable sits with met because it scores exactly like met.
RATING_RANK: Mapping[Rating | None, int] = {
    None: 0,
    Rating.NOT_MET: 0,
    Rating.PARTIALLY_MET: 1,
    Rating.MET: 2,
    Rating.NOT_APPLICABLE: 2,
}


@dataclass(frozen=True)
class ScaleValue:
    """One value of a rating scale: whether it satisfies its requirement, and whether it shows
    progress towards a level for the "N-" display."""

    value: str
    counts_as_met: bool
    progress: bool


DEFAULT_SCALE_VALUES = (
    ScaleValue(Rating.MET.value, counts_as_met=True, progress=True),
    ScaleValue(Rating.PARTIALLY_MET.value, counts_as_met=False, progress=True),
    ScaleValue(Rating.NOT_MET.value, counts_as_met=False, progress=False),
    ScaleValue(Rating.NOT_APPLICABLE.value, counts_as_met=True, progress=False),
)


class RatingScale:
    """The default values plus a model's own (anything with value, counts_as_met, progress)."""

    def __init__(self, extra: Iterable[ScaleValue] = ()):
        self.values: dict[str, ScaleValue] = {v.value: v for v in DEFAULT_SCALE_VALUES}
        for value in extra:
            self.values[value.value] = ScaleValue(
                value.value, bool(value.counts_as_met), bool(value.progress)
            )

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def counts_as_met(self, value: str) -> bool:
        return self.values[value].counts_as_met

    def shows_progress(self, value: str) -> bool:
        return self.values[value].progress


DEFAULT_SCALE = RatingScale()


@dataclass(frozen=True)
class Aggregation:
    """How the leaf levels beneath a node add up (see the module docstring)."""

    rule: str = "minimum"  # or "minimum_with_tolerance"
    tolerance: int = 0


MINIMUM = Aggregation()

Ratings = Mapping[str, "Rating | str | None"]
"""Requirement code -> rating. A code that is absent (or maps to None) is not yet rated."""

RequirementSpec = tuple[str, int]
"""(requirement code, level) -- all that scoring needs to know about a requirement."""


def rating_of(
    ratings: Ratings, requirement_code: str, scale: RatingScale | None = None
) -> Rating | str | None:
    """The rating recorded for a requirement, or None when it is not yet rated.

    Accepts the stored string values as well as Rating members, so that rows read from the database
    can be passed in as they are; an unknown value raises ValueError instead of scoring silently.
    A value the model's scale adds comes back as the plain string.
    """
    value = ratings.get(requirement_code)
    if value is None:
        return None
    if scale is not None and value in scale and value not in Rating.__members__.values():
        return str(value)
    return Rating(value)


def is_satisfied(rating: Rating | str | None, scale: RatingScale | None = None) -> bool:
    """Whether a requirement with this rating counts as met (unrated does not)."""
    return rating is not None and (scale or DEFAULT_SCALE).counts_as_met(rating)


def _check_level(code: str, level: int, top: int = MAX_LEVEL) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= top:
        raise ValueError(
            f"requirement {code!r} has level {level!r}; levels are {MIN_LEVEL} to {top}"
        )


def _check_top(top: int) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or not 2 <= top <= LEVEL_LIMIT:
        raise ValueError(f"a model has 2 to {LEVEL_LIMIT} levels, not {top!r}")


def item_level(
    requirements: Iterable[RequirementSpec],
    ratings: Ratings,
    *,
    top: int = MAX_LEVEL,
    scale: RatingScale | None = None,
) -> int:
    """The highest level L (0..top) such that every requirement of level <= L counts as met.

    0 when some level-1 requirement is not met. Levels without requirements are satisfied
    vacuously (see the module docstring), so an item without any requirement reaches the top.
    """
    lowest_blocked = top + 1
    for code, level in requirements:
        _check_level(code, level, top)
        if level < lowest_blocked and not is_satisfied(rating_of(ratings, code, scale), scale):
            lowest_blocked = level
    return lowest_blocked - 1


def item_partial(
    requirements: Iterable[RequirementSpec],
    ratings: Ratings,
    *,
    top: int = MAX_LEVEL,
    scale: RatingScale | None = None,
) -> bool:
    """Whether the item partially meets its next level: shown as "N-" (N = level + 1)."""
    requirements = list(requirements)
    level = item_level(requirements, ratings, top=top, scale=scale)
    if level >= top:
        return False
    scale = scale or DEFAULT_SCALE
    for code, requirement_level in requirements:
        rating = rating_of(ratings, code, scale)
        if requirement_level == level + 1 and rating is not None and scale.shows_progress(rating):
            return True
    return False


def level_display(level: int | None, partial: bool = False) -> str:
    """ "3" for level 3; "3-" for level 2 with part of level 3 met; "" for no level."""
    if level is None:
        return ""
    return f"{level + 1}-" if partial else str(level)


def parse_level(text: object, top: int) -> tuple[int, bool] | None:
    """The inverse of `level_display` for a model whose top level is `top`: "3" → (3, False),
    "3-" → (2, True), "0" → (0, False); None for anything else ("1-" is none: nothing lies
    below level 1 to stand on)."""
    value = str(text).strip()
    partial = value.endswith("-")
    digits = value[:-1].strip() if partial else value
    if not digits.isascii() or not digits.isdigit():
        return None
    level = int(digits)
    if partial:
        return (level - 1, True) if 2 <= level <= top else None
    return (level, False) if 0 <= level <= top else None


def aggregate(levels: Iterable[int | None], aggregation: Aggregation | None = None) -> int | None:
    """The level of a node from the levels of the leaves beneath it, by the model's rule.

    None entries (leaves without a level) are skipped; with no level at all the result is None.
    """
    ordered = sorted(level for level in levels if level is not None)
    if not ordered:
        return None
    lowest = ordered[0]
    if aggregation is None or aggregation.rule == "minimum" or aggregation.tolerance <= 0:
        return lowest
    if aggregation.rule != "minimum_with_tolerance":
        raise ValueError(f"unknown aggregation rule {aggregation.rule!r}")
    at_lowest = sum(1 for level in ordered if level == lowest)
    if at_lowest <= aggregation.tolerance and ordered[-1] > lowest:
        return lowest + 1
    return lowest


class Blocker(NamedTuple):
    """A requirement that stands between an item and a level, for "what is missing" screens."""

    requirement_code: str
    level: int
    rating: Rating | str | None  # None: not yet rated


def blocking_requirements(
    requirements: Iterable[RequirementSpec],
    ratings: Ratings,
    level: int,
    *,
    top: int = MAX_LEVEL,
    scale: RatingScale | None = None,
) -> tuple[Blocker, ...]:
    """Every requirement of level <= `level` that does not count as met, lowest level first.

    This is what must change for the item to reach `level` (e.g. an engagement's target level).
    """
    if not MIN_LEVEL <= level <= top:
        raise ValueError(f"level {level!r} is outside {MIN_LEVEL} to {top}")
    blockers = []
    for code, requirement_level in requirements:
        _check_level(code, requirement_level, top)
        rating = rating_of(ratings, code, scale)
        if requirement_level <= level and not is_satisfied(rating, scale):
            blockers.append(Blocker(code, requirement_level, rating))
    return tuple(sorted(blockers, key=lambda blocker: (blocker.level, blocker.requirement_code)))


class ItemGap(NamedTuple):
    """Why an item is not one level higher: the requirements blocking its next level.

    `next_level` is None when the item is already at the top level, and `blocking` is empty then.
    Because the item has reached `level`, all blockers are of level `next_level` exactly.
    """

    next_level: int | None
    blocking: tuple[Blocker, ...]


def item_gap(
    requirements: Iterable[RequirementSpec],
    ratings: Ratings,
    *,
    top: int = MAX_LEVEL,
    scale: RatingScale | None = None,
) -> ItemGap:
    """The requirements that block the item's next level (see ItemGap)."""
    requirements = list(requirements)
    level = item_level(requirements, ratings, top=top, scale=scale)
    if level == top:
        return ItemGap(next_level=None, blocking=())
    return ItemGap(
        level + 1,
        blocking_requirements(requirements, ratings, level + 1, top=top, scale=scale),
    )


def domain_level(item_levels: Iterable[int | None]) -> int | None:
    """The lowest of the levels given; None when there is none (a domain with nothing in scope).

    None entries are skipped, so the levels of empty sub-domains can be passed along unchanged.
    """
    levels = [level for level in item_levels if level is not None]
    return min(levels) if levels else None


def overall_level(domain_levels: Iterable[int | None]) -> int | None:
    """The lowest level of the domains that have one; None when no domain has a level."""
    return domain_level(domain_levels)


# The tree `score` walks. Protocols, so that the model loader's dataclasses and whatever the
# database layer builds both fit without this module importing either.
class RequirementLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def level(self) -> int: ...


class ItemLike(Protocol):
    """An item; it may also have `items` (sub-items), in which case it is not rated itself."""

    @property
    def code(self) -> str: ...
    @property
    def requirements(self) -> Sequence[RequirementLike]: ...


class DomainLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def domains(self) -> Sequence[DomainLike]: ...
    @property
    def items(self) -> Sequence[ItemLike]: ...


class ModelTreeLike(Protocol):
    """The model; it may also say `top_level`, `aggregation` and `rating_scale` (format 2)."""

    @property
    def domains(self) -> Sequence[DomainLike]: ...


class ItemScore(NamedTuple):
    """The score of a rated leaf. A named tuple built at the cost of a tuple, once per leaf on
    every score (benchmarks/model_format2_figures.py, score_vs_bare_ratio); its gap is made
    when asked for, from the (code, rating) of the requirements blocking the next level."""

    code: str
    level: int
    partial: bool = False  # partially meets the next level ("N-")
    next_level: int | None = None  # None at the top level
    blocked: tuple[tuple[str, Rating | str | None], ...] = ()

    @property
    def display(self) -> str:
        return level_display(self.level, self.partial)

    @property
    def gap(self) -> ItemGap:
        next_level = self.next_level
        return ItemGap(
            next_level, tuple(Blocker(code, next_level, rating) for code, rating in self.blocked)
        )


@dataclass(frozen=True)
class DomainScore:
    """The score of a domain, or of an item with sub-items: an aggregate of leaves."""

    code: str
    level: int | None  # None: nothing in scope beneath this domain
    item_codes: tuple[str, ...]  # in-scope leaves anywhere beneath, in model order
    limiting_items: tuple[str, ...]  # the in-scope leaves at or below its level: what holds it down
    partial: bool = False  # partially meets the next level ("N-")

    @property
    def display(self) -> str:
        return level_display(self.level, self.partial)


@dataclass(frozen=True)
class ScoreResult:
    """Levels of every in-scope item, of every domain (in or out of scope), and overall.

    `items` holds only in-scope items; `domains` holds every domain of the model, keyed by code, in
    model order (parents before children), with level None where nothing beneath is in scope.
    """

    items: dict[str, ItemScore]
    domains: dict[str, DomainScore]
    overall: int | None
    top_level_domains: tuple[str, ...]
    parents: dict[str, DomainScore] = dataclass_field(default_factory=dict)  # items with sub-items
    overall_partial: bool = False
    top: int = MAX_LEVEL
    aggregation: Aggregation = MINIMUM

    @property
    def overall_display(self) -> str:
        return level_display(self.overall, self.overall_partial)


def score(
    model_tree: ModelTreeLike,
    scope: Collection[str] | None,
    ratings: Ratings,
    *,
    top: int | None = None,
    aggregation: Aggregation | None = None,
    scale: RatingScale | None = None,
) -> ScoreResult:
    """Score an engagement: leaf, item, domain and overall levels, and the gap of every leaf.

    `scope` names the domains (parts, domains, sub-domains) and items assessed: a leaf is in
    scope when its own code or the code of any domain or item above it is listed. None means the
    whole model. A code that is not in the model raises ValueError: a scope naming something the
    frozen model version lacks is a bug to surface, not a silent "nothing in scope".

    `top`, `aggregation` and `scale` default to the tree's `top_level`, `aggregation` and
    `rating_scale` when it has them (a format-2 model), else to 5 levels, the minimum and the
    default scale.
    """
    top = top if top is not None else getattr(model_tree, "top_level", MAX_LEVEL)
    _check_top(top)
    if aggregation is None:
        declared = getattr(model_tree, "aggregation", None)
        aggregation = (
            Aggregation(declared.rule, declared.tolerance) if declared is not None else MINIMUM
        )
    if scale is None:
        scale = RatingScale(getattr(model_tree, "rating_scale", ()) or ())
    # One pass per leaf and one per node, with the scale read into sets once: the same rules as
    # item_level, item_gap, item_partial and aggregate, at the cost of a plain loop
    # (benchmarks/model_format2_figures.py, score_vs_bare_ratio).
    met = frozenset(v for v, d in scale.values.items() if d.counts_as_met)
    progress = frozenset(v for v, d in scale.values.items() if d.progress)
    known = scale.values
    valid_levels = frozenset(range(MIN_LEVEL, top + 1))
    get = ratings.get
    plain_minimum = aggregation.rule == "minimum" or aggregation.tolerance <= 0
    if not plain_minimum and aggregation.rule != "minimum_with_tolerance":
        raise ValueError(f"unknown aggregation rule {aggregation.rule!r}")
    wanted = None if scope is None else frozenset(scope)
    seen: set[str] = set()
    items: dict[str, ItemScore] = {}
    domains: dict[str, DomainScore] = {}
    parents: dict[str, DomainScore] = {}

    def leaf_score(item: ItemLike) -> ItemScore:
        requirements = item.requirements
        lowest = top + 1
        for requirement in requirements:
            level = requirement.level
            if level not in valid_levels:  # out of range; models hold whole numbers (loader, DB)
                _check_level(requirement.code, level, top)
            value = get(requirement.code)
            if value not in met:
                if value is not None and value not in known:
                    rating_of(ratings, requirement.code, scale)  # raises, naming the value
                if level < lowest:
                    lowest = level
        reached = lowest - 1
        if reached >= top:
            return _new(ItemScore, (item.code, reached, False, None, ()))
        partial = False
        blocked = []
        for requirement in requirements:
            if requirement.level == lowest:
                value = get(requirement.code)
                if value not in met:
                    blocked.append((requirement.code, value))
                if value in progress:
                    partial = True
        if len(blocked) > 1:
            blocked.sort()
        return _new(ItemScore, (item.code, reached, partial, lowest, tuple(blocked)))

    # A node's score from its children's (leaves, items with sub-items, sub-domains), which
    # partition the leaves beneath it. Under the minimum rule the node's level is its lowest
    # child's, it shows "N-" when a child is higher or its lowest children show "N-", and the
    # leaves holding it down are those of its lowest children; under a tolerance rule it counts
    # the leaves themselves.
    def node_score(code: str, children: list) -> DomainScore:
        if not plain_minimum:
            return tolerant_node_score(code, children)
        item_codes: list[str] = []
        limiting: list[str] = []
        lowest = highest = None
        partial_at_lowest = False
        for child in children:
            level = child.level
            if level is None:
                continue
            leaf = child.__class__ is ItemScore
            if leaf:
                item_codes.append(child.code)
            else:
                item_codes.extend(child.item_codes)
            if lowest is None or level < lowest:
                lowest = level
                limiting = [child.code] if leaf else list(child.limiting_items)
                partial_at_lowest = child.partial
            elif level == lowest:
                if leaf:
                    limiting.append(child.code)
                else:
                    limiting.extend(child.limiting_items)
                partial_at_lowest = partial_at_lowest or child.partial
            if highest is None or level > highest:
                highest = level
        if lowest is None:
            return DomainScore(code, None, (), (), False)
        partial = lowest < top and (highest > lowest or partial_at_lowest)
        return DomainScore(code, lowest, tuple(item_codes), tuple(limiting), partial)

    def tolerant_node_score(code: str, children: list) -> DomainScore:
        item_codes = _joined(child for child in children if child.level is not None)
        if not item_codes:
            return DomainScore(code, None, (), (), False)
        level = aggregate((items[leaf].level for leaf in item_codes), aggregation)
        partial = level < top and any(
            items[leaf].level > level or (items[leaf].level == level and items[leaf].partial)
            for leaf in item_codes
        )
        limiting = tuple(leaf for leaf in item_codes if items[leaf].level <= level)
        return DomainScore(code, level, item_codes, limiting, partial)

    def visit_item(item: ItemLike, in_scope: bool):
        code = item.code
        if wanted is not None:
            seen.add(code)
            in_scope = in_scope or code in wanted
        children = getattr(item, "items", None)
        if not children:
            if not in_scope:
                return None
            leaf = items[code] = leaf_score(item)
            return leaf
        parents[code] = None  # parents before children
        scored = []
        for child in children:
            child_score = visit_item(child, in_scope)
            if child_score is not None:
                scored.append(child_score)
        node = parents[code] = node_score(code, scored)
        return node

    def visit(domain: DomainLike, inherited: bool) -> DomainScore:
        seen.add(domain.code)
        in_scope = inherited or wanted is None or domain.code in wanted
        domains[domain.code] = None  # parents before children
        scored = []
        for item in domain.items:
            item_score = visit_item(item, in_scope)
            if item_score is not None:
                scored.append(item_score)
        scored.extend(visit(child, in_scope) for child in domain.domains)
        node = domains[domain.code] = node_score(domain.code, scored)
        return node

    top_level = tuple(domain.code for domain in model_tree.domains)
    tops = [visit(domain, inherited=False) for domain in model_tree.domains]
    if wanted is not None and (unknown := wanted - seen):
        raise ValueError(f"scope names codes that are not in the model: {sorted(unknown)}")
    whole = node_score("", tops)
    return ScoreResult(
        items=items,
        domains=domains,
        overall=whole.level,
        top_level_domains=top_level,
        parents=parents,
        overall_partial=whole.partial,
        top=top,
        aggregation=aggregation,
    )


# A leaf's score is built without the Python-level __new__ that NamedTuple adds (all fields are
# given): a third of scoring's time otherwise (score_vs_bare_ratio).
_new = tuple.__new__


def _joined(children) -> tuple[str, ...]:
    """The leaf codes beneath scored children (a leaf's ItemScore is itself)."""
    codes: list[str] = []
    for child in children:
        if isinstance(child, ItemScore):
            codes.append(child.code)
        else:
            codes.extend(child.item_codes)
    return tuple(codes)
