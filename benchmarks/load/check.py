"""After the fault phase of `make bench-load` (run inside the production settings, as the owner):
what the faults must not have done. Reads the engagements issued during the phase as JSON on
standard input ({"issued": [engagement ids], "upload_engagement": id}); prints JSON:

- `certificates_active` / `certificates_lost`: issued engagements with / without an active
  certificate (a certificate row still `issuing` after the wait, or none at all, is lost);
- `certificate_numbers_duplicated`: numbers of the body held by more than one certificate;
- `uploads_half_stored`: evidence rows of the upload engagement whose stored file is missing or
  does not hash to the recorded SHA-256;
- `upload_files_without_row`: stored files of that engagement no row names (a transaction rolled
  back after the file was written; invisible to users, reclaimable).
"""

import hashlib
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.core.files.storage import default_storage  # noqa: E402
from django.db.models import Count  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from assessments.models import Evidence  # noqa: E402
from certificates.models import Certificate  # noqa: E402


def _intact(evidence):
    try:
        digest = hashlib.sha256()
        with default_storage.open(evidence.file.name, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == evidence.sha256


def main():
    asked = json.load(sys.stdin)
    issued = set(asked["issued"])
    with scopes_disabled():
        active = set(
            Certificate.objects.filter(
                engagement_id__in=issued, status=Certificate.Status.ACTIVE
            ).values_list("engagement_id", flat=True)
        )
        duplicated = (
            Certificate.objects.values("tenant_id", "number")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        rows = list(Evidence.objects.filter(engagement_id=asked["upload_engagement"]))
        half_stored = sum(1 for evidence in rows if not _intact(evidence))
        named = {evidence.file.name for evidence in rows}
        if rows:
            folder = os.path.dirname(rows[0].file.name)
            _, files = default_storage.listdir(folder)
            without_row = sum(1 for name in files if f"{folder}/{name}" not in named)
        else:
            without_row = 0
    print(
        json.dumps(
            {
                "certificates_active": len(active),
                "certificates_lost": len(issued - active),
                "certificate_numbers_duplicated": duplicated,
                "uploads_checked": len(rows),
                "uploads_half_stored": half_stored,
                "upload_files_without_row": without_row,
            }
        )
    )


if __name__ == "__main__":
    main()
