"""The model library's use cases: import a YAML model, publish, export, compare, delete a draft.

Imports are all-or-nothing (one transaction) and use bulk inserts: one INSERT per depth of the
domain tree, one per depth of sub-items, and one per batch of items, requirements, level cells and
expected evidence, whatever the model's size.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.model_format import (
    AggregationRule,
    DomainNode,
    EvidenceNode,
    ItemNode,
    LevelCell,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    RatingValueDefinition,
    RequirementNode,
    StandardReference,
    dump_model,
)
from assessments.models import (
    CapabilityItem,
    Domain,
    ExpectedEvidence,
    LevelRequirement,
    MaturityModel,
    ModelVersion,
)
from assessments.models import (
    LevelCell as LevelCellRow,
)
from assessments.selectors.library import may_manage_models
from portal import audit
from portal.errors import Conflict

BATCH_SIZE = 500


def _check_may_manage(by, tenant):
    """Tenant models are managed by that tenant's admins; global ones only by platform code
    (management commands, the Django admin), which passes by=None and tenant=None."""
    if tenant is None:
        if by is not None:
            raise PermissionDenied(_("Only platform administrators manage global models."))
        return
    if not may_manage_models(by, tenant):
        raise PermissionDenied(_("Your role does not allow managing models."))


@transaction.atomic
def import_model_document(*, document: ModelDocument, tenant=None, by=None) -> ModelVersion:
    """Store a loaded model document as a new DRAFT version of its model.

    The model is found by code (global, or the tenant's own); a tenant cannot shadow a global
    model's code. An existing version string of the same model is refused. Nothing is written
    unless everything is.
    """
    _check_may_manage(by, tenant)
    model = (
        MaturityModel.objects.with_scopes_disabled()
        .filter(code=document.code, tenant=tenant)
        .first()
    )
    global_code = (
        tenant is not None
        and model is None
        and MaturityModel.objects.with_scopes_disabled()
        .filter(code=document.code, tenant__isnull=True)
        .exists()
    )
    if global_code:
        raise ValidationError(
            {
                "file": _("“%(code)s” is the code of a global model; choose another code.")
                % {"code": document.code}
            }
        )
    if model is None:
        model = MaturityModel.objects.create(
            tenant=tenant, code=document.code, name_en=document.name.en, name_zh=document.name.zh
        )
    elif (
        ModelVersion.objects.with_scopes_disabled()
        .filter(model=model, version=document.version)
        .exists()
    ):
        raise ValidationError(
            {
                "file": _(
                    "Version %(version)s of %(code)s exists already; give the file a new version."
                )
                % {"version": document.version, "code": document.code}
            }
        )
    else:
        model.name_en, model.name_zh = document.name.en, document.name.zh
        model.save(update_fields=["name_en", "name_zh"])

    version = ModelVersion.objects.create(
        model=model,
        tenant=tenant,
        version=document.version,
        description_en=document.description.en if document.description else "",
        description_zh=document.description.zh if document.description else "",
        notice_en=document.notice.en if document.notice else "",
        notice_zh=document.notice.zh if document.notice else "",
        levels=[
            {"level": d.level, "name_en": d.name.en, "name_zh": d.name.zh} for d in document.levels
        ],
        format=document.format,
        layers=[{"en": layer.en, "zh": layer.zh} for layer in document.layers],
        rating_scale=[
            {
                "value": v.value,
                "name_en": v.name.en,
                "name_zh": v.name.zh,
                "counts_as_met": v.counts_as_met,
                "progress": v.progress,
            }
            for v in document.rating_scale
        ],
        aggregation_rule=document.aggregation.rule,
        aggregation_tolerance=document.aggregation.tolerance,
        standard_identifier=document.standard.identifier if document.standard else "",
        standard_status=document.standard.status if document.standard else "",
        application=document.application,
    )
    _insert_tree(version, document)
    if tenant is not None:
        audit.record(
            verb="model.imported",
            obj=version,
            actor=by,
            tenant=tenant,
            action="create",
            changes={"version": [None, version.version]},
        )
    return version


def _insert_tree(version, document):
    """Bulk-insert the domains (one INSERT per depth), items (one per depth of sub-items),
    requirements, level cells and expected evidence (in batches)."""
    position = 0
    level_nodes = [(node, None) for node in document.domains]
    depth = 0
    pending_items = []  # (item node, domain row, parent item row) of the next depth of items
    while level_nodes:
        rows = []
        for node, parent in level_nodes:
            position += 1
            rows.append(
                Domain(
                    version=version,
                    parent=parent,
                    code=node.code,
                    name_en=node.name.en,
                    name_zh=node.name.zh,
                    depth=depth,
                    position=position,
                )
            )
        Domain.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        next_level = []
        for (node, _parent), row in zip(level_nodes, rows, strict=True):
            next_level.extend((child, row) for child in node.domains)
            pending_items.extend((item, row, None) for item in node.items)
        level_nodes = next_level
        depth += 1
    leaves = []  # (item node, item row)
    while pending_items:
        rows = []
        for item, domain_row, parent_row in pending_items:
            position += 1
            rows.append(
                CapabilityItem(
                    version=version,
                    domain=domain_row,
                    parent=parent_row,
                    is_leaf=item.is_leaf,
                    code=item.code,
                    name_en=item.name.en,
                    name_zh=item.name.zh,
                    description_en=item.description.en if item.description else "",
                    description_zh=item.description.zh if item.description else "",
                    tags=list(item.tags),
                    position=position,
                )
            )
        CapabilityItem.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        next_items = []
        for (item, domain_row, _parent), row in zip(pending_items, rows, strict=True):
            next_items.extend((child, domain_row, row) for child in item.items)
            if item.is_leaf:
                leaves.append((item, row))
        pending_items = next_items
    requirement_rows, cell_rows, cell_nodes = [], [], []
    for item, item_row in leaves:
        for requirement in item.requirements:
            position += 1
            requirement_rows.append(
                LevelRequirement(
                    version=version,
                    item=item_row,
                    code=requirement.code,
                    level=requirement.level,
                    text_en=requirement.text.en,
                    text_zh=requirement.text.zh,
                    position=position,
                )
            )
        for cell in item.cells:
            position += 1
            cell_rows.append(
                LevelCellRow(
                    version=version,
                    item=item_row,
                    level=cell.level,
                    description_en=cell.description.en if cell.description else "",
                    description_zh=cell.description.zh if cell.description else "",
                    includes_lower_evidence=cell.includes_lower_evidence,
                    position=position,
                )
            )
            cell_nodes.append(cell)
    LevelRequirement.objects.bulk_create(requirement_rows, batch_size=BATCH_SIZE)
    LevelCellRow.objects.bulk_create(cell_rows, batch_size=BATCH_SIZE)
    evidence_rows = []
    for cell, cell_row in zip(cell_nodes, cell_rows, strict=True):
        for evidence in cell.evidence:
            position += 1
            evidence_rows.append(
                ExpectedEvidence(
                    version=version,
                    cell=cell_row,
                    code=evidence.code,
                    kind=evidence.kind,
                    text_en=evidence.text.en,
                    text_zh=evidence.text.zh,
                    position=position,
                )
            )
    ExpectedEvidence.objects.bulk_create(evidence_rows, batch_size=BATCH_SIZE)
    version.item_count = len(leaves)
    version.requirement_count = len(requirement_rows)
    version.save(update_fields=["item_count", "requirement_count"])


@transaction.atomic
def publish_version(*, version, by=None) -> ModelVersion:
    """Publish a draft: from now on it is immutable and engagements may use it."""
    _check_may_manage(by, version.tenant)
    version = ModelVersion.objects.with_scopes_disabled().select_for_update().get(pk=version.pk)
    if version.is_published:
        raise Conflict(_("This version is published already."))
    version.status = ModelVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    if version.tenant is not None:
        audit.record(
            verb="model.published",
            obj=version,
            actor=by,
            tenant=version.tenant,
            changes={"status": ["draft", "published"]},
        )
    return version


@transaction.atomic
def delete_draft(*, version, by=None) -> None:
    """Delete a draft uploaded by mistake. Published versions are never deleted."""
    _check_may_manage(by, version.tenant)
    if version.is_published:
        raise Conflict(_("A published version is never deleted."))
    if version.tenant is not None:
        audit.record(
            verb="model.draft_deleted",
            obj=version,
            actor=by,
            tenant=version.tenant,
            action="delete",
        )
    LevelRequirement.objects.with_scopes_disabled().filter(version=version).delete()
    ExpectedEvidence.objects.with_scopes_disabled().filter(version=version).delete()
    LevelCellRow.objects.with_scopes_disabled().filter(version=version).delete()
    CapabilityItem.objects.with_scopes_disabled().filter(version=version).delete()
    Domain.objects.with_scopes_disabled().filter(version=version).delete()
    model = version.model
    version.delete()
    if not model.versions.exists():
        model.delete()


def version_document(version) -> ModelDocument:
    """The version as a ModelDocument, from five queries (domains, items, requirements, level
    cells, expected evidence)."""
    domains = list(
        Domain.objects.with_scopes_disabled().filter(version=version).order_by("depth", "position")
    )
    items = list(
        CapabilityItem.objects.with_scopes_disabled().filter(version=version).order_by("position")
    )
    requirements = list(
        LevelRequirement.objects.with_scopes_disabled().filter(version=version).order_by("position")
    )
    cells = list(
        LevelCellRow.objects.with_scopes_disabled().filter(version=version).order_by("position")
    )
    evidence = list(
        ExpectedEvidence.objects.with_scopes_disabled().filter(version=version).order_by("position")
    )

    def text(en, zh):
        return LocalizedText(en, zh) if (en or zh) else None

    requirements_of = {}
    for r in requirements:
        requirements_of.setdefault(r.item_id, []).append(
            RequirementNode(code=r.code, level=r.level, text=LocalizedText(r.text_en, r.text_zh))
        )
    evidence_of = {}
    for e in evidence:
        evidence_of.setdefault(e.cell_id, []).append(
            EvidenceNode(e.code, e.kind, LocalizedText(e.text_en, e.text_zh))
        )
    cells_of = {}
    for c in cells:
        cells_of.setdefault(c.item_id, []).append(
            LevelCell(
                level=c.level,
                description=text(c.description_en, c.description_zh),
                evidence=tuple(evidence_of.get(c.pk, ())),
                includes_lower_evidence=c.includes_lower_evidence,
            )
        )
    children_items = {}
    for i in items:
        children_items.setdefault(i.parent_id, []).append(i)

    def build_item(i):
        return ItemNode(
            code=i.code,
            name=LocalizedText(i.name_en, i.name_zh),
            requirements=tuple(requirements_of.get(i.pk, ())),
            description=text(i.description_en, i.description_zh),
            items=tuple(build_item(child) for child in children_items.get(i.pk, ())),
            cells=tuple(cells_of.get(i.pk, ())),
            tags=tuple(i.tags),
        )

    items_of = {}
    for i in children_items.get(None, ()):
        items_of.setdefault(i.domain_id, []).append(build_item(i))
    children_of = {}
    for d in domains:
        children_of.setdefault(d.parent_id, []).append(d)

    def build(domain):
        return DomainNode(
            code=domain.code,
            name=LocalizedText(domain.name_en, domain.name_zh),
            domains=tuple(build(child) for child in children_of.get(domain.pk, ())),
            items=tuple(items_of.get(domain.pk, ())),
        )

    model = version.model
    return ModelDocument(
        code=model.code,
        version=version.version,
        name=LocalizedText(model.name_en, model.name_zh),
        levels=tuple(
            LevelDefinition(e["level"], LocalizedText(e["name_en"], e["name_zh"]))
            for e in version.levels
        ),
        domains=tuple(build(d) for d in children_of.get(None, ())),
        description=text(version.description_en, version.description_zh),
        notice=text(version.notice_en, version.notice_zh),
        format=version.format,
        layers=tuple(LocalizedText(x.get("en", ""), x.get("zh", "")) for x in version.layers),
        standard=(
            StandardReference(version.standard_identifier, version.standard_status)
            if version.standard_identifier
            else None
        ),
        rating_scale=tuple(
            RatingValueDefinition(
                v["value"],
                LocalizedText(v["name_en"], v["name_zh"]),
                v["counts_as_met"],
                v["progress"],
            )
            for v in version.rating_scale
        ),
        aggregation=AggregationRule(version.aggregation_rule, version.aggregation_tolerance),
        application=version.application,
    )


def export_version(version) -> str:
    """The version as YAML in the documented format: importing it gives the same model."""
    return dump_model(version_document(version))


@dataclass
class Change:
    code: str
    kind: str  # "item" or "requirement"
    what: str  # "added", "removed" or "changed"
    old: object = None
    new: object = None
    fields: list = field(default_factory=list)


def compare_versions(old: ModelVersion, new: ModelVersion) -> list[Change]:
    """Items and requirements added, removed or changed from `old` to `new`, by code."""
    before, after = version_document(old), version_document(new)
    changes = []

    def items_by_code(doc):
        """Every item and sub-item with the code of what it sits in (domain or parent item)."""
        located = {}

        def walk(item, container):
            located[item.code] = (item, container)
            for child in item.items:
                walk(child, item.code)

        for domain in doc.all_domains():
            for item in domain.items:
                walk(item, domain.code)
        return located

    old_items, new_items = items_by_code(before), items_by_code(after)
    for code in sorted(old_items.keys() | new_items.keys()):
        if code not in new_items:
            changes.append(Change(code, "item", "removed", old=old_items[code][0]))
        elif code not in old_items:
            changes.append(Change(code, "item", "added", new=new_items[code][0]))
        else:
            (o, od), (n, nd) = old_items[code], new_items[code]
            fields = [
                name
                for name, differs in (
                    ("name", o.name != n.name),
                    ("domain", od != nd),
                    ("description", o.description != n.description),
                    ("levels", o.cells != n.cells),
                    ("tags", o.tags != n.tags),
                )
                if differs
            ]
            if fields:
                changes.append(Change(code, "item", "changed", old=o, new=n, fields=fields))
    old_reqs = {r.code: r for r in before.all_requirements()}
    new_reqs = {r.code: r for r in after.all_requirements()}
    for code in sorted(old_reqs.keys() | new_reqs.keys()):
        if code not in new_reqs:
            changes.append(Change(code, "requirement", "removed", old=old_reqs[code]))
        elif code not in old_reqs:
            changes.append(Change(code, "requirement", "added", new=new_reqs[code]))
        else:
            o, n = old_reqs[code], new_reqs[code]
            fields = [
                name
                for name, differs in (("level", o.level != n.level), ("text", o.text != n.text))
                if differs
            ]
            if fields:
                changes.append(Change(code, "requirement", "changed", old=o, new=n, fields=fields))
    return changes
