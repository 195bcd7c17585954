"""`manage.py run_dev_tsa`: the DEVELOPMENT timestamp authority and CRL of the development CA."""

from django.conf import settings
from django.core.management.base import BaseCommand

from certificates.pdf.dev_tsa import make_server


class Command(BaseCommand):
    help = "Serve the development CA's timestamp authority (POST /) and CRL (GET /dev-ca.crl)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8079)

    def handle(self, *args, host, port, **options):
        server = make_server(settings.DEV_CA_DIR, host, port)
        self.stdout.write(
            f"Development TSA on http://{host}:{port}/ and its CRL at "
            f"http://{host}:{port}/dev-ca.crl (not for production)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
