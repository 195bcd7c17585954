"""The audit trail: one append-only table for every app, on django-auditlog's log entry model.

Services write entries explicitly (`portal.audit.record`) in the transaction of the change they
record, so bulk changes are recorded too. Entries cannot be updated or deleted through the ORM;
on PostgreSQL a trigger refuses it in the database as well (migration 0002), and the role the
application connects as has only INSERT and SELECT on the table and owns nothing, so it can
neither TRUNCATE it nor disable the trigger (`manage.py grant_app_role`).
"""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models

from tenants.models import Tenant


class AppendOnly(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("The audit trail is append-only.")

    def delete(self):
        raise AppendOnly("The audit trail is append-only.")

    _raw_delete = delete
    bulk_update = update


class AuditManager(LogEntryManager.from_queryset(AuditQuerySet)):
    pass


class AuditEntry(AbstractLogEntry):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    engagement = models.ForeignKey(
        "assessments.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # What happened in the domain's words, e.g. "engagement.transition", "rating.recorded".
    verb = models.CharField(max_length=60, db_index=True)

    objects = AuditManager()

    class Meta(AbstractLogEntry.Meta):
        abstract = False
        indexes = [models.Index(fields=["engagement", "timestamp"])]

    def change_rows(self):
        """[(field, old, new)] of the recorded changes, for display."""
        changes = self.changes if isinstance(self.changes, dict) else {}
        return [(name, *(list(values) + [None, None])[:2]) for name, values in changes.items()]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnly("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The audit trail is append-only.")
