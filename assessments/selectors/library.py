"""Reads of the model library: what a member may see, and a version's tree in five queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from assessments.models import (
    CapabilityItem,
    Domain,
    ExpectedEvidence,
    LevelCell,
    LevelRequirement,
    MaturityModel,
    ModelVersion,
)
from assessments.scoring import ScaleValue
from tenants.roles import Capability, has_capability


def may_manage_models(membership, tenant) -> bool:
    """The one rule for writing to the library (upload, publish, delete a draft), used by the
    services, the web pages and the API alike: an active member with MANAGE_MODELS manages the
    models of their own tenant, never another's and never a global model (those are managed by
    platform code: management commands and the Django admin)."""
    return (
        tenant is not None
        and has_capability(membership, Capability.MANAGE_MODELS)
        and membership.tenant_id == tenant.pk
    )


def versions_visible_to(membership):
    """Published global versions and the tenant's own; drafts only to those managing models."""
    queryset = ModelVersion.objects.select_related("model")
    if membership is None or not membership.is_active:
        return queryset.none()
    if has_capability(membership, Capability.MANAGE_MODELS):
        return queryset
    return queryset.filter(status=ModelVersion.Status.PUBLISHED)


def models_visible_to(membership):
    """Models with at least one version the member may see, with those versions prefetched."""
    versions = versions_visible_to(membership).order_by("-created_at")
    return (
        MaturityModel.objects.filter(pk__in=versions.values("model_id"))
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="visible_versions"))
        .order_by("tenant_id", "code")
    )


def published_versions_for_engagements(membership):
    """The versions a new engagement may be assessed against."""
    return versions_visible_to(membership).filter(status=ModelVersion.Status.PUBLISHED)


@dataclass
class RequirementNode:
    pk: int
    code: str
    level: int
    text_en: str
    text_zh: str
    row: LevelRequirement


@dataclass
class CellNode:
    """A level of a leaf: its requirements, and (format 2) the cell's description and the
    evidence expected."""

    level: int
    requirements: list = field(default_factory=list)
    row: LevelCell | None = None
    evidence: list = field(default_factory=list)

    @property
    def description(self):
        return self.row.description if self.row is not None else ""


@dataclass
class ItemNode:
    pk: int
    code: str
    row: CapabilityItem
    requirements: list = field(default_factory=list)
    items: list = field(default_factory=list)  # sub-items (format 2)
    cells: dict = field(default_factory=dict)  # level -> LevelCell row (format 2)
    evidence: dict = field(default_factory=dict)  # level -> [ExpectedEvidence rows]
    depth: int = 0  # layer of the tree: the domain's depth + 1, + 1 per parent item

    @property
    def is_leaf(self):
        return not self.items

    def requirements_by_level(self):
        levels = {}
        for requirement in self.requirements:
            levels.setdefault(requirement.level, []).append(requirement)
        return sorted(levels.items())

    def level_cells(self):
        """Every level that has requirements or a listed cell, in level order."""
        levels = {requirement.level for requirement in self.requirements} | set(self.cells)
        by_level = dict(self.requirements_by_level())
        return [
            CellNode(
                level,
                by_level.get(level, []),
                self.cells.get(level),
                self.evidence.get(level, []),
            )
            for level in sorted(levels)
        ]

    def all_items(self):
        yield self
        for child in self.items:
            yield from child.all_items()


@dataclass
class DomainNode:
    pk: int
    code: str
    depth: int
    row: Domain
    domains: list = field(default_factory=list)
    items: list = field(default_factory=list)

    def all_items(self):
        """Its items and their sub-items, then those of its sub-domains, parents first."""
        for item in self.items:
            yield from item.all_items()
        for child in self.domains:
            yield from child.all_items()


@dataclass
class VersionTree:
    """A version's tree: `domains` (top level) nest `domains` and `items`; items hold
    `requirements`. It satisfies assessments.scoring.ModelTreeLike, so
    `scoring.score(tree, scope_codes, ratings)` works on it directly."""

    version: ModelVersion
    domains: list
    items_by_pk: dict
    domains_by_pk: dict

    # What scoring.score reads besides the tree (format 2; format-1 versions give the defaults).
    @property
    def top_level(self):
        return self.version.top_level

    @property
    def aggregation(self):
        return self.version.aggregation

    @property
    def rating_scale(self):
        return tuple(
            ScaleValue(v["value"], v["counts_as_met"], v["progress"])
            for v in self.version.rating_scale
        )

    def all_items(self):
        for domain in self.domains:
            yield from domain.all_items()

    def all_domains(self):
        def walk(domains):
            for domain in domains:
                yield domain
                yield from walk(domain.domains)

        return walk(self.domains)


