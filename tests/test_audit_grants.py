"""On PostgreSQL the application's own database role cannot rewrite the audit trail: with the
grants of `manage.py grant_app_role`, it may insert and read audit entries, and nothing else
(no TRUNCATE, no disabling the append-only trigger, no UPDATE or DELETE).

The test connects as that role to the test database, as the web and worker processes would.
CI's PostgreSQL run makes the role (scripts/postgres.sh); elsewhere the test makes it when the
database user may create roles."""

import os

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection

from portal import audit
from portal.models import AuditEntry

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database roles and grants exist on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

APP_ROLE = os.environ.get("ASSAY_TEST_APP_ROLE", "assay_app")
APP_PASSWORD = os.environ.get("ASSAY_TEST_APP_PASSWORD", "assay_app")
TABLE = AuditEntry._meta.db_table


@pytest.fixture
def app_role(db):
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            try:
                cursor.execute(
                    f"CREATE ROLE {connection.ops.quote_name(APP_ROLE)} LOGIN PASSWORD %s",
                    [APP_PASSWORD],
                )
            except DatabaseError as error:
                if isinstance(error.__cause__, psycopg.errors.InsufficientPrivilege):
                    pytest.fail(
                        f"Make the PostgreSQL role {APP_ROLE} (LOGIN, password {APP_PASSWORD}),"
                        " e.g. with scripts/postgres.sh start, or let the test user create roles."
                    )
                if not isinstance(error.__cause__, psycopg.errors.DuplicateObject):
                    raise  # a duplicate: another test process made it meanwhile
    call_command("grant_app_role", role=APP_ROLE, verbosity=0)
    return APP_ROLE


@pytest.fixture
def as_app(app_role):
    """A connection to the test database as the application role, in autocommit."""
    import psycopg

    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        dbname=settings["NAME"],
        user=app_role,
        password=APP_PASSWORD,
        autocommit=True,
    )
    yield conn
    conn.close()


@pytest.fixture
def entry(tenant, admin_membership):
    return audit.record(verb="organization.test", obj=tenant, actor=admin_membership, tenant=tenant)


def _refused(conn, sql, *params):
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.cursor() as cursor:
        cursor.execute(sql, params or None)


def test_the_application_role_cannot_truncate_the_audit_trail(as_app, entry):
    _refused(as_app, f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_application_role_cannot_disable_or_drop_the_append_only_trigger(as_app, entry):
    _refused(as_app, f"ALTER TABLE {TABLE} DISABLE TRIGGER portal_auditentry_append_only")
    _refused(as_app, f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL")
    _refused(as_app, f"DROP TRIGGER portal_auditentry_append_only ON {TABLE}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'portal_auditentry_append_only'"
        )
        assert cursor.fetchone() == ("O",)  # still enabled


def test_the_application_role_cannot_update_or_delete_audit_entries(as_app, entry):
    _refused(as_app, f"UPDATE {TABLE} SET verb = 'rewritten' WHERE id = %s", entry.pk)
    _refused(as_app, f"DELETE FROM {TABLE} WHERE id = %s", entry.pk)
    assert AuditEntry.objects.get(pk=entry.pk).verb == "organization.test"


def test_the_application_role_inserts_and_reads_audit_entries(as_app, entry):
    columns = ", ".join(f.column for f in AuditEntry._meta.concrete_fields if not f.primary_key)
    with as_app.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {TABLE} WHERE id = %s",
            [entry.pk],
        )
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE verb = 'organization.test'")
        assert cursor.fetchone() == (2,)


def test_the_application_role_works_on_the_other_tables(as_app, tenant):
    with as_app.cursor() as cursor:
        cursor.execute("UPDATE tenants_tenant SET name = %s WHERE id = %s", ["Renamed", tenant.pk])
        assert cursor.rowcount == 1
    _refused(as_app, "TRUNCATE tenants_tenant CASCADE")


def test_grants_are_refused_for_the_role_that_owns_the_tables(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="owns"):
        call_command("grant_app_role", role=owner, verbosity=0)
