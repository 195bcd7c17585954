"""Evidence uploads: streamed to a temporary file while hashed and counted, then checked.

The upload handler replaces Django's defaults (settings.FILE_UPLOAD_HANDLERS): every uploaded
file goes to a temporary file in chunks, so memory does not grow with the file; the SHA-256 is
computed as the chunks arrive; a file over EVIDENCE_MAX_BYTES is skipped as soon as it passes the
limit and the reason is kept on the request for the form or the API to report.

The type is sniffed from the content, never taken from the name or the browser's claim, and
archives (ZIP and the Office/OpenDocument formats built on it) are opened and checked: entry
count, uncompressed size, no symlinks, no absolute or `..` paths.
"""

import hashlib
import stat
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

DEFAULT_ALLOWED_TYPES = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
]
MAX_ARCHIVE_ENTRIES = 10_000
MAX_ARCHIVE_UNCOMPRESSED = 2 * 1024**3


def max_bytes():
    return getattr(settings, "EVIDENCE_MAX_BYTES", 100 * 1024 * 1024)


def allowed_types():
    return getattr(settings, "EVIDENCE_ALLOWED_TYPES", DEFAULT_ALLOWED_TYPES)


class Refused(ValueError):
    """A file that is not accepted; the message says why, for people."""


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Streams every file to disk, hashing and counting; skips a file past the size limit."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.received = 0
        self.limit = max_bytes()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            errors = getattr(self.request, "upload_errors", {})
            errors[self.field_name] = _("The file is larger than the limit of %(limit)s MB.") % {
                "limit": self.limit // (1024 * 1024)
            }
            self.request.upload_errors = errors
            self.file.close()
            raise SkipFile()
        self.sha256.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.sha256 = self.sha256.hexdigest()
        return uploaded


@dataclass
class Checked:
    content_type: str
    sha256: str
    size: int


EXECUTABLE_MAGIC = [
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows (PE)"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java"),
    (b"#!", "script"),
]
SIMPLE_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(handle) -> str:
    """The content type of an open binary file, from its bytes. Raises Refused."""
    handle.seek(0)
    head = handle.read(65536)
    handle.seek(0)
    if not head:
        raise Refused(_("The file is empty."))
    for magic, kind in EXECUTABLE_MAGIC:
        if head.startswith(magic):
            raise Refused(
                _("Executable files (%(kind)s) are not accepted as evidence.") % {"kind": kind}
            )
    for magic, content_type in SIMPLE_MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_type(handle)
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as error:
            if error.start > len(head) - 4:  # a character cut at the end of the sample
                return "text/plain"
    raise Refused(_("The type of this file could not be recognised; it is not accepted."))


def _zip_type(handle):
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ARCHIVE_ENTRIES:
                raise Refused(
                    _("The archive has more than %(n)d entries.") % {"n": MAX_ARCHIVE_ENTRIES}
                )
            total = 0
            for entry in entries:
                name = entry.filename.replace("\\", "/")
                if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
                    raise Refused(
                        _("The archive contains an unsafe path: %(name)s")
                        % {"name": entry.filename[:100]}
                    )
                if stat.S_ISLNK(entry.external_attr >> 16):
                    raise Refused(
                        _("The archive contains a symbolic link: %(name)s")
                        % {"name": entry.filename[:100]}
                    )
                total += entry.file_size
            if total > MAX_ARCHIVE_UNCOMPRESSED:
                raise Refused(
                    _("The archive would unpack to more than %(n)d GB.")
                    % {"n": MAX_ARCHIVE_UNCOMPRESSED // 1024**3}
                )
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return mimetype
            if "[Content_Types].xml" in names:
                for prefix, content_type in OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
            return "application/zip"
    except zipfile.BadZipFile as error:
        raise Refused(_("The archive is damaged and cannot be read.")) from error


def check(uploaded) -> Checked:
    """Check an uploaded file (from HashingUploadHandler). Raises Refused with the reason."""
    if uploaded.size == 0:
        raise Refused(_("The file is empty."))
    if uploaded.size > max_bytes():
        raise Refused(
            _("The file is larger than the limit of %(limit)s MB.")
            % {"limit": max_bytes() // (1024 * 1024)}
        )
    content_type = sniff(uploaded)
    if content_type not in allowed_types():
        raise Refused(_("Files of type %(type)s are not accepted.") % {"type": content_type})
    sha256 = getattr(uploaded, "sha256", None) or _hash(uploaded)
    uploaded.seek(0)
    return Checked(content_type=content_type, sha256=sha256, size=uploaded.size)


def _hash(handle):
    """SHA-256 of a file read in chunks (for files that did not come through the handler)."""
    handle.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def display_name(name) -> str:
    """The user's file name as display text only: no path, no control characters."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    name = name.lstrip(".") or "file"
    return name[:200]
