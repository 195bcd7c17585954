from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from assessments.models import Engagement, ModelVersion
from assessments.self_assessment_sheet import export_engagement_sheet, write_self_assessment_sheet


class Command(BaseCommand):
    help = (
        "Export a model version as a self-assessment spreadsheet (xlsx) in the layout of CAICT's "
        "sheet; with --engagement, with that engagement's organization, target level and "
        "assessed levels."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("version")
        parser.add_argument("--tenant", help="slug of the owning body, for a tenant's own model")
        parser.add_argument("--engagement", type=int, help="id of an engagement on this version")
        parser.add_argument("--language", choices=("zh", "en"), default="zh")
        parser.add_argument("-o", "--output", help="file to write (default: CODE-VERSION.xlsx)")

    def handle(
        self, *args, code, version, tenant=None, engagement=None, language, output=None, **options
    ):
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
            if engagement is not None:
                chosen = (
                    Engagement.objects.select_related("organization", "model_version")
                    .filter(pk=engagement, model_version=found)
                    .first()
                )
                if chosen is None:
                    raise CommandError(f"no engagement {engagement} on {code} {version}")
                data = export_engagement_sheet(chosen, language=language)
            else:
                data = write_self_assessment_sheet(found, language=language)
        path = output or f"{code}-{version}.xlsx"
        with open(path, "wb") as handle:
            handle.write(data)
        self.stdout.write(f"Wrote {path}")
