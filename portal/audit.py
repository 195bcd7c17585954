"""Recording audit events: called by services inside the transaction of the change."""

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
