from django.core.management.base import BaseCommand

from assessments import demo as assessment_demo
from certificates import demo as certificate_demo
from tenants import demo as tenant_demo


class Command(BaseCommand):
    help = "Load the demo assessment body, its people and the shipped models. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--signing-dir",
            help="Sign the demo body's PDFs with a local CA kept in this directory (made once) "
            "instead of the development CA: what `make prod` does (scripts/prod.sh).",
        )

    def handle(self, *args, **options):
        tenant_demo.load(write=self.stdout.write)
        assessment_demo.load(write=self.stdout.write)
        assessment_demo.load_engagement(write=self.stdout.write)
        certificate_demo.load(write=self.stdout.write, signing_dir=options["signing_dir"])
        certificate_demo.load_certified(write=self.stdout.write)
