"""Open Badges credentials and status lists: the writes (docs/architecture.md, "Open Badges
credentials"). Building, signing and checking are in certificates/openbadges.py."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from certificates import openbadges
from certificates.credentials import SigningNotConfigured
from certificates.models import Certificate, StatusList
from tenants.models import Tenant


def issue_credential(certificate) -> str:
    """The certificate's OB3 credential, made once: its status-list index allocated (a random
    free bit of the body's lists, herd privacy; the unique constraint settles a race), the
    claims signed with the body's key, both stored. Called by the worker before the PDF is
    signed, so a retried render attaches the same credential. Raises SigningNotConfigured."""
    key = openbadges.body_key(certificate.tenant)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                row = (
                    Certificate.objects.select_for_update(of=("self",))
                    .select_related("tenant", "organization", "model_version__model")
                    .get(pk=certificate.pk)
                )
                if row.credential:
                    return row.credential
                row.status_list_index = _free_index(row.tenant)
                row.credential = openbadges.sign(openbadges.credential_claims(row), key)
                row.save(update_fields=["status_list_index", "credential"])
                return row.credential
        except IntegrityError:  # another certificate took the same bit at the same moment
            continue
    raise RuntimeError("no free status-list index after 20 tries")


def _free_index(tenant) -> int:
    used = set(
        Certificate.objects.filter(tenant=tenant, status_list_index__isnull=False).values_list(
            "status_list_index", flat=True
        )
    )
    capacity = openbadges.MIN_LIST_BITS
    while len(used) * 2 >= capacity:
        capacity *= 2
    while True:
        index = secrets.randbelow(capacity)
        if index not in used:
            return index


def purposes_changed(before: str, after: str) -> list[str]:
    """The lists in which a status change flips the certificate's bit."""
    return [
        purpose
        for purpose, statuses in openbadges.STATUS_BITS.items()
        if (before in statuses) != (after in statuses)
    ]


def refresh_status_lists(tenant, purposes=None) -> dict[str, StatusList]:
    """Make the tenant's status list credentials again from the certificates' statuses (one
    query for all lists), signed and stored, in the caller's transaction: a status change and
    its bit are committed together. A body without a signing key keeps no list (served as
    404)."""
    purposes = purposes or StatusList.Purpose.values
    try:
        key = openbadges.body_key(tenant)
    except SigningNotConfigured:
        StatusList.objects.filter(tenant=tenant, purpose__in=purposes).delete()
        raise
    # One list writer at a time per body: the indexes are read after the lock, so a change
    # committed by another transaction meanwhile is in them (READ COMMITTED reads anew).
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))
    now = timezone.now()
    flagged = openbadges.flagged_indexes(tenant)
    stored = {row.purpose: row for row in StatusList.objects.filter(tenant=tenant)}
    for purpose in purposes:
        claims = openbadges.status_list_claims(tenant, purpose, flagged[purpose], now=now)
        row = stored.get(purpose) or StatusList(tenant=tenant, purpose=purpose)
        row.credential, row.generated_at = openbadges.sign(claims, key), now
        row.save()
        stored[purpose] = row
    return stored


def status_lists(tenant) -> dict[str, StatusList]:
    """The tenant's stored lists by purpose, made on first use; for public reads, in the
    tenant's scope. Raises SigningNotConfigured."""
    with scope(tenant=tenant):
        stored = {row.purpose: row for row in StatusList.objects.filter(tenant=tenant)}
        if len(stored) < len(StatusList.Purpose.values):
            with transaction.atomic():
                stored = refresh_status_lists(tenant)
    return stored
