"""Fixtures for certificate tests: fonts, development signing credentials, a granted engagement."""

import http.server
import shutil
import subprocess
import sys
import threading

import pytest
from django_scopes import scope

from certificates.credentials import ensure_dev_credentials
from certificates.pdf.fonts import build_font_cache
from tests.engagement_world import advance, build_world


@pytest.fixture(scope="session")
def pdf_fonts(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pdf-fonts")
    build_font_cache(directory)
    return directory


@pytest.fixture(scope="session")
def dev_ca_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dev-ca")


@pytest.fixture(scope="session")
def dev_tsa_url(dev_ca_dir):
    """The development TSA and CRL server (manage.py run_dev_tsa) on a free loopback port."""
    from certificates.pdf.dev_tsa import make_server

    server = make_server(dev_ca_dir)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def pdf_settings(settings, pdf_fonts, dev_ca_dir, dev_tsa_url, tmp_path):
    settings.PDF_FONT_DIR = pdf_fonts
    settings.DEV_CA_DIR = dev_ca_dir
    settings.CERTIFICATE_TRUST_ROOTS = [str(dev_ca_dir / "dev-ca.pem")]
    settings.TSA_URL = dev_tsa_url
    settings.SIGNING_CRL_FILES = [str(dev_ca_dir / "dev-ca.crl")]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    return settings


@pytest.fixture
def granted(tenant, pdf_settings):
    """A closed engagement granted at level 3, its tenant with development credentials."""
    world = build_world(tenant, items=2)
    advance(world, "closed")
    with scope(tenant=tenant):
        ensure_dev_credentials(tenant)
    return world


@pytest.fixture
def loopback_server():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.end_headers()
            self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def issued_certificate(granted, api_for, django_capture_on_commit_callbacks):
    """An active certificate of `granted`, its signed PDF made by the worker task at once."""
    from certificates.models import Certificate

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(granted.officer).post(
            f"/api/v1/t/{granted.tenant.slug}/certificates/issue/",
            {"engagement": granted.engagement.pk},
            format="json",
        )
    assert response.status_code == 201, response.json()
    with scope(tenant=granted.tenant):
        return Certificate.objects.get(pk=response.json()["id"])


@pytest.fixture
def report_versions(granted, api_for, django_capture_on_commit_callbacks):
    """Two versions of the report of a granted engagement, rendered and signed by the worker
    task; returns (world, [version 1, version 2])."""
    from certificates.models import Report

    versions = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_for(granted.lead).post(
                f"/api/v1/t/{granted.tenant.slug}/reports/",
                {"engagement": granted.engagement.pk},
                format="json",
            )
        assert response.status_code == 201, response.json()
        with scope(tenant=granted.tenant):
            report = Report.objects.get(pk=response.json()["id"])
        assert report.status == Report.Status.READY, report.last_error
        versions.append(report)
    return granted, versions


def trusting_nss_db(directory, ca_path):
    """An NSS database in ``directory`` trusting ``ca_path`` for signatures, as pdfsig reads
    trust: the README's command (``,C,``; ``C,,`` would trust it for TLS servers only)."""
    import subprocess

    database = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "--empty-password", "-d", database], check=True)
    subprocess.run(
        ["certutil", "-A", "-n", "ca", "-t", ",C,", "-i", str(ca_path), "-d", database],
        check=True,
    )
    return database


def run_openssl_check(pdf_path, *cas, script=None):
    """(exit code, output) of the OpenSSL check (certificates/offline/openssl_check.py, or a
    downloaded copy at ``script``) on ``pdf_path`` with the CA files ``cas``."""
    from certificates.trust import OPENSSL_CHECK

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    options = [option for ca in cas for option in ("--ca", str(ca))]
    result = subprocess.run(
        [sys.executable, str(script or OPENSSL_CHECK), str(pdf_path), *options],
        capture_output=True,
        text=True,
    )
    return result.returncode, result.stdout + result.stderr
