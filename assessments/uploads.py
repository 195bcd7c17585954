"""Evidence uploads: streamed to a temporary file while hashed and counted, then checked.

The upload handler replaces Django's defaults (settings.FILE_UPLOAD_HANDLERS): every uploaded
file goes to a temporary file in chunks, so memory does not grow with the file; the SHA-256 is
computed as the chunks arrive; a file over EVIDENCE_MAX_BYTES is skipped as soon as it passes the
limit and the reason is kept on the request for the form or the API to report.

The type is sniffed from the content, never taken from the name or the browser's claim, and
archives (ZIP and the Office/OpenDocument formats built on it) are opened and checked: entry
count, uncompressed size, no symlinks, no absolute or `..` paths, no encrypted members, no
member expanding more than MAX_INFLATE_RATIO times (a zip bomb). Every read of an archive is
bounded: the central directory's size is read from the end record before zipfile loads it, and
of each member only the first MEMBER_HEAD bytes are unpacked, to recognise it.

Refused by default, each with its reason (settings.EVIDENCE_REFUSED_KINDS): nested archives
(an Office or OpenDocument file inside a ZIP passes once checked itself), HTML, SVG, scripts
(shebang, `@echo off`, or a script's extension) and Office files with macros (a vbaProject.bin
part, Excel 4 macro sheets, OpenDocument Basic or scripts). Executables are refused always.
A name is never trusted to make a file acceptable, only to refuse it.
"""

import hashlib
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
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


# Kinds of file refused by default, each by its own reason (settings.EVIDENCE_REFUSED_KINDS): a
# browser runs HTML and SVG opened from a download; scripts and macros run when opened; a nested
# archive hides its contents from these checks. Executables are refused always.
REFUSABLE_KINDS = ("archive", "html", "svg", "script", "macro")
KIND_EXTENSIONS = {
    "archive": {"zip", "gz", "tgz", "tar", "bz2", "xz", "7z", "rar", "zst", "jar", "war", "cab"},
    "html": {"html", "htm", "xhtml", "shtml", "mht", "mhtml", "hta"},
    "svg": {"svg", "svgz"},
    "script": {
        "sh", "bash", "zsh", "ksh", "csh", "js", "mjs", "cjs", "jse", "vbs", "vbe", "wsf", "wsh",
        "ps1", "psm1", "psd1", "bat", "cmd", "com", "scr", "lnk", "reg", "msi",
    },
    "macro": {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "ppam", "sldm"},
}  # fmt: skip
MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin")  # any folder, any case
MACRO_FOLDERS = ("xl/macrosheets/", "basic/", "scripts/")  # Excel 4 macros; OpenDocument macros
MAX_INFLATE_RATIO = 100  # as Apache POI's ZipSecureFile: a member may expand 100 times at most
INFLATE_GRACE = 1024 * 1024  # members smaller than this unpacked are not held to the ratio
MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024  # the index of 10,000 entries with long paths, with room
MEMBER_HEAD = 4096  # bytes of each archive member read to recognise it
MAX_NESTED_DOCUMENT = 50 * 1024 * 1024  # an Office file in an archive, unpacked to be checked


def refused_kinds():
    return set(getattr(settings, "EVIDENCE_REFUSED_KINDS", REFUSABLE_KINDS))


def _kind_message(kind, name):
    messages = {
        "archive": _("The archive contains another archive, which is not accepted: %(name)s"),
        "html": _("HTML pages are not accepted as evidence: %(name)s"),
        "svg": _("SVG images are not accepted as evidence (they can run scripts): %(name)s"),
        "script": _("Scripts are not accepted as evidence: %(name)s"),
        "macro": _("Office files with macros are not accepted as evidence: %(name)s"),
    }
    return messages[kind] % {"name": display_name(name)}


def _refuse_kind(kind, name):
    if kind in refused_kinds():
        raise Refused(_kind_message(kind, name))


def _name_kind(name):
    base = (name or "").replace("\\", "/").split("/")[-1].lower()
    extension = base.rsplit(".", 1)[-1] if "." in base else ""
    return next((kind for kind, names in KIND_EXTENSIONS.items() if extension in names), None)


EXECUTABLE_MAGIC = [
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows (PE)"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java"),
]
SIMPLE_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ARCHIVE_MAGIC = [
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"MSCF", "application/vnd.ms-cab-compressed"),
]
# What a browser takes for HTML at the start of a document (WHATWG MIME Sniffing, 7.1).
HTML_STARTS = [
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
]  # fmt: skip
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _executable(head):
    return next((kind for magic, kind in EXECUTABLE_MAGIC if head.startswith(magic)), None)


