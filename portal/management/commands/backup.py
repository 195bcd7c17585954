from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's backup API) and every stored "
        "file into DEST, with a manifest of SHA-256 checksums (portal/backup.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="a new or empty directory")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        try:
            backup(options["dest"], alias=options["database"], write=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
