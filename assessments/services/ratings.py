"""Autosaved ratings of the rating grid: one level cell of a leaf, or one requirement, at a time.

Every save names the version it was made against (the sum of the versions of the ratings it
changes, 0 for a requirement never rated); a save against an older version is refused with the
current state, so two people rating the same cell never overwrite each other silently
(docs/architecture.md, "Ratings: optimistic saves"). The answer carries the row's level and its
"N-" display, recomputed from the item's requirements and ratings already read for the save.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import policy, scoring
from assessments.models import Engagement, Finding, LevelRequirement, RequirementRating
from assessments.policy import Action
from portal import audit
from portal.errors import Conflict

MIXED = "mixed"  # a cell whose requirements carry different ratings


@dataclass
class CellState:
    level: int
    rating: str | None  # the common rating of its requirements, MIXED, or None (not rated)
    note: str
    version: int
    requirements: list = field(default_factory=list)  # [{"id", "code", "rating", "note", …}]

    @property
    def complete(self):
        """Every requirement of the cell has a rating."""
        return all(r["rating"] is not None for r in self.requirements)

    def as_json(self):
        return {
            "level": self.level,
            "rating": self.rating,
            "complete": self.complete,
            "note": self.note,
            "version": self.version,
            "requirements": self.requirements,
        }


@dataclass
class RowState:
    """A leaf as the grid shows it: its level, "N-" display and its level cells."""

    item: int
    level: int
    display: str
    below_target: bool
    cells: list

    def as_json(self):
        return {
            "item": self.item,
            "level": self.level,
            "display": self.display,
            "below_target": self.below_target,
            "cells": [cell.as_json() for cell in self.cells],
        }


class StaleRating(Conflict):
    """Someone changed the cell since the grid read it: `current` is what it holds now."""

    def __init__(self, message, *, current):
        super().__init__(message)
        self.current = current


def cell_summary(ratings):
    """The one value a cell shows for the ratings of its requirements (None when unrated)."""
    values = {r.rating if r is not None else None for r in ratings}
    if values == {None}:
        return None
    if len(values) == 1:
        return values.pop()
    return MIXED


def cell_note(ratings):
    """The cell's note: the distinct notes of its requirements, in order."""
    notes = []
    for rating in ratings:
        if rating is not None and rating.note and rating.note not in notes:
            notes.append(rating.note)
    return "\n".join(notes)


def row_state(*, engagement, version, item_id, requirements, ratings):
    """The grid row of one leaf from its requirements and its ratings ({requirement id: row})."""
    by_level = {}
    for requirement in requirements:
        by_level.setdefault(requirement.level, []).append(requirement)
    cells = []
    for level, members in sorted(by_level.items()):
        rows = [ratings.get(r.pk) for r in members]
        cells.append(
            CellState(
                level=level,
                rating=cell_summary(rows),
                note=cell_note(rows),
                version=sum(r.version for r in rows if r is not None),
                requirements=[
                    {
                        "id": r.pk,
                        "code": r.code,
                        "rating": row.rating if row is not None else None,
                        "note": row.note if row is not None else "",
                        "version": row.version if row is not None else 0,
                    }
                    for r, row in zip(members, rows, strict=True)
                ],
            )
        )
    specs = [(r.code, r.level) for r in requirements]
    values = {r.code: ratings[r.pk].rating for r in requirements if r.pk in ratings}
    top, scale = version.top_level, version.scoring_scale()
    level = scoring.item_level(specs, values, top=top, scale=scale)
    partial = scoring.item_partial(specs, values, top=top, scale=scale)
    return RowState(
        item=item_id,
        level=level,
        display=scoring.level_display(level, partial),
        below_target=level < engagement.target_level,
        cells=cells,
    )


RATING_FIELDS = ("pk", "finding_id", "rating", "note", "version", "rated_by_id")


def _leaf(engagement, *, item_id, level, requirement_id):
    """Every requirement of the leaf being rated, those this save changes, the leaf's finding id
    and its ratings, from one query (the ratings come as subqueries per requirement). An item
    outside the engagement's scope, or of another tenant's engagement, has no requirement."""
    in_scope = Engagement.scope_items.through.objects.filter(engagement_id=engagement.pk)
    rows = LevelRequirement.objects.filter(item__in=in_scope.values("capabilityitem_id"))
    if requirement_id is not None:
        rows = rows.filter(item__requirements=requirement_id)
    else:
        rows = rows.filter(item=item_id)
    rated = RequirementRating.objects.filter(
        requirement=OuterRef("pk"), finding__engagement=engagement
    )
    finding = Finding.objects.filter(engagement=engagement, item=OuterRef("item_id"))
    every = list(
        rows.select_related("item")
        .annotate(
            leaf_finding=Subquery(finding.values("pk")[:1]),
            **{f"rated_{name}": Subquery(rated.values(name)[:1]) for name in RATING_FIELDS},
        )
        .order_by("level", "position")
    )
    if not every:
        name = "requirement" if requirement_id is not None else "item"
        raise ValidationError({name: _("This item is not in the engagement's scope.")})
    if requirement_id is not None:
        targets = [r for r in every if r.pk == requirement_id]
    else:
        targets = [r for r in every if r.level == level]
        if not targets:
            raise ValidationError({"level": _("This level of the item has no requirement.")})
    ratings = {
        r.pk: RequirementRating(
            requirement_id=r.pk, **{name: getattr(r, f"rated_{name}") for name in RATING_FIELDS}
        )
        for r in every
        if r.rated_pk is not None
    }
    return every, targets, every[0].leaf_finding, ratings


