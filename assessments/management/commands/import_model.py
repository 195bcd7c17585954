from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from assessments.model_format import FILE_FORMATS, ModelFormatError, read_model_file
from assessments.services import library
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Import a capability model version from a YAML file: Assay's format or a CISO Assistant "
        "framework library (docs/model-format.md), detected from the content unless --from "
        "says which. A broken file is refused whole, with every problem listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--tenant", help="slug of the assessment body owning the model")
        parser.add_argument("--publish", action="store_true", help="publish it at once")
        parser.add_argument(
            "--from",
            dest="file_format",
            choices=FILE_FORMATS,
            help="the file's format (default: detected from its content)",
        )

    def handle(self, *args, file, tenant=None, publish=False, file_format=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            document = read_model_file(path.read_bytes(), file_format)
        except ModelFormatError as error:
            for problem in error.problems:
                self.stderr.write(f"{file}: line {problem.line}: {problem.path}: {problem.message}")
            raise CommandError(
                f"{file}: {len(error.problems)} problem(s); nothing imported"
            ) from None
        for warning in document.warnings:
            self.stderr.write(
                f"{file}: line {warning.line}: {warning.path}: warning: {warning.message}"
            )
        with scopes_disabled():
            owner = None
            if tenant:
                owner = Tenant.objects.filter(slug=tenant).first()
                if owner is None:
                    raise CommandError(f"no assessment body with slug {tenant!r}")
            try:
                version = library.import_model_document(document=document, tenant=owner)
                if publish:
                    library.publish_version(version=version)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Imported {document.code} {document.version}: {version.item_count} items, "
            f"{version.requirement_count} requirements"
            + (" (published)" if publish else " (draft)")
        )
