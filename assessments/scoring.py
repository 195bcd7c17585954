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

Levels are integers 0..5, where 0 means "level 1 not reached".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

MIN_LEVEL = 1
MAX_LEVEL = 5
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

Ratings = Mapping[str, "Rating | str | None"]
"""Requirement code -> rating. A code that is absent (or maps to None) is not yet rated."""

RequirementSpec = tuple[str, int]
"""(requirement code, level) -- all that scoring needs to know about a requirement."""


def rating_of(ratings: Ratings, requirement_code: str) -> Rating | None:
    """The rating recorded for a requirement, or None when it is not yet rated.

    Accepts the stored string values as well as Rating members, so that rows read from the database
    can be passed in as they are; an unknown value raises ValueError instead of scoring silently.
    """
    value = ratings.get(requirement_code)
    return None if value is None else Rating(value)


def is_satisfied(rating: Rating | None) -> bool:
    """Whether a requirement with this rating counts as met (unrated does not)."""
    return rating is not None and rating.counts_as_met


def _check_level(code: str, level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValueError(
            f"requirement {code!r} has level {level!r}; levels are {MIN_LEVEL} to {MAX_LEVEL}"
        )


def item_level(requirements: Iterable[RequirementSpec], ratings: Ratings) -> int:
    """The highest level L (0..5) such that every requirement of level <= L counts as met.

    0 when some level-1 requirement is not met. Levels without requirements are satisfied
    vacuously (see the module docstring), so an item without any requirement reaches 5.
    """
    lowest_blocked = MAX_LEVEL + 1
    for code, level in requirements:
        _check_level(code, level)
        if level < lowest_blocked and not is_satisfied(rating_of(ratings, code)):
            lowest_blocked = level
    return lowest_blocked - 1


@dataclass(frozen=True)
class Blocker:
    """A requirement that stands between an item and a level, for "what is missing" screens."""

    requirement_code: str
    level: int
    rating: Rating | None  # None: not yet rated


def blocking_requirements(
    requirements: Iterable[RequirementSpec], ratings: Ratings, level: int
) -> tuple[Blocker, ...]:
    """Every requirement of level <= `level` that does not count as met, lowest level first.

    This is what must change for the item to reach `level` (e.g. an engagement's target level).
    """
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValueError(f"level {level!r} is outside {MIN_LEVEL} to {MAX_LEVEL}")
    blockers = []
    for code, requirement_level in requirements:
        _check_level(code, requirement_level)
        rating = rating_of(ratings, code)
        if requirement_level <= level and not is_satisfied(rating):
            blockers.append(Blocker(code, requirement_level, rating))
    return tuple(sorted(blockers, key=lambda blocker: (blocker.level, blocker.requirement_code)))


@dataclass(frozen=True)
class ItemGap:
    """Why an item is not one level higher: the requirements blocking its next level.

    `next_level` is None when the item is already at the top level, and `blocking` is empty then.
    Because the item has reached `level`, all blockers are of level `next_level` exactly.
    """

    next_level: int | None
    blocking: tuple[Blocker, ...]


def item_gap(requirements: Iterable[RequirementSpec], ratings: Ratings) -> ItemGap:
    """The requirements that block the item's next level (see ItemGap)."""
    requirements = list(requirements)
    level = item_level(requirements, ratings)
    if level == MAX_LEVEL:
        return ItemGap(next_level=None, blocking=())
    return ItemGap(level + 1, blocking_requirements(requirements, ratings, level + 1))


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
    @property
    def domains(self) -> Sequence[DomainLike]: ...


@dataclass(frozen=True)
class ItemScore:
    code: str
    level: int
    gap: ItemGap


@dataclass(frozen=True)
class DomainScore:
    code: str
    level: int | None  # None: nothing in scope beneath this domain
    item_codes: tuple[str, ...]  # in-scope items anywhere beneath, in model order
    limiting_items: tuple[str, ...]  # the in-scope items at the domain's level: what holds it down


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


def score(
    model_tree: ModelTreeLike, scope: Collection[str] | None, ratings: Ratings
) -> ScoreResult:
    """Score an engagement: item, domain and overall levels, and the gap of every item.

    `scope` names the domains (parts, domains, sub-domains) and items assessed: an item is in
    scope when its own code or the code of any domain above it is listed. None means the whole
    model. A code that is not in the model raises ValueError: a scope naming something the frozen
    model version lacks is a bug to surface, not a silent "nothing in scope".
    """
    wanted = None if scope is None else frozenset(scope)
    seen: set[str] = set()
    items: dict[str, ItemScore] = {}
    domains: dict[str, DomainScore] = {}

    def visit(domain: DomainLike, inherited: bool) -> tuple[str, ...]:
        seen.add(domain.code)
        in_scope = inherited or wanted is None or domain.code in wanted
        domains[domain.code] = DomainScore(domain.code, None, (), ())  # parents before children
        beneath: list[str] = []
        for item in domain.items:
            seen.add(item.code)
            if in_scope or (wanted is not None and item.code in wanted):
                specs = [(requirement.code, requirement.level) for requirement in item.requirements]
                items[item.code] = ItemScore(
                    item.code, item_level(specs, ratings), item_gap(specs, ratings)
                )
                beneath.append(item.code)
        for child in domain.domains:
            beneath.extend(visit(child, in_scope))
        level = domain_level(items[code].level for code in beneath)
        limiting = tuple(code for code in beneath if items[code].level == level)
        domains[domain.code] = DomainScore(domain.code, level, tuple(beneath), limiting)
        return tuple(beneath)

    top_level = tuple(domain.code for domain in model_tree.domains)
    for domain in model_tree.domains:
        visit(domain, inherited=False)
    if wanted is not None and (unknown := wanted - seen):
        raise ValueError(f"scope names codes that are not in the model: {sorted(unknown)}")
    overall = overall_level(domains[code].level for code in top_level)
    return ScoreResult(items=items, domains=domains, overall=overall, top_level_domains=top_level)
