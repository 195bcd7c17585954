"""Evidence, certificates and reports on an S3-compatible store (`AWS_*` settings).

The suite starts an S3-protocol server of its own (moto's server mode, in a process of its own
on a free loopback port) and points the storage at it through the settings function production
uses (`portal.settings.s3_storage`): uploads are stored with their SHA-256, the render task
stores the signed PDF, downloads through the portal are streamed and re-checked (an altered or
missing object is refused with a message, never a 500), and /readyz says whether it answers.
"""

import hashlib
import socket
import subprocess
import sys
import tracemalloc
import uuid

import boto3
import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import Evidence
from portal.settings import s3_storage
from tests.engagement_world import PDF, advance, build_world, pdf_upload
from tests.workers import free_port, wait_for

pytestmark = pytest.mark.slow
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "assay-test", "AWS_SECRET_ACCESS_KEY": "assay-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3-protocol server in a process of its own (its memory is not the portal's)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _listening(port), timeout=60, what="the S3 test server")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _environment(endpoint, bucket):
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        **CREDENTIALS,
    }


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A new bucket on the test server, and the default storage pointed at it."""
    name = f"assay-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(_environment(s3_endpoint, name)),
    }
    client.bucket = name
    return client


def _object(bucket, key):
    return bucket.get_object(Bucket=bucket.bucket, Key=key)["Body"].read()


def _keys(bucket):
    listed = bucket.list_objects_v2(Bucket=bucket.bucket).get("Contents", [])
    return [entry["Key"] for entry in listed]


@pytest.fixture
def world(tenant, bucket):
    w = build_world(tenant)
    advance(w, "evidence")
    return w


def _api_upload(api, world, upload):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/evidence/",
        {"engagement": world.engagement.pk, "file": upload},
        format="multipart",
    )


def _evidence(world, evidence_id):
    with scope(tenant=world.tenant):
        return Evidence.objects.get(pk=evidence_id)


def test_uploaded_evidence_is_stored_in_the_bucket_with_its_sha256(world, bucket, api_for):
    content = PDF + b"%" + b"x" * (3 * 1024 * 1024) + b"\n%%EOF\n"  # several MB, multipart
    response = _api_upload(api_for(world.client), world, pdf_upload("big.pdf", content))
    assert response.status_code == 201, response.json()
    evidence = _evidence(world, response.json()["id"])
    assert evidence.sha256 == hashlib.sha256(content).hexdigest() == response.json()["sha256"]
    assert _keys(bucket) == [evidence.file.name]
    assert hashlib.sha256(_object(bucket, evidence.file.name)).hexdigest() == evidence.sha256


def test_the_web_upload_form_stores_in_the_bucket(world, bucket, client_for):
    response = client_for(world.client).post(
        reverse("assessments:evidence_upload", args=[world.tenant.slug, world.engagement.pk]),
        {"file": pdf_upload("form.pdf")},
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        evidence = Evidence.objects.get(engagement=world.engagement)
    assert _object(bucket, evidence.file.name) == PDF


def test_downloads_are_streamed_from_the_bucket_and_checked(world, bucket, api_for, client_for):
    content = PDF + b"%" + b"y" * (12 * 1024 * 1024) + b"\n%%EOF\n"
    evidence_id = _api_upload(api_for(world.client), world, pdf_upload("big.pdf", content)).json()[
        "id"
    ]
    api_url = f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/download/"
    web_url = reverse(
        "assessments:evidence_download", args=[world.tenant.slug, world.engagement.pk, evidence_id]
    )
    for client, url in ((api_for(world.assessor), api_url), (client_for(world.client), web_url)):
        tracemalloc.start()
        try:
            response = client.get(url)
            received = hashlib.sha256()
            for chunk in response.streaming_content:  # a streamed response, never one body
                received.update(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert response.status_code == 200 and response.streaming
        assert received.hexdigest() == hashlib.sha256(content).hexdigest()
        # The object spools to a temporary file past 1 MB: memory stays well below its size.
        assert peak < len(content) / 2, peak


def test_an_altered_object_is_refused_with_a_message(world, bucket, api_for, client_for):
    evidence_id = _api_upload(api_for(world.client), world, pdf_upload()).json()["id"]
    evidence = _evidence(world, evidence_id)
    bucket.put_object(Bucket=bucket.bucket, Key=evidence.file.name, Body=PDF + b"% altered\n")
    api = api_for(world.assessor).get(
        f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/download/"
    )
    assert api.status_code == 409
    assert "SHA-256" in api.json()["detail"]
    web = client_for(world.client).get(
        reverse(
            "assessments:evidence_download",
            args=[world.tenant.slug, world.engagement.pk, evidence_id],
        )
    )
    assert web.status_code == 409
    assert "no longer matches its recorded SHA-256" in web.content.decode()


def test_a_missing_object_is_refused_with_a_message(world, bucket, api_for):
    evidence_id = _api_upload(api_for(world.client), world, pdf_upload()).json()["id"]
    bucket.delete_object(Bucket=bucket.bucket, Key=_evidence(world, evidence_id).file.name)
    response = api_for(world.assessor).get(
        f"/api/v1/t/{world.tenant.slug}/evidence/{evidence_id}/download/"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "The stored file is missing."


@pytest.fixture
def s3_certificate(pdf_settings, bucket, granted, api_for, django_capture_on_commit_callbacks):
    """A certificate issued with the store on S3: the render task (eager) stores its PDF."""
    from certificates.models import Certificate

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(granted.officer).post(
            f"/api/v1/t/{granted.tenant.slug}/certificates/issue/",
            {"engagement": granted.engagement.pk},
            format="json",
        )
    assert response.status_code == 201, response.json()
    with scope(tenant=granted.tenant):
        return granted, Certificate.objects.get(pk=response.json()["id"])


def test_the_render_task_stores_the_signed_certificate_in_the_bucket(s3_certificate, bucket):
    _, certificate = s3_certificate
    assert certificate.status == "active"
    assert certificate.pdf.name in _keys(bucket)
    stored = _object(bucket, certificate.pdf.name)
    assert stored.startswith(b"%PDF")
    assert hashlib.sha256(stored).hexdigest() == certificate.sha256


def test_certificate_downloads_stream_and_refuse_an_altered_pdf(
    s3_certificate, bucket, api_for, client_for
):
    world, certificate = s3_certificate
    api_url = f"/api/v1/t/{world.tenant.slug}/certificates/{certificate.pk}/download/"
    web_url = reverse("certificates:download", args=[world.tenant.slug, certificate.pk])
    for client, url in ((api_for(world.officer), api_url), (client_for(world.client), web_url)):
        response = client.get(url)
        assert response.status_code == 200 and response.streaming, url
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == certificate.sha256
    bucket.put_object(Bucket=bucket.bucket, Key=certificate.pdf.name, Body=b"%PDF-1.7 forged")
    assert api_for(world.officer).get(api_url).status_code == 409
    web = client_for(world.client).get(web_url)
    assert web.status_code == 409
    assert "no longer matches its recorded SHA-256" in web.content.decode()


def test_readyz_reports_the_bucket_reachable(client, db, bucket):
    response = client.get("/readyz")
    assert response.json()["checks"]["storage"] == "ok"


def test_readyz_reports_a_missing_bucket(client, db, bucket, settings, s3_endpoint):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(_environment(s3_endpoint, "assay-no-such-bucket")),
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"].startswith("unavailable")


def test_readyz_reports_an_unreachable_store(client, db, settings):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(_environment(endpoint, "b"))}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable: EndpointConnectionError"
