"""Give the application's PostgreSQL role the rights it needs, and no right over the audit trail
beyond appending to it and reading it.

Two roles: the owner (migrator) owns the tables and runs `migrate` and this command; the
application role, which the web and worker processes connect as, owns nothing. Only an owner
may TRUNCATE a table without the TRUNCATE grant, disable or drop its triggers or alter it, so
the append-only trigger of the audit table (portal migration 0002) cannot be switched off by
the application. The application role gets SELECT, INSERT, UPDATE and DELETE on every table of
the schema except the audit table (SELECT and INSERT only) and django_migrations (SELECT only),
use of the sequences, and the same rights on the tables later migrations make (default
privileges of the owner). Run it as the owner after `migrate`; running it again changes nothing.
"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

from portal.models import AuditEntry

ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def grant_statements(*, role, owner, database, schema):
    """The SQL, in order, that leaves `role` with the application's rights only."""
    q = _quote
    app, own, schema_name = q(role), q(owner), q(schema)
    audit_table = q(AuditEntry._meta.db_table)
    migrations_table = q(MigrationRecorder.Migration._meta.db_table)
    tables = f"ALL TABLES IN SCHEMA {schema_name}"
    return [
        f"GRANT CONNECT ON DATABASE {q(database)} TO {app}",
        f"GRANT USAGE ON SCHEMA {schema_name} TO {app}",
        f"REVOKE ALL ON {tables} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_name} TO {app}",
        # The audit trail: appended to and read, never rewritten (docs: README, PostgreSQL).
        f"REVOKE UPDATE, DELETE ON {audit_table} FROM {app}",
        f"REVOKE INSERT, UPDATE, DELETE ON {migrations_table} FROM {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {schema_name} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {schema_name} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


class Command(BaseCommand):
    help = (
        "Grant the application's PostgreSQL role its rights: normal reads and writes, but only "
        "INSERT and SELECT on the audit trail, and no TRUNCATE, trigger or ownership rights. "
        "Run as the role that owns the tables (the one that runs migrate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the role the web and workers use")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--sql", action="store_true", help="print the statements instead of running them"
        )

    def handle(self, *args, role, database, sql, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants are for PostgreSQL only.")
        if not ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a plain role name.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database(), current_schema()")
            owner, database_name, schema = cursor.fetchone()
            cursor.execute(
                "SELECT rolsuper, pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s",
                [role, owner, role],
            )
            found = cursor.fetchone()
            cursor.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = %s", [AuditEntry._meta.db_table]
            )
            table_owner = cursor.fetchone()
        if role == owner or (table_owner and role == table_owner[0]):
            raise CommandError(
                f"{role} owns the tables; the application must connect as a role that owns "
                "nothing. Run this command as the owner, for the application's role."
            )
        if found is None:
            raise CommandError(f"There is no role {role}: CREATE ROLE {role} LOGIN PASSWORD '…'.")
        is_superuser, is_member_of_owner = found
        if is_superuser or is_member_of_owner:
            raise CommandError(
                f"{role} is a superuser or a member of {owner}, so it could act as the owner "
                "of the tables; the application needs a role of its own."
            )
        statements = grant_statements(role=role, owner=owner, database=database_name, schema=schema)
        if sql:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        if options["verbosity"]:
            self.stdout.write(
                f"{role} may read and write the tables of {database_name}, and only insert into "
                f"and read {AuditEntry._meta.db_table}."
            )
