"""The client's address, the one key of every limiter (django-ratelimit, DRF throttles, axes).

Behind reverse proxies REMOTE_ADDR is the nearest proxy, the same for everyone; the
`X-Forwarded-For` header carries the client, but its left part is whatever the client wrote.
Each proxy appends the address it saw, so with `TRUSTED_PROXY_COUNT` proxies in front of the
portal the client is the entry that many places from the right; anything to its left is ignored.
"""

import ipaddress

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


def _address(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The address of the client that sent `request` (a Django or DRF request)."""
    meta = request.META
    peer = meta.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return peer
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        # The request did not come through every proxy we were told of: only the peer is known.
        return peer
    return _address(forwarded[-trusted]) or peer


class ClientAddressRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed on `client_ip` (DRF's own reading trusts any forwarded
    header when NUM_PROXIES is unset)."""

    def get_ident(self, request):
        return client_ip(request)