def version_tree(version) -> VersionTree:
    """The whole tree of a version from five queries, whatever its size."""
    domains = list(Domain.objects.filter(version=version).order_by("depth", "position"))
    items = list(CapabilityItem.objects.filter(version=version).order_by("position"))
    requirements = list(
        LevelRequirement.objects.filter(version=version).order_by("level", "position")
    )
    cells = list(LevelCell.objects.filter(version=version).order_by("position"))
    evidence = list(ExpectedEvidence.objects.filter(version=version).order_by("position"))
    domain_nodes = {d.pk: DomainNode(d.pk, d.code, d.depth, d) for d in domains}
    item_nodes = {i.pk: ItemNode(i.pk, i.code, i) for i in items}
    for requirement in requirements:
        item_nodes[requirement.item_id].requirements.append(
            RequirementNode(
                requirement.pk,
                requirement.code,
                requirement.level,
                requirement.text_en,
                requirement.text_zh,
                requirement,
            )
        )
    cell_level = {}
    for cell in cells:
        item_nodes[cell.item_id].cells[cell.level] = cell
        cell_level[cell.pk] = (cell.item_id, cell.level)
    for entry in evidence:
        item_id, level = cell_level[entry.cell_id]
        item_nodes[item_id].evidence.setdefault(level, []).append(entry)
    for item in items:  # in position order: parents were inserted before their sub-items
        node = item_nodes[item.pk]
        if item.parent_id is None:
            node.depth = domain_nodes[item.domain_id].depth + 1
            domain_nodes[item.domain_id].items.append(node)
        else:
            parent = item_nodes[item.parent_id]
            node.depth = parent.depth + 1
            parent.items.append(node)
    roots = []
    for domain in domains:
        node = domain_nodes[domain.pk]
        if domain.parent_id is None:
            roots.append(node)
        else:
            domain_nodes[domain.parent_id].domains.append(node)
    return VersionTree(version, roots, item_nodes, domain_nodes)


@dataclass
class ScopeNode:
    """A box of the scope picker: a part, domain or sub-domain (`kind` "domain") or an item
    (with or without sub-items), its children beneath it."""

    kind: str
    pk: int
    code: str
    name: str
    children: list = field(default_factory=list)
    checked: bool = False

    @property
    def field(self):
        return "scope_domains" if self.kind == "domain" else "scope_items"


@dataclass
class ScopeTree:
    version: ModelVersion
    roots: list


def scope_trees(versions, *, chosen_domains=(), chosen_items=()) -> list[ScopeTree]:
    """The domain and item trees of several versions (the versions a new engagement may use), for
    the scope picker, in three queries whatever their number and size. Boxes whose id is in
    `chosen_domains` / `chosen_items` come ticked."""
    versions = list(versions)
    ids = [v.pk for v in versions]
    chosen_domains, chosen_items = set(chosen_domains), set(chosen_items)
    domains = list(Domain.objects.filter(version_id__in=ids).order_by("depth", "position"))
    items = list(CapabilityItem.objects.filter(version_id__in=ids).order_by("position"))
    domain_nodes = {
        d.pk: ScopeNode("domain", d.pk, d.code, d.name, checked=d.pk in chosen_domains)
        for d in domains
    }
    item_nodes = {
        i.pk: ScopeNode("item", i.pk, i.code, i.name, checked=i.pk in chosen_items) for i in items
    }
    roots = {pk: [] for pk in ids}
    # Sub-domains and items come after their parents in (depth, position) and position order,
    # but items of a domain come after its sub-domains: domains first, then items.
    for domain in domains:
        node = domain_nodes[domain.pk]
        if domain.parent_id is None:
            roots[domain.version_id].append(node)
        else:
            domain_nodes[domain.parent_id].children.append(node)
    for item in items:
        parent = item_nodes[item.parent_id] if item.parent_id else domain_nodes[item.domain_id]
        parent.children.append(item_nodes[item.pk])
    return [ScopeTree(v, roots[v.pk]) for v in versions]
