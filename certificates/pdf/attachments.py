"""Files embedded in a PDF before it is signed (issue 12: the Open Badges credential inside the
certificate). The attachment is an incremental revision written before the certification
signature, so the signature covers it and DocMDP "no changes" holds for what follows."""

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def attach_file(
    pdf_bytes: bytes, *, name: str, data: bytes, mime_type: str, description: str
) -> bytes:
    """``pdf_bytes`` with ``data`` embedded as the document-level file ``name`` (listed in the
    viewer's attachments panel, /AFRelationship /Alternative: the same facts as data)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    embedded = EmbeddedFileObject.from_file_data(
        writer, data, mime_type=mime_type, params=EmbeddedFileParams()
    )
    embed_file(
        writer,
        FileSpec(
            file_spec_string=name,
            file_name=name,
            embedded_data=embedded,
            description=description,
            af_relationship=generic.NameObject("/Alternative"),
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attached_files(pdf_bytes: bytes) -> dict[str, bytes]:
    """The document-level embedded files of a PDF, by name."""
    reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
    if "/Names" not in reader.root or "/EmbeddedFiles" not in reader.root["/Names"]:
        return {}
    files = {}
    _walk(reader.root["/Names"]["/EmbeddedFiles"], files)
    return files


def _walk(node, files):
    """A name tree's leaves (/Names pairs), through its /Kids."""
    node = node.get_object()
    for kid in node.get("/Kids", []):
        _walk(kid, files)
    entries = node["/Names"].get_object() if "/Names" in node else []
    for i in range(0, len(entries), 2):
        spec = entries[i + 1].get_object()
        files[str(entries[i])] = spec["/EF"]["/F"].get_object().data
