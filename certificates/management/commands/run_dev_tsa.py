"""`manage.py run_dev_tsa`: the DEVELOPMENT timestamp authority and CRL of the development CA,
or with `--local-ca DIR` those of `make prod`'s local CA kept in DIR (scripts/prod.sh)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from certificates.pdf.dev_tsa import make_server
from certificates.pdf.signing import LOCAL_CA_NAME, LOCAL_CA_STEM


class Command(BaseCommand):
    help = "Serve the development CA's timestamp authority (POST /) and CRL (GET /dev-ca.crl)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8079)
        parser.add_argument(
            "--local-ca",
            metavar="DIR",
            help="serve the local CA of `make prod` kept in DIR (GET /local-ca.crl) instead",
        )

    def handle(self, *args, host, port, local_ca, **options):
        if local_ca:
            server = make_server(local_ca, host, port, ca_name=LOCAL_CA_NAME, ca_stem=LOCAL_CA_STEM)
            crl = f"{LOCAL_CA_STEM}.crl"
        else:
            server = make_server(settings.DEV_CA_DIR, host, port)
            crl = "dev-ca.crl"
        self.stdout.write(
            f"Timestamp authority on http://{host}:{port}/ and its CA's CRL at "
            f"http://{host}:{port}/{crl} (not for production)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
