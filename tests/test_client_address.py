"""The client's address: one function, honouring TRUSTED_PROXY_COUNT, keys every limiter."""

import pytest
from django.conf import settings
from django.test import RequestFactory

from portal.addresses import client_ip

PATHS = ["/verify/NOPE-2026-00001/", "/api/v1/verify/NOPE-2026-00001/"]
LIMIT = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"].split("/")[0])


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


def test_behind_one_proxy_the_address_it_saw_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended the address it really saw.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_outer_proxys_entry_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"


def test_a_request_that_skipped_the_proxies_keys_on_its_own_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("198.51.100.4", "203.0.113.9")) == "198.51.100.4"
    assert client_ip(_request("198.51.100.4")) == "198.51.100.4"


def test_a_malformed_forwarded_entry_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"


@pytest.mark.parametrize("path", PATHS)
def test_forged_forwarded_for_does_not_bypass_the_public_limit(client, db, empty_cache, path):
    for n in range(LIMIT):
        assert client.get(path, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 404
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.250").status_code == 429


@pytest.mark.parametrize("path", PATHS)
def test_behind_a_proxy_each_client_has_its_own_bucket(client, db, empty_cache, settings, path):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(LIMIT):
        assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 404
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy).status_code == 429
    # A forged first entry changes nothing: the proxy's own entry is the key.
    forged = "198.51.100.77, 203.0.113.1"
    assert client.get(path, HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 429
    assert client.get(path, HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy).status_code == 404
