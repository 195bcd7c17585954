"""A backing service restarting (PostgreSQL, Redis): the request that meets it is told to try
again (503 with Retry-After), not shown a server error; everything else still answers 500."""

import pytest
import redis
from django.db import OperationalError

from certificates import selectors


@pytest.fixture
def failing(monkeypatch, client):
    client.raise_request_exception = False

    def make(error):
        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(selectors, "public_certificate", fail)
        return client

    return make


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("the database system is shutting down"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6391."),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
    ],
)
def test_a_service_restarting_is_a_503_with_retry_after(db, failing, error):
    response = failing(error).get("/verify/ABC-2026-00001/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.content.decode()


def test_the_api_says_so_in_json(db, failing):
    response = failing(OperationalError("connection refused")).get("/api/v1/verify/ABC-2026-00001/")
    assert response.status_code == 503
    assert "try again" in response.json()["detail"]


def test_any_other_error_is_still_a_500(db, failing):
    response = failing(ValueError("a bug")).get("/verify/ABC-2026-00001/")
    assert response.status_code == 500
