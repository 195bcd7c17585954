"""Load balancers' probes: /healthz says the process answers (no database touched), /readyz
that the database, the broker and the storage answer, and names the one that does not (503)."""

import pytest

from tests.workers import free_port


@pytest.fixture
def ready_settings(settings, tmp_path, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return settings


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django fails any query here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_when_database_broker_and_storage_answer(client, db, ready_settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_readyz_names_an_unreachable_broker(client, db, ready_settings):
    ready_settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable")


def test_readyz_names_missing_storage(client, db, ready_settings, tmp_path):
    missing = tmp_path / "nowhere"
    ready_settings.STORAGES = {
        **ready_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": missing},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"].startswith("unavailable")
    assert response.json()["checks"]["broker"] == "ok"


def test_readyz_names_an_unreachable_database(client, db, ready_settings, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "ensure_connection", refuse)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable: OperationalError"
