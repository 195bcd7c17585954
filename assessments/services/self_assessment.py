"""The client's self-assessment (企业自评): its own level and target per in-scope leaf, before
the assessment starts."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments import policy
from assessments.models import SelfRating
from assessments.policy import Action
from assessments.scoring import level_display, parse_level
from assessments.self_assessment_sheet import SheetError, read_self_assessment_sheet
from portal import audit


@transaction.atomic
def self_assess(*, engagement, by, ratings):
    """Record the client's ratings: {item id: (level, target level or None, note[, partial])}.
    A level is 0 (not even level 1) to the model's top level; `partial` (default False) says
    that part of the next level is met as well ("3-" is level 2 with `partial`). Items must be in
    scope. One audit entry per changed item."""
    policy.require(by, Action.SELF_ASSESS, engagement)
    top = engagement.model_version.top_level
    items = {item.pk: item for item in engagement.scope_items.filter(pk__in=list(ratings))}
    if len(items) != len(ratings):
        raise ValidationError({"ratings": _("Rate items in scope only.")})
    ratings = {pk: _with_partial(value) for pk, value in ratings.items()}
    for level, target, _note, partial in ratings.values():
        if (
            level is None
            or not 0 <= level <= top
            or (target is not None and not 1 <= target <= top)
        ):
            raise ValidationError({"ratings": _("Levels go from 0 to %(top)d.") % {"top": top}})
        if partial and not 1 <= level < top:
            raise ValidationError({"ratings": _("“N-” goes from 2- to %(top)d-.") % {"top": top}})
    existing = {
        r.item_id: r for r in SelfRating.objects.select_for_update().filter(engagement=engagement)
    }
    saved = []
    for item_id, (level, target, note, partial) in ratings.items():
        row = existing.get(item_id)
        before = (row.level, row.target_level, row.note, row.partial_next) if row else None
        if before == (level, target, note, partial):
            saved.append(row)
            continue
        if row is None:
            row = SelfRating(tenant=engagement.tenant, engagement=engagement, item_id=item_id)
        row.level, row.target_level, row.note = level, target, note
        row.partial_next, row.rated_by = partial, by.user
        row.save()
        audit.record(
            verb="self_assessment.rated",
            obj=row,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            action="update" if before else "create",
            changes={
                "item": [None, items[item_id].code],
                "level": [
                    level_display(before[0], before[3]) if before else None,
                    level_display(level, partial),
                ],
                "target_level": [
                    str(before[1]) if before and before[1] is not None else None,
                    str(target) if target is not None else None,
                ],
            },
        )
        saved.append(row)
    return saved


def _with_partial(value):
    level, target, note, *rest = value
    return level, target, note, bool(rest and rest[0])


@transaction.atomic
def import_sheet(*, engagement, by, file):
    """Record the client's self-assessment from a filled-in sheet in CAICT's layout (the sheet
    exported by Assay, or CAICT's own, matched by sub-item names): the 自评 column gives each
    leaf's level ("3" or "3-"); targets and notes already recorded are kept. Leaves of the model
    outside the engagement's scope are skipped and returned. A sheet with any problem stores
    nothing and raises ValidationError on `file`, one message per problem with its row."""
    policy.require(by, Action.SELF_ASSESS, engagement)
    version = engagement.model_version
    try:
        read = read_self_assessment_sheet(file, version)
    except SheetError as error:
        raise ValidationError({"file": [str(problem) for problem in error.problems]}) from None
    if not read:
        raise ValidationError({"file": _("The sheet rates no sub-item: fill in the 自评 column.")})
    in_scope = {item.code: item for item in engagement.scope_items.all()}
    current = {r.item_id: r for r in SelfRating.objects.filter(engagement=engagement)}
    top = version.top_level
    ratings, skipped = {}, []
    for code, value in read.items():
        item = in_scope.get(code)
        if item is None:
            skipped.append(code)
            continue
        level, partial = parse_level(value, top)
        mine = current.get(item.pk)
        ratings[item.pk] = (
            level,
            mine.target_level if mine else engagement.target_level,
            mine.note if mine else "",
            partial,
        )
    if not ratings:
        raise ValidationError(
            {"file": _("None of the sub-items rated in the sheet is in this engagement's scope.")}
        )
    return self_assess(engagement=engagement, by=by, ratings=ratings), sorted(skipped)
