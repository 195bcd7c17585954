"""The client's self-assessment (企业自评): its own level and target per in-scope leaf, before
the assessment starts."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments import policy
from assessments.models import SelfRating
from assessments.policy import Action
from portal import audit


@transaction.atomic
def self_assess(*, engagement, by, ratings):
    """Record the client's ratings: {item id: (level, target level or None, note)}. A level is
    0 (not even level 1) to the model's top level; items must be in scope. One audit entry per
    changed item."""
    policy.require(by, Action.SELF_ASSESS, engagement)
    top = engagement.model_version.top_level
    items = {item.pk: item for item in engagement.scope_items.filter(pk__in=list(ratings))}
    if len(items) != len(ratings):
        raise ValidationError({"ratings": _("Rate items in scope only.")})
    for level, target, _note in ratings.values():
        if (
            level is None
            or not 0 <= level <= top
            or (target is not None and not 1 <= target <= top)
        ):
            raise ValidationError({"ratings": _("Levels go from 0 to %(top)d.") % {"top": top}})
    existing = {
        r.item_id: r for r in SelfRating.objects.select_for_update().filter(engagement=engagement)
    }
    saved = []
    for item_id, (level, target, note) in ratings.items():
        row = existing.get(item_id)
        before = (row.level, row.target_level, row.note) if row else None
        if before == (level, target, note):
            saved.append(row)
            continue
        if row is None:
            row = SelfRating(tenant=engagement.tenant, engagement=engagement, item_id=item_id)
        row.level, row.target_level, row.note, row.rated_by = level, target, note, by.user
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
                "level": [str(before[0]) if before else None, str(level)],
                "target_level": [
                    str(before[1]) if before and before[1] is not None else None,
                    str(target) if target is not None else None,
                ],
            },
        )
        saved.append(row)
    return saved