def _archive(head):
    if head.startswith(ZIP_MAGIC):
        return "application/zip"
    if head[257:262] == b"ustar":
        return "application/x-tar"
    return next((kind for magic, kind in ARCHIVE_MAGIC if head.startswith(magic)), None)


def _text_kind(head):
    """ "html", "svg" or "script" when a text's first bytes say so, else None."""
    text = head[:MEMBER_HEAD].lower().removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c")
    if text.startswith(b"#!") or text.startswith(b"@echo off"):
        return "script"
    if not text.startswith(b"<"):
        return None
    if text.startswith((b"<svg", b"<!doctype svg")) or (
        text.startswith(b"<?xml") and b"<svg" in text
    ):
        return "svg"
    if text.startswith(b"<?xml") and (b"<html" in text or b"/xhtml" in text):
        return "html"
    for start in HTML_STARTS:
        if text.startswith(start) and text[len(start) : len(start) + 1] in (b" ", b">"):
            return "html"
    return None


def _is_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the end of the sample
    return True


TEXT_TYPES = {
    "html": "text/html",
    "svg": "image/svg+xml",
    "script": "text/plain",
    None: "text/plain",
}


def sniff(handle, name="") -> str:
    """The content type of an open binary file, from its bytes (and its name, for the kinds
    refused by name). Raises Refused with the reason."""
    handle.seek(0)
    head = handle.read(65536)
    handle.seek(0)
    if not head:
        raise Refused(_("The file is empty."))
    executable = _executable(head)
    if executable:
        raise Refused(
            _("Executable files (%(kind)s) are not accepted as evidence.") % {"kind": executable}
        )
    kind = _name_kind(name)
    if kind and kind != "archive":  # an archive is known by its content, checked below
        _refuse_kind(kind, name)
    for magic, content_type in SIMPLE_MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(ZIP_MAGIC):
        return _zip_type(handle, name)
    archive = _archive(head)
    if archive:
        return archive
    if _is_text(head):
        kind = _text_kind(head)
        if kind:
            _refuse_kind(kind, name)
        return TEXT_TYPES[kind]
    raise Refused(_("The type of this file could not be recognised; it is not accepted."))


def _central_directory(handle):
    """(entries, bytes) of a ZIP's central directory, read from its end record alone: zipfile
    reads the whole directory into memory before any entry can be counted."""
    handle.seek(0, 2)
    end = handle.tell()
    handle.seek(max(0, end - 22 - 65535))
    tail = handle.read()
    position = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) - position < 22:
        raise zipfile.BadZipFile("no end of central directory")
    record = struct.unpack("<4s4H2LH", tail[position : position + 22])
    entries, size = record[4], record[5]
    locator = tail[max(0, position - 20) : position]
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and locator[:4] == b"PK\x06\x07":
        handle.seek(struct.unpack("<4sLQL", locator)[2])
        zip64 = handle.read(56)
        if zip64[:4] != b"PK\x06\x06" or len(zip64) < 56:
            raise zipfile.BadZipFile("damaged ZIP64 end of central directory")
        entries, size = struct.unpack("<4sQ2H2L4Q", zip64)[7:9]
    handle.seek(0)
    return entries, size


def _member_head(archive, entry, size=MEMBER_HEAD):
    # A deflated member gives back at most `size` bytes for a read of `size`: bounded memory.
    with archive.open(entry) as member:
        return member.read(size)


def _zip_type(handle, name="", nested=False):
    try:
        entries_declared, directory_size = _central_directory(handle)
        if entries_declared > MAX_ARCHIVE_ENTRIES or directory_size > MAX_CENTRAL_DIRECTORY:
            raise Refused(
                _("The archive has more than %(n)d entries.") % {"n": MAX_ARCHIVE_ENTRIES}
            )
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ARCHIVE_ENTRIES:
                raise Refused(
                    _("The archive has more than %(n)d entries.") % {"n": MAX_ARCHIVE_ENTRIES}
                )
            total = 0
            for entry in entries:
                _check_entry(entry)
                total += entry.file_size
            if total > MAX_ARCHIVE_UNCOMPRESSED:
                raise Refused(
                    _("The archive would unpack to more than %(n)d GB.")
                    % {"n": MAX_ARCHIVE_UNCOMPRESSED // 1024**3}
                )
            document = _document_type(archive, entries)
            if document:
                if any(_is_macro_part(entry.filename) for entry in entries):
                    _refuse_kind("macro", name)
                return document
            if nested:
                _refuse_kind("archive", name)
                return "application/zip"
            for entry in entries:
                if not entry.is_dir():
                    _check_member(archive, entry)
            return "application/zip"
    except Refused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error) as error:
        raise Refused(_("The archive is damaged and cannot be read.")) from error


