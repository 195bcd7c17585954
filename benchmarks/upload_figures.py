"""Uploading a 1 GB evidence file through a real web process: its peak memory must not grow
with the file (the upload streams to a temporary file, then to storage)."""

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django_scopes import scope, scopes_disabled

from assessments.model_format import load_model
from assessments.models import Engagement, Evidence, ModelVersion
from assessments.services import library
from benchmarks.engagement_figures import _tenant
from benchmarks.library_figures import synthetic_model
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.tokens import issue_api_token
from tests.zip_bomb import zip_bomb_bytes

ROOT = Path(__file__).resolve().parent.parent
SIZE = 1024**3
CHUNK = 1024 * 1024


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _body(boundary, engagement_id):
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="engagement"\r\n\r\n'
        f'{engagement_id}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big-evidence.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pdf_head = b"%PDF-1.7\n% a large scanned evidence file\n"
    length = len(head) + SIZE + len(tail)

    def chunks():
        yield head
        yield pdf_head
        sent = len(pdf_head)
        block = b"0" * CHUNK
        while sent < SIZE:
            piece = block[: min(CHUNK, SIZE - sent)]
            sent += len(piece)
            yield piece
        yield tail

    return length, chunks()


def figures():
    tenant, organization, users = _tenant()
    with scopes_disabled():
        client_user, _ = User.objects.get_or_create(email="client@bench-eng.test")
        Membership.objects.get_or_create(
            tenant=tenant,
            user=client_user,
            defaults={"role": Role.CLIENT_ADMIN, "organization": organization},
        )
        _, token_key = issue_api_token(user=client_user)
        version = ModelVersion.objects.filter(model__code="bench-upload").first()
        if version is None:
            version = library.import_model_document(
                document=load_model(synthetic_model("bench-upload", 5))
            )
            library.publish_version(version=version)
    with scope(tenant=tenant):
        engagement = Engagement.objects.create(
            tenant=tenant,
            reference=f"BENG-UP-{uuid.uuid4().hex[:6]}",
            organization=organization,
            model_version=version,
            target_level=3,
            created_by=users["tenant_admin"],
            state=Engagement.State.EVIDENCE,
        )
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "EVIDENCE_MAX_BYTES": str(2 * SIZE),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--nothreading",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/")
                connection.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        headers = {"Authorization": f"Token {token_key}"}
        # One small upload first, so what the process allocates once is not counted.
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="engagement"\r\n\r\n'
            f"{engagement.pk}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="small.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            f"%PDF-1.4\nsmall\r\n--{boundary}--\r\n"
        ).encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request(
            "POST",
            f"/api/v1/t/{tenant.slug}/evidence/",
            body=body,
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        warmup = connection.getresponse()
        assert warmup.status == 201, warmup.read()[:500]
        # A ZIP of about 1 MB whose one member unpacks to 1 GB: refused, read in bounded pieces.
        before_bomb = _rss_kb(server.pid, "VmHWM")
        bomb = zip_bomb_bytes("mimetype", SIZE)
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="engagement"\r\n\r\n'
                f"{engagement.pk}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="file"; filename="evidence.zip"\r\nContent-Type: application/zip\r\n\r\n'
            ).encode()
            + bomb
            + f"\r\n--{boundary}--\r\n".encode()
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request(
            "POST",
            f"/api/v1/t/{tenant.slug}/evidence/",
            body=body,
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        refused = connection.getresponse()
        assert refused.status == 400 and b"zip bomb" in refused.read(), refused.status
        bomb_delta = _rss_kb(server.pid, "VmHWM") - before_bomb
        before = _rss_kb(server.pid, "VmHWM")
        length, chunks = _body(boundary, engagement.pk)
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.putrequest("POST", f"/api/v1/t/{tenant.slug}/evidence/")
        for name, value in {
            **headers,
            "Content-Length": str(length),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        for chunk in chunks:
            connection.send(chunk)
        response = connection.getresponse()
        status = response.status
        response.read()
        elapsed = time.perf_counter() - started
        after = _rss_kb(server.pid, "VmHWM")
        assert status == 201, status
    finally:
        server.terminate()
        server.wait(timeout=30)
        with scope(tenant=tenant):
            for evidence in Evidence.objects.filter(engagement=engagement):
                evidence.file.delete(save=False)
    yield "zip_bomb_check_peak_rss_delta_mb", bomb_delta / 1024, "MB"
    yield "upload_1gb_peak_rss_delta_mb", (after - before) / 1024, "MB"
    yield "upload_1gb_s", elapsed, "s"
