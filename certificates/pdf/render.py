"""HTML to PDF with WeasyPrint, in the calling process.

A render interpolates text typed by clients into a layout engine written in Python and C; a
pathological page (a 10,000-row table, a huge image, a font bomb) must cost one failed job,
not the portal. Renders therefore run only in Celery worker processes of the `pdf` queue, and
the limits are Celery's own (docs/architecture.md, "PDF work on Celery's terms"): the task's
soft time limit raises ``SoftTimeLimitExceeded`` into the render (it passes through
:func:`render_pdf` unchanged), its hard time limit kills the worker process and the pool
replaces it, and ``worker_max_memory_per_child`` replaces a process that has grown past its
ceiling after the task that grew it. An earlier version forked a render process of its own
inside the worker, with ``RLIMIT_AS``/``RLIMIT_CPU`` and a pipe protocol; it saved ≈ 18 ms of
copy-on-write faults per render and cost 250 lines of process management that a well-kept
library already does (issue 12).

Every WeasyPrint object of a render gets the same
:class:`~certificates.pdf.fetcher.AssayURLFetcher` (nothing outside the static root and
``data:`` is ever read), a fresh ``FontConfiguration`` and the ``@font-face`` rules of
:mod:`certificates.pdf.fonts`; ``rel=attachment`` links are stripped before rendering, so a
template cannot embed a file in the PDF.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .fetcher import BASE_URL, DEFAULT_STATIC_URL, AssayURLFetcher
from .fonts import MissingGlyphs, font_set


class RenderError(Exception):
    """A PDF could not be rendered; the message says why."""


class RenderMemoryExceeded(RenderError):
    """The render ran out of memory (the process's limit or the machine's)."""


class RenderFailed(RenderError):
    """The layout engine raised an error; the message names it."""


class RenderRefused(RenderError):
    """The page would not say what its text says; rendering again cannot help."""


class UnprintableText(RenderRefused):
    """The text holds characters no font of the PDF can draw; the message names them."""

    def __init__(self, message: str, characters: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.characters = list(characters)


class LayoutOverflow(RenderRefused):
    """The text does not fit its boxes even at the smallest size the page allows."""


@dataclass(frozen=True)
class Fit:
    """Lay a page out with each of ``steps`` (extra CSS, largest type first) until it fits.

    It fits when the document has at most ``pages`` pages and every box with one of the classes
    ``regions`` holds all its content inside its own edges: text that grows shrinks or wraps
    within its box and never runs into another (docs/architecture.md, "PDF layout and fonts").
    """

    regions: tuple[str, ...]
    steps: tuple[str, ...]
    pages: int = 1
    what: str = "The text"
    # Boxes (by class) that must not overlap one another, e.g. the signature, the facts table,
    # the seal and the QR code inside the facts region.
    apart: tuple[str, ...] = ()


@dataclass
class PreparedDocument:
    """The WeasyPrint objects of one render, built with one fetcher and one font set-up."""

    html: HTML
    stylesheets: list[CSS]
    font_config: FontConfiguration
    fetcher: AssayURLFetcher
    font_css: str

    def write_pdf(self) -> bytes:
        return self.html.write_pdf(stylesheets=self.stylesheets, font_config=self.font_config)

    def close(self) -> None:
        """Delete the fonts WeasyPrint copied to a temporary directory for this document."""
        _remove_font_folder(self.font_config)


def _remove_font_folder(font_config: FontConfiguration) -> None:
    # FontConfiguration only does it when garbage-collected, which never happens in a process
    # that leaves by os._exit.
    folder = getattr(font_config, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        font_config._folder = None


def prepare_document(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    stylesheets: Sequence[str] = (),
    base_url: str | None = None,
    static_url: str = DEFAULT_STATIC_URL,
    font_config: FontConfiguration | None = None,
    unprintable: str = "refuse",
) -> PreparedDocument:
    """Parse ``html`` and ``stylesheets`` (CSS source text) for WeasyPrint, fonts included.

    Relative URLs resolve against ``base_url`` (default: the fetcher's virtual origin, where
    ``/static/...`` names files under ``static_root``). ``font_config`` must be unused: fonts
    of this document are added to it. A character no font draws raises
    :class:`UnprintableText` (``unprintable="refuse"``, certificates) or is printed as its code
    point, ``[U+1F600]`` (``"mark"``, reports quoting what clients typed).
    """
    base_url = base_url or BASE_URL
    fetcher = AssayURLFetcher(static_root, static_url=static_url)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    _strip_attachments(document)
    fonts = font_set(font_dir)
    text = _document_text(document, stylesheets)
    if unprintable == "mark":
        missing = fonts.missing_characters(text)
        if missing:
            _mark_characters(document, set(missing))
            text = _document_text(document, stylesheets)
    font_config = font_config or FontConfiguration()
    try:
        font_css = fonts.stylesheet(text, fetcher)
    except MissingGlyphs as error:
        raise UnprintableText(str(error), error.characters) from None
    sheets = [
        CSS(string=source, base_url=base_url, url_fetcher=fetcher, font_config=font_config)
        for source in (font_css, *stylesheets)
    ]
    return PreparedDocument(document, sheets, font_config, fetcher, font_css)


def render_pdf(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    stylesheets: Sequence[str] = (),
    base_url: str | None = None,
    static_url: str = DEFAULT_STATIC_URL,
    font_config: FontConfiguration | None = None,
    fit: Fit | None = None,
    unprintable: str = "refuse",
) -> bytes:
    """Render ``html`` to PDF bytes in this process.

    Raises :class:`UnprintableText` / :class:`LayoutOverflow` when the page would not say what
    its text says (see :class:`Fit` and :func:`prepare_document`); any other error of the
    layout engine comes back as :class:`RenderFailed` naming it. The limits are the caller's:
    a Celery task of the `pdf` queue (docs/architecture.md, "PDF work on Celery's terms").
    """
    try:
        return _layout(
            html,
            static_root=static_root,
            font_dir=font_dir,
            stylesheets=stylesheets,
            base_url=base_url,
            static_url=static_url,
            font_config=font_config,
            fit=fit,
            unprintable=unprintable,
            write=True,
        )
    except RenderError:
        raise
    except MemoryError:
        raise RenderMemoryExceeded("PDF render ran out of memory") from None
    except Exception as exc:
        if not _is_ours(exc):
            raise  # Celery's SoftTimeLimitExceeded and its kin: the task's to handle
        raise RenderFailed(f"PDF render failed: {type(exc).__name__}: {exc}") from exc


def _is_ours(exc: Exception) -> bool:
    """Whether ``exc`` came out of the layout engine, not from outside the render: Celery's
    soft time limit is raised into whatever code runs (billiard's ``SoftTimeLimitExceeded``)
    and must reach the task unchanged."""
    return not type(exc).__module__.startswith(("billiard", "celery"))


def check_fit(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    fit: Fit,
    stylesheets: Sequence[str] = (),
) -> int:
    """Lay ``html`` out as :func:`render_pdf` would, in this process, without writing a PDF.

    Returns the index of the step that fits; raises :class:`LayoutOverflow` or
    :class:`UnprintableText` as the render would. For a check before work is committed to
    (a certificate number), on bounded input.
    """
    return _layout(
        html,
        static_root=static_root,
        font_dir=font_dir,
        stylesheets=stylesheets,
        fit=fit,
        write=False,
    )


def _layout(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    stylesheets: Sequence[str] = (),
    base_url: str | None = None,
    static_url: str = DEFAULT_STATIC_URL,
    font_config: FontConfiguration | None = None,
    fit: Fit | None = None,
    unprintable: str = "refuse",
    write: bool,
) -> bytes | int:
    with _collector_paused():
        return _layout_steps(
            html,
            static_root=static_root,
            font_dir=font_dir,
            stylesheets=stylesheets,
            base_url=base_url,
            static_url=static_url,
            font_config=font_config,
            fit=fit,
            unprintable=unprintable,
            write=write,
        )


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one render.

    A render allocates hundreds of thousands of objects (boxes, styles, text layouts) that
    live until it ends; the collector, triggered by allocation counts, walks them again and
    again: a quarter of a long report's render time, measured. Reference counting still frees
    what is not cyclic; the render's cycles go at the collector's next run after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _layout_steps(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    stylesheets: Sequence[str],
    base_url: str | None,
    static_url: str,
    font_config: FontConfiguration | None,
    fit: Fit | None,
    unprintable: str,
    write: bool,
) -> bytes | int:
    steps = fit.steps if fit is not None else ("",)
    problem = ""
    for index, step in enumerate(steps):
        config = font_config if index == 0 and font_config is not None else FontConfiguration()
        try:
            prepared = prepare_document(
                html,
                static_root=static_root,
                font_dir=font_dir,
                stylesheets=[*stylesheets, step] if step else stylesheets,
                base_url=base_url,
                static_url=static_url,
                font_config=config,
                unprintable=unprintable,
            )
            document = prepared.html.render(
                stylesheets=prepared.stylesheets, font_config=prepared.font_config
            )
            problem = _overflow(document, fit) if fit is not None else ""
            if not problem:
                return document.write_pdf() if write else index
        finally:
            _remove_font_folder(config)
    raise LayoutOverflow(f"{fit.what} does not fit the page even at its smallest size: {problem}")


def _overflow(document, fit: Fit) -> str:
    """What of ``document`` breaks ``fit``, in words; empty when it fits."""
    if len(document.pages) > fit.pages:
        return f"it needs {len(document.pages)} pages instead of {fit.pages}"
    tolerance = 0.5  # CSS px: rounding in the layout, not an overflow
    for page in document.pages:
        for region in _region_boxes(page._page_box, set(fit.regions)):
            region = getattr(region, "_box", region)  # an absolutely placed box's placeholder
            left, top = region.padding_box_x(), region.padding_box_y()
            right, bottom = left + region.padding_width(), top + region.padding_height()
            for box in region.descendants(placeholders=True):
                box = getattr(box, "_box", box)
                if box is region or not box.width and not box.height:
                    continue
                x, y = box.border_box_x(), box.border_box_y()
                if (
                    x < left - tolerance
                    or y < top - tolerance
                    or x + box.border_width() > right + tolerance
                    or y + box.border_height() > bottom + tolerance
                ):
                    name = " ".join(region.element.get("class", "").split())
                    return f"the text of the box {name!r} runs outside it"
        placed = [
            (box.element.get("class"), _border_box(box))
            for box in _region_boxes(page._page_box, set(fit.apart))
        ]
        for index, (name, (x1, y1, x2, y2)) in enumerate(placed):
            for other, (u1, v1, u2, v2) in placed[index + 1 :]:
                across = x1 < u2 - tolerance and u1 < x2 - tolerance
                if across and y1 < v2 - tolerance and v1 < y2 - tolerance:
                    return f"the boxes {name!r} and {other!r} overlap"
    return ""


def _border_box(box) -> tuple[float, float, float, float]:
    x, y = box.border_box_x(), box.border_box_y()
    return x, y, x + box.border_width(), y + box.border_height()


def _region_boxes(page_box, classes: set[str]):
    seen = set()
    for box in page_box.descendants(placeholders=True):  # into absolutely placed boxes too
        element = getattr(box, "element", None)
        if (
            element is not None
            and id(element) not in seen
            and classes & set((element.get("class") or "").split())
            and hasattr(box, "padding_box_x")
        ):
            seen.add(id(element))  # the element's outermost box; the rest are inside it
            yield box


# --------------------------------------------------------------------------- document helpers


def _strip_attachments(document: HTML) -> None:
    """Drop ``rel=attachment`` so no file, even a static one, gets embedded in the PDF."""
    for element in document.etree_element.iter():
        rel = element.get("rel")
        if rel and "attachment" in rel.lower().split():
            kept = [token for token in rel.split() if token.lower() != "attachment"]
            if kept:
                element.set("rel", " ".join(kept))
            else:
                del element.attrib["rel"]


def _mark_characters(document: HTML, characters: set[str]) -> None:
    """Print each of ``characters`` in the text as its code point, ``[U+1F600]``."""

    def marked(text: str) -> str:
        return "".join(f"[U+{ord(ch):04X}]" if ch in characters else ch for ch in text)

    for element in document.etree_element.iter():
        if element.text:
            element.text = marked(element.text)
        if element.tail:
            element.tail = marked(element.tail)
        for key, value in element.attrib.items():
            if isinstance(value, str) and characters & set(value):
                element.set(key, marked(value))


def _document_text(document: HTML, stylesheets: Sequence[str]) -> str:
    """Every character the page may draw: text, attribute values and CSS (``content:``)."""
    parts = []
    for element in document.etree_element.iter():
        if element.text:
            parts.append(element.text)
        if element.tail:
            parts.append(element.tail)
        parts.extend(value for value in element.attrib.values() if isinstance(value, str))
    parts.extend(stylesheets)
    return "".join(parts)