def _check_entry(entry):
    """What the archive's index says of one entry: path, link, encryption, method, ratio."""
    name = entry.filename.replace("\\", "/")
    if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
        raise Refused(
            _("The archive contains an unsafe path: %(name)s") % {"name": entry.filename[:100]}
        )
    if stat.S_ISLNK(entry.external_attr >> 16):
        raise Refused(
            _("The archive contains a symbolic link: %(name)s") % {"name": entry.filename[:100]}
        )
    if entry.flag_bits & 0x1:
        raise Refused(
            _("The archive contains an encrypted file, which cannot be checked: %(name)s")
            % {"name": entry.filename[:100]}
        )
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # zipfile unpacks bzip2 and LZMA members without a bound on the output of one read.
        raise Refused(
            _("The archive uses a compression method that is not accepted: %(name)s")
            % {"name": entry.filename[:100]}
        )
    if entry.file_size > INFLATE_GRACE and entry.file_size > MAX_INFLATE_RATIO * max(
        entry.compress_size, 1
    ):
        raise Refused(
            _(
                "The archive member %(name)s expands more than %(ratio)d times: "
                "it looks like a zip bomb."
            )
            % {"name": entry.filename[:100], "ratio": MAX_INFLATE_RATIO}
        )


def _document_type(archive, entries):
    """The Office or OpenDocument type of an archive, or None for a plain ZIP."""
    by_name = {entry.filename: entry for entry in entries}
    if "mimetype" in by_name:
        mimetype = _member_head(archive, by_name["mimetype"], 100)
        mimetype = mimetype.decode("ascii", "replace").strip()
        if mimetype.startswith("application/vnd.oasis.opendocument."):
            return mimetype
    if "[Content_Types].xml" in by_name:
        for prefix, content_type in OOXML.items():
            if any(name.startswith(prefix) for name in by_name):
                return content_type
    return None


def _is_macro_part(name):
    lowered = name.replace("\\", "/").lower()
    return lowered.split("/")[-1] in MACRO_PARTS or lowered.startswith(MACRO_FOLDERS)


def _check_member(archive, entry):
    """One member of a plain ZIP, from its name and its first bytes only."""
    name = entry.filename
    kind = _name_kind(name)
    if kind and kind != "archive":
        _refuse_kind(kind, name)
    head = _member_head(archive, entry)
    executable = _executable(head)
    if executable:
        raise Refused(
            _("The archive contains an executable file (%(kind)s): %(name)s")
            % {"kind": executable, "name": display_name(name)}
        )
    if head.startswith(ZIP_MAGIC) and "archive" in refused_kinds():
        _check_nested_document(archive, entry)
    elif _archive(head) or kind == "archive":
        _refuse_kind("archive", name)
    elif _is_text(head):
        kind = _text_kind(head)
        if kind:
            _refuse_kind(kind, name)


def _check_nested_document(archive, entry):
    """A ZIP inside the archive passes only as an Office or OpenDocument file, itself checked
    (macros included): it is unpacked, up to MAX_NESTED_DOCUMENT, to a temporary file."""
    if entry.file_size > MAX_NESTED_DOCUMENT:
        _refuse_kind("archive", entry.filename)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as copy:
        with archive.open(entry) as member:
            for chunk in iter(lambda: member.read(1024 * 1024), b""):
                copy.write(chunk)
        _zip_type(copy, entry.filename, nested=True)


def check(uploaded) -> Checked:
    """Check an uploaded file (from HashingUploadHandler). Raises Refused with the reason."""
    if uploaded.size == 0:
        raise Refused(_("The file is empty."))
    if uploaded.size > max_bytes():
        raise Refused(
            _("The file is larger than the limit of %(limit)s MB.")
            % {"limit": max_bytes() // (1024 * 1024)}
        )
    content_type = sniff(uploaded, getattr(uploaded, "name", "") or "")
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