@transaction.atomic
def rate(
    *,
    engagement,
    by,
    rating,
    version,
    item_id=None,
    level=None,
    requirement_id=None,
    note=None,
    tokens=None,
):
    """An assessor rates one level cell of a leaf (`item_id` and `level`: every requirement of
    that level gets `rating`) or one requirement (`requirement_id`); `note`, when given, becomes
    the note of each.

    `version` is the version the person saw; a different current version refuses the save with
    StaleRating (409) carrying the current row, and nothing is written. Each changed rating gets
    its audit entry, all in one INSERT. Returns the row's new RowState. Reads the engagement's
    `tenant` and `model_version` (select them with it: policy.engagement_with_standing).
    """
    policy.require(by, Action.RECORD_FINDING, engagement, tokens=tokens)
    model_version = engagement.model_version
    if rating is not None and rating not in model_version.scoring_scale():
        raise ValidationError({"rating": _("Unknown rating: %(value)s") % {"value": rating}})
    if requirement_id is None and (item_id is None or level is None):
        raise ValidationError({"item": _("Name a requirement, or an item and a level.")})
    every, targets, finding_id, ratings = _leaf(
        engagement, item_id=item_id, level=level, requirement_id=requirement_id
    )
    item = every[0].item
    current = sum(ratings[r.pk].version for r in targets if r.pk in ratings)
    if version != current:
        raise _stale(engagement, model_version, item, every, targets, ratings)
    if rating is None and (note is None or any(t.pk not in ratings for t in targets)):
        raise ValidationError({"rating": _("Rate the requirement before writing a note on it.")})

    entries = []
    try:
        if finding_id is None:
            finding = Finding.objects.create(
                tenant=engagement.tenant, engagement=engagement, item=item, updated_by=by.user
            )
            entries.append(
                audit.entry(
                    verb="finding.recorded",
                    obj=finding,
                    actor=by,
                    tenant=engagement.tenant,
                    engagement=engagement,
                    action="create",
                    data={"item": item.code},
                )
            )
        else:
            finding = Finding(pk=finding_id, engagement=engagement, item=item)
        created = [
            RequirementRating(
                tenant=engagement.tenant,
                finding=finding,
                requirement=target,
                rating=rating,
                note=note or "",
                rated_by=by.user,
                version=1,
            )
            for target in targets
            if target.pk not in ratings
        ]
        RequirementRating.objects.bulk_create(created)
    except IntegrityError:
        # A concurrent save made the finding or a rating first; the transaction is spoilt
        # (PostgreSQL), so the current row cannot be read here: the grid reloads it.
        raise Conflict(_("Someone rated this item at the same moment: reload the page.")) from None
    changed = [
        (ratings[t.pk], t)
        for t in targets
        if t.pk in ratings
        and (ratings[t.pk].rating != rating or (note is not None and ratings[t.pk].note != note))
    ]
    if changed:
        # Optimistic on every database: each row changes only if it still has the version read.
        unchanged_since = Q()
        for row, _target in changed:
            unchanged_since |= Q(pk=row.pk, version=row.version)
        fields = {"rated_by": by.user, "rated_at": timezone.now()}
        if rating is not None:
            fields["rating"] = rating
        if note is not None:
            fields["note"] = note
        updated = RequirementRating.objects.filter(unchanged_since).update(
            version=F("version") + 1, **fields
        )
        if updated != len(changed):
            transaction.set_rollback(True)
            raise _stale(engagement, model_version, item, every, targets, None)
    for row in created:
        ratings[row.requirement_id] = row
        entries.append(
            audit.entry(
                verb="rating.recorded",
                obj=row,
                actor=by,
                tenant=engagement.tenant,
                engagement=engagement,
                action="create",
                changes={"rating": [None, row.rating]},
                data={"requirement": row.requirement.code},
            )
        )
    for row, target in changed:
        old = row.rating
        row.rating, row.version = rating or old, row.version + 1
        if note is not None:
            row.note = note
        entries.append(
            audit.entry(
                verb="rating.changed",
                obj=row,
                actor=by,
                tenant=engagement.tenant,
                engagement=engagement,
                changes={"rating": [old, row.rating]}
                if old != row.rating
                else {"note": ["…", "…"]},
                data={"requirement": target.code},
            )
        )
    audit.record_many(entries)
    return row_state(
        engagement=engagement,
        version=model_version,
        item_id=item.pk,
        requirements=every,
        ratings=ratings,
    )


def _stale(engagement, model_version, item, every, targets, ratings):
    """The refusal of a stale save, with the row as it is now (read again when a concurrent
    write got in between this save's read and its write)."""
    if ratings is None:
        _every, _targets, _finding, ratings = _leaf(
            engagement, item_id=item.pk, level=None, requirement_id=None
        )
    return StaleRating(
        _("%(who)s changed this rating in the meantime: it now shows their rating.")
        % {"who": _who_rated(ratings, targets)},
        current=row_state(
            engagement=engagement,
            version=model_version,
            item_id=item.pk,
            requirements=every,
            ratings=ratings,
        ),
    )


def _who_rated(ratings, targets):
    """The names of the people whose ratings the stale save would have overwritten."""
    from tenants.models import User

    ids = {ratings[r.pk].rated_by_id for r in targets if r.pk in ratings}
    names = sorted(str(user) for user in User.objects.filter(pk__in=ids))
    return ", ".join(names) or _("Someone")
