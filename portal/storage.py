"""Stored files read back for a download: checked against their recorded SHA-256, then streamed.

The same code serves local disk and any S3-compatible store (settings: `AWS_*`). The file is
opened once: hashed in chunks, rewound, and that same handle is what the response streams, so
the bytes sent are exactly the bytes checked (on S3 the object is fetched once, into a
temporary file that stays in memory only up to `S3_SPOOL_MAX_MEMORY`, then spills to disk).
"""

import hashlib

from django.utils.translation import gettext as _

CHUNK = 1024 * 1024


class TamperedFile(Exception):
    """The stored file is gone or no longer matches the SHA-256 recorded when it was stored."""


def _missing(error):
    if isinstance(error, FileNotFoundError):
        return True
    response = getattr(error, "response", None)  # botocore's ClientError
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status == 404 or response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}
    return False


def open_verified(field, sha256):
    """An open handle on the stored file of `field` whose content hashes to `sha256`.

    Raises TamperedFile, with a message for people, when the file is missing or altered.
    The caller streams the handle (FileResponse closes it).
    """
    try:
        handle = field.storage.open(field.name, "rb")
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    except Exception as error:
        if _missing(error):
            raise TamperedFile(_("The stored file is missing.")) from error
        raise
    if digest.hexdigest() != sha256:
        handle.close()
        raise TamperedFile(_("The stored file no longer matches its recorded SHA-256."))
    handle.seek(0)
    return handle
