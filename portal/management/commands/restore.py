from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database and storage, after "
        "checking every checksum of its manifest. --force replaces what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("src", help="a directory made by `manage.py backup`")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--force", action="store_true", help="restore over a database that has tables"
        )

    def handle(self, *args, **options):
        try:
            restore(
                options["src"],
                alias=options["database"],
                force=options["force"],
                write=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
