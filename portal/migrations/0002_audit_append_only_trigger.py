"""The database itself refuses to update or delete audit entries (PostgreSQL and SQLite)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION assay_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION assay_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS assay_audit_append_only();
"""


SQLITE_CREATE = [
    """CREATE TRIGGER portal_auditentry_no_update BEFORE UPDATE ON portal_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
    """CREATE TRIGGER portal_auditentry_no_delete BEFORE DELETE ON portal_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS portal_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS portal_auditentry_no_delete;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
