"""The rating grid of an engagement: a row per in-scope leaf with its level cells, in a constant
number of queries whatever the number of leaves (the model tree, the scope, the ratings and the
findings with their nonconformities, the evidence links and the client's self-ratings:
twelve queries)."""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Exists, OuterRef

from assessments.models import Finding, Nonconformity, RequirementRating, SelfRating
from assessments.selectors.library import version_tree
from assessments.selectors.work import evidence_links
from assessments.services.ratings import row_state

FILTERS = ("unrated", "mine", "nonconformity", "below_target")


class RatingRow(NamedTuple):
    rating: str
    note: str
    version: int
    rated_by_id: int


@dataclass
class GridCell:
    level: int
    ratable: bool
    description: str = ""
    requirements: list = field(default_factory=list)  # [(RequirementNode, rating value or None)]
    evidence: list = field(default_factory=list)  # ExpectedEvidence rows
    files: list = field(default_factory=list)  # Evidence linked to the cell's requirements
    rating: str | None = None
    note: str = ""
    version: int = 0
    complete: bool = False


@dataclass
class GridRow:
    kind: str  # "leaf", or "group" (an item with sub-items, shown as a heading)
    depth: int
    code: str
    name: str
    pk: int | None = None
    domain: str = ""
    cells: list = field(default_factory=list)  # one per level 1..top: GridCell or None
    level: int = 0
    display: str = ""
    below_target: bool = False
    nonconformity: bool = False
    mine: bool = False
    unrated: bool = False
    files: list = field(default_factory=list)  # Evidence linked to the leaf or its requirements
    self_level: int | None = None  # the client's own view (SelfRating)


@dataclass
class GridDomain:
    code: str
    name: str
    rated: int = 0  # ratable cells whose every requirement is rated
    total: int = 0

    @property
    def percent(self):
        return round(100 * self.rated / self.total) if self.total else 100


@dataclass
class Grid:
    levels: list  # 1..top
    domains: list  # GridDomain, every domain holding in-scope leaves (the pages)
    rows: list
    domain: GridDomain | None  # the page's domain, None for the whole scope
    leaf_count: int = 0  # leaves on the page before the filters


def _rows_of(item, depth, scope_ids):
    """(item node, depth) of the in-scope leaves beneath `item`, with their parent items."""
    if item.items:
        beneath = []
        for child in item.items:
            beneath.extend(_rows_of(child, depth + 1, scope_ids))
        return [(item, depth), *beneath] if beneath else []
    return [(item, depth)] if item.pk in scope_ids else []


def rating_grid(engagement, *, membership, domain_code=None, filters=()) -> Grid:
    version = engagement.model_version
    tree = version_tree(version)
    scope_ids = set(engagement.scope_items.values_list("pk", flat=True))
    ratings = {}
    for requirement_id, rating, note, row_version, rated_by_id in RequirementRating.objects.filter(
        finding__engagement=engagement
    ).values_list("requirement_id", "rating", "note", "version", "rated_by_id"):
        ratings[requirement_id] = RatingRow(rating, note, row_version, rated_by_id)
    with_nc = {
        item_id
        for item_id, has in Finding.objects.filter(engagement=engagement)
        .annotate(has_nc=Exists(Nonconformity.objects.filter(finding=OuterRef("pk"))))
        .values_list("item_id", "has_nc")
        if has
    }
    levels = list(range(1, version.top_level + 1))
    links = evidence_links(engagement)
    own = dict(SelfRating.objects.filter(engagement=engagement).values_list("item_id", "level"))

    domains, rows, page = [], [], None
    for domain in tree.all_domains():
        entries = []
        for item in domain.items:
            entries.extend(_rows_of(item, 0, scope_ids))
        if not entries:
            continue
        summary = GridDomain(domain.code, domain.row.name)
        domains.append(summary)
        shown = domain_code is None or domain.code == domain_code
        if shown and domain_code is not None:
            page = summary
        for node, depth in entries:
            if node.items:
                if shown:
                    rows.append(GridRow("group", depth, node.code, node.row.name))
                continue
            row = _leaf_row(engagement, version, node, depth, domain.code, ratings, with_nc)
            row.files = links.for_leaf(node.pk, [r.pk for r in node.requirements])
            row.self_level = own.get(node.pk)
            for cell in row.cells:
                if cell is not None:
                    cell.files = links.for_requirements([r.pk for r, _rated in cell.requirements])
            row.mine = any(
                r.pk in ratings and ratings[r.pk].rated_by_id == membership.user_id
                for r in node.requirements
            )
            for cell in row.cells:
                if cell is not None and cell.ratable:
                    summary.total += 1
                    summary.rated += cell.complete
            if shown:
                rows.append(row)
    leaf_count = sum(1 for row in rows if row.kind == "leaf")
    rows = _filtered(rows, filters)
    return Grid(levels, domains, rows, page, leaf_count)


def _leaf_row(engagement, version, node, depth, domain_code, ratings, with_nc):
    state = row_state(
        engagement=engagement,
        version=version,
        item_id=node.pk,
        requirements=node.requirements,
        ratings={r.pk: ratings[r.pk] for r in node.requirements if r.pk in ratings},
    )
    states = {cell.level: cell for cell in state.cells}
    cells = []
    by_level = {cell.level: cell for cell in node.level_cells()}
    for level in range(1, version.top_level + 1):
        cell = by_level.get(level)
        if cell is None:
            cells.append(None)
            continue
        computed = states.get(level)
        cells.append(
            GridCell(
                level=level,
                ratable=bool(cell.requirements),
                description=cell.description,
                requirements=[
                    (r, ratings[r.pk].rating if r.pk in ratings else None)
                    for r in cell.requirements
                ],
                evidence=cell.evidence,
                rating=computed.rating if computed else None,
                note=computed.note if computed else "",
                version=computed.version if computed else 0,
                complete=computed.complete if computed else False,
            )
        )
    return GridRow(
        "leaf",
        depth,
        node.code,
        node.row.name,
        pk=node.pk,
        domain=domain_code,
        cells=cells,
        level=state.level,
        display=state.display,
        below_target=state.below_target,
        nonconformity=node.pk in with_nc,
        unrated=any(c is not None and c.ratable and not c.complete for c in cells),
    )


def _filtered(rows, filters):
    """The leaves that pass every filter, and the headings of the items above them."""
    wanted = [name for name in filters if name in FILTERS]
    if not wanted:
        return rows
    checks = {
        "unrated": lambda row: row.unrated,
        "mine": lambda row: row.mine,
        "nonconformity": lambda row: row.nonconformity,
        "below_target": lambda row: row.below_target,
    }
    kept, pending = [], []
    for row in rows:
        if row.kind == "group":
            pending = [r for r in pending if r.depth < row.depth] + [row]
            continue
        if all(checks[name](row) for name in wanted):
            kept.extend(r for r in pending if r.depth < row.depth)
            pending = []
            kept.append(row)
    return kept
