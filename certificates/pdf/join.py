"""One PDF from the parts of a report rendered apart (pypdf), before its one signature.

A large report is rendered a few domains per part, in parallel on the `pdf` workers
(certificates/report_parts.py). Each part is laid out with no running header and no page
number (``REPORT_PART_CSS``): its own would restart at 1. :func:`join_parts` appends the parts'
pages in order (fonts, outline entries and links come along) and draws the page furniture of
the whole document over them: a WeasyPrint document of as many empty pages, with the report's
margin boxes (``report_page_rules``: the header from page 2 on, "n / total" on every page),
each of its pages merged onto the page of the same number. The result is what one render of
the whole report prints in its margins.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from .render import render_pdf
from .styles import REPORT_FURNITURE_CSS, report_page_rules


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line ends escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r", " ").replace("\n", "\\A ")
    return f'"{escaped}"'


def furniture_pdf(pages: int, *, header: str, font_dir: str | Path) -> bytes:
    """``pages`` empty A4 pages carrying only the report's header and page numbers."""
    html = "<!DOCTYPE html><html><body>" + '<div class="page"></div>' * pages + "</body></html>"
    css = report_page_rules(css_string(header)) + REPORT_FURNITURE_CSS
    return render_pdf(html, static_root=None, font_dir=font_dir, stylesheets=[css])


def join_parts(parts: Sequence[bytes], *, header: str, font_dir: str | Path) -> tuple[bytes, int]:
    """(the parts as one PDF with the header and page numbers of the whole, its page count)."""
    writer = PdfWriter()
    first = None
    for part in parts:
        reader = PdfReader(io.BytesIO(part))
        first = first or reader
        writer.append(reader)
    count = len(writer.pages)
    furniture = PdfReader(io.BytesIO(furniture_pdf(count, header=header, font_dir=font_dir)))
    if len(furniture.pages) != count:  # the furniture must match page for page
        raise ValueError(f"{len(furniture.pages)} pages of page furniture for {count} pages")
    for page, over in zip(writer.pages, furniture.pages, strict=True):
        page.merge_page(over)
    if first is not None and first.metadata:
        writer.add_metadata({k: v for k, v in first.metadata.items() if isinstance(v, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), count
