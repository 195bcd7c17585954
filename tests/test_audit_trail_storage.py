"""The audit trail is append-only in the ORM and in the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from portal import audit
from portal.models import AppendOnly, AuditEntry


@pytest.fixture
def entry(tenant, admin_membership):
    return audit.record(verb="organization.test", obj=tenant, actor=admin_membership, tenant=tenant)


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm(entry):
    entry.verb = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(verb="x")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL"
)
def test_the_database_refuses_raw_updates_and_deletes(entry):
    table = AuditEntry._meta.db_table
    for sql in (f"UPDATE {table} SET verb = 'x'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).verb == "organization.test"
