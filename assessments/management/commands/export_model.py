import sys

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from assessments.models import ModelVersion
from assessments.services.library import export_version


class Command(BaseCommand):
    help = "Export a capability model version as YAML (the format import_model reads)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("version")
        parser.add_argument("--tenant", help="slug of the owning body, for a tenant's own model")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, code, version, tenant=None, output=None, **options):
        with scopes_disabled():
            versions = ModelVersion.objects.select_related("model").filter(
                model__code=code, version=version
            )
            versions = (
                versions.filter(tenant__slug=tenant) if tenant else versions.filter(tenant=None)
            )
            found = versions.first()
            if found is None:
                raise CommandError(f"no model version {code} {version}")
            text = export_version(found)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
