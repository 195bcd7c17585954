import json

from django.core.management.base import BaseCommand, CommandError

from portal.backup import integrity_report


class Command(BaseCommand):
    help = (
        "Print, as JSON, the rows of every table, a digest of the audit trail and the stored "
        "files checked against their recorded SHA-256; fail if any file does not match. Run it "
        "before a backup and after its restore: the two outputs must be equal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        report = integrity_report(options["database"])
        self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
        if report["files"]["mismatched"]:
            raise CommandError(
                "files that do not match their SHA-256: " + ", ".join(report["files"]["mismatched"])
            )
