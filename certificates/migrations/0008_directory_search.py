"""The public directory's search key and scope codes on certificates, filled for existing rows,
and on PostgreSQL a trigram (pg_trgm, GIN) index on the key so that a partial name
(`LIKE '%…%'`) is found without reading every row. On SQLite the index is not made: the key is
searched with LIKE over the table (docs/architecture.md, "The public directory")."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

INDEX = "certificate_search_key_trgm"


def fill_keys(apps, schema_editor):
    from certificates.models import fold, scope_key

    Certificate = apps.get_model("certificates", "Certificate")
    rows = Certificate.objects.only(
        "pk", "organization_name", "organization_name_en", "number", "scope"
    )
    batch = []
    for row in rows.iterator(chunk_size=2000):
        row.search_key = fold(
            " ".join(filter(None, (row.organization_name, row.organization_name_en, row.number)))
        )
        row.scope_codes = scope_key(row.scope)[:500]
        batch.append(row)
        if len(batch) == 2000:
            Certificate.objects.bulk_update(batch, ["search_key", "scope_codes"])
            batch = []
    if batch:
        Certificate.objects.bulk_update(batch, ["search_key", "scope_codes"])


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON certificates_certificate "
            "USING gin (search_key gin_trgm_ops)"
        )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0007_complaints_and_appeals"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="scope_codes",
            field=models.CharField(blank=True, editable=False, max_length=500),
        ),
        migrations.AddField(
            model_name="certificate",
            name="search_key",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        # Both no-ops on SQLite: CreateExtension does nothing off PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
