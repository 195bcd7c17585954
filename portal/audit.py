"""Recording audit events: called by services inside the transaction of the change."""

from auditlog.cid import get_cid
from django.contrib.contenttypes.models import ContentType
from django.utils.encoding import smart_str

from portal.models import AuditEntry

ACTIONS = {
    "create": AuditEntry.Action.CREATE,
    "update": AuditEntry.Action.UPDATE,
    "delete": AuditEntry.Action.DELETE,
    "access": AuditEntry.Action.ACCESS,
}


def record(*, verb, obj, actor, tenant, engagement=None, changes=None, action="update", data=None):
    """Append one entry: `actor` did `verb` to `obj`; `changes` is {field: [old, new]}."""
    user = getattr(actor, "user", actor)
    return AuditEntry.objects.log_create(
        obj,
        force_log=True,
        action=ACTIONS[action],
        changes=changes or {},
        actor=user,
        actor_email=getattr(user, "email", None),
        tenant=tenant,
        engagement=engagement,
        verb=verb,
        additional_data=data or None,
    )


def entry(*, verb, obj, actor, tenant, engagement=None, changes=None, action="update", data=None):
    """The entry `record` writes, unsaved: several go in at once with `record_many`."""
    user = getattr(actor, "user", actor)
    return AuditEntry(
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
        object_id=obj.pk if isinstance(obj.pk, int) else None,
        object_repr=smart_str(obj),
        serialized_data=AuditEntry.objects._get_serialized_data_or_none(obj),
        cid=get_cid(),
        action=ACTIONS[action],
        changes=changes or {},
        actor=user,
        actor_email=getattr(user, "email", None),
        tenant=tenant,
        engagement=engagement,
        verb=verb,
        additional_data=data or None,
    )


def record_many(entries):
    """Append several entries made by `entry` in one INSERT (the autosave's hot path)."""
    return AuditEntry.objects.bulk_create(entries)


def diff(obj, fields, new_values):
    """{field: [old, new]} for the fields whose value changes (as strings, for the record)."""
    changes = {}
    for name in fields:
        if name not in new_values:
            continue
        old, new = getattr(obj, name), new_values[name]
        if old != new:
            changes[name] = [text(old), text(new)]
    return changes


def text(value):
    """A value as the audit trail keeps it: primary keys for objects, strings otherwise."""
    if value is None:
        return None
    return str(getattr(value, "pk", value))
