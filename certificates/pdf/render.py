"""HTML to PDF with WeasyPrint, under a time and a memory limit.

A render interpolates text typed by clients into a layout engine written in Python and C; a
pathological page (a 10,000-row table, a huge image, a font bomb) must cost one failed job,
not the worker that runs it. :func:`render_pdf` therefore renders in a *render process*: a
child forked from the calling process, kept for the next renders.

Why this shape, measured on the certificate page (≈ 150 ms in-process):

* a fresh ``fork`` per render costs ≈ 18 ms — not the fork itself (3 ms with WeasyPrint
  loaded) but the ≈ 4,000 copy-on-write page faults of a child touching the interpreter's
  objects for the first time. A render process kept alive pays that once, then a render costs
  what it costs in-process plus a pipe round trip (< 1 ms);
* ``fork`` rather than ``multiprocessing``/``subprocess``: the child inherits the imported
  WeasyPrint and the loaded fonts instead of spending a second importing them; and Celery's
  prefork pool runs tasks in daemonic processes, which ``multiprocessing`` refuses children;
* the render process prepares the next render's fontconfig set-up (``FontConfiguration``,
  ≈ 7 ms) while it waits, off the critical path.

Limits, for each render: the parent waits ``timeout_s`` of wall-clock time, then kills the
render process (``SIGKILL``) and raises :class:`RenderTimeout`; the next render forks a new
one. Inside, ``RLIMIT_AS`` allows the address space the process has mapped before the render
plus ``max_memory_mb`` (:class:`RenderMemoryExceeded`; the process then retires, its heap in
an unknown state) — "mapped" includes heap freed by earlier renders and kept by the allocator,
so the budget is a ceiling on growth, not an exact count — and ``RLIMIT_CPU`` the CPU time it
had used plus ``timeout_s`` (a backstop should the parent be stuck). Linux only (``/proc``,
``prctl``). The render process asks to be killed if its parent dies, closes
the sockets it inherited (so that it neither holds the parent's database or broker
connections open nor can write to them), and is replaced after :data:`MAX_RENDERS` renders
or when it has grown by :data:`RECYCLE_GROWTH_MB`, so slow leaks cannot accumulate. Errors
come back as :class:`RenderFailed`. All are :class:`RenderError`.

A render process serves one parent process and one render at a time (a lock serialises
threads; Celery's parallelism is its worker processes). It acknowledges each job as it reads
it, so a job sent to a process that had died in the meantime is run by a fresh one rather than
failed. After ``os.fork`` in the parent (a prefork pool starting) the child process gets a
render process of its own.

Every WeasyPrint object of a render gets the same
:class:`~certificates.pdf.fetcher.AssayURLFetcher` (nothing outside the static root and
``data:`` is ever read), a fresh ``FontConfiguration`` and the ``@font-face`` rules of
:mod:`certificates.pdf.fonts`; ``rel=attachment`` links are stripped before rendering, so a
template cannot embed a file in the PDF. :func:`render_pdf_in_process` does the same without
the render process, for tests, benchmarks and debugging.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import pickle
import resource
import selectors
import shutil
import signal
import stat
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .fetcher import BASE_URL, DEFAULT_STATIC_URL, AssayURLFetcher
from .fonts import MissingGlyphs, font_set

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_MEMORY_MB = 1024
MAX_RENDERS = 200
RECYCLE_GROWTH_MB = 256


class RenderError(Exception):
    """A PDF could not be rendered; the message says why."""


class RenderTimeout(RenderError):
    """The render took longer than its time limit and was killed."""


class RenderMemoryExceeded(RenderError):
    """The render needed more memory than its limit."""


class RenderFailed(RenderError):
    """The render raised an error or its process died."""


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


def render_pdf_in_process(
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
    """Render ``html`` to PDF bytes in this process, with no limits."""
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
    what is not cyclic; the render process collects after replying (off the critical path).
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


def render_pdf(
    html: str,
    *,
    static_root: str | Path | None,
    font_dir: str | Path,
    stylesheets: Sequence[str] = (),
    base_url: str | None = None,
    static_url: str = DEFAULT_STATIC_URL,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
    fit: Fit | None = None,
    unprintable: str = "refuse",
) -> bytes:
    """Render ``html`` to PDF bytes in the render process, limited in time and memory.

    Raises :class:`RenderTimeout`, :class:`RenderMemoryExceeded`, :class:`RenderFailed`, or
    :class:`UnprintableText` / :class:`LayoutOverflow` when the page would not say what its
    text says (see :class:`Fit` and :func:`prepare_document`).
    """
    # Fonts are loaded here, before a render process is forked, so that it inherits them.
    font_set(font_dir)
    job = {
        "html": html,
        "static_root": None if static_root is None else str(static_root),
        "font_dir": str(font_dir),
        "stylesheets": list(stylesheets),
        "base_url": base_url,
        "static_url": static_url,
        "fit": fit,
        "unprintable": unprintable,
    }
    with _worker_lock:
        try:
            return _worker().render(job, timeout_s=timeout_s, max_memory_mb=max_memory_mb)
        except _NotTaken:
            # The render process had died before taking the job (killed between renders):
            # the job never ran, so a fresh process may run it.
            return _worker().render(job, timeout_s=timeout_s, max_memory_mb=max_memory_mb)


def shutdown_render_process() -> None:
    """Stop this process's render process, if any (tests; it also stops at exit)."""
    global _current
    with _worker_lock:
        if _current is not None:
            _current.stop()
            _current = None


# --------------------------------------------------------------------------- the render process

_OK, _ERROR, _MEMORY, _TAKEN, _REFUSED = b"K", b"E", b"M", b"T", b"X"
_REFUSALS = {cls.__name__: cls for cls in (UnprintableText, LayoutOverflow)}
# Replies: kind, b"R" if the render process retires after it (else b"-"), body length.
# Jobs: b"J", b"-", length.
_HEADER = struct.Struct("!ccQ")
_PR_SET_PDEATHSIG = 1

_worker_lock = threading.Lock()
_current: _RenderProcess | None = None


def _forget_parent_render_process() -> None:
    """In a child forked from this process: the parent's render process is not ours."""
    global _current, _worker_lock
    _worker_lock = threading.Lock()  # it may have been held by another thread at the fork
    if _current is not None:
        _current.stop()  # closes our copies of its pipes; does not kill it
        _current = None


os.register_at_fork(after_in_child=_forget_parent_render_process)


class _NotTaken(Exception):
    """The render process was gone before it read the job."""


def _worker() -> _RenderProcess:
    global _current
    if _current is not None and not _current.usable():
        _current.stop()
        _current = None
    if _current is None:
        _current = _RenderProcess()
    return _current


class _RenderProcess:
    """The parent's handle on one render process: its pid and the two pipe ends."""

    def __init__(self) -> None:
        job_read, job_write = os.pipe()
        reply_read, reply_write = os.pipe()
        self.owner = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, whose coverage is not collected
            os.close(job_write)
            os.close(reply_read)
            _serve(job_read, reply_write)
        os.close(job_read)
        os.close(reply_write)
        self.pid = pid
        self.jobs = job_write
        self.replies = reply_read
        self.alive = True
        atexit.register(self.stop)

    def usable(self) -> bool:
        if not self.alive or self.owner != os.getpid():
            return False
        try:  # died between renders (the OOM killer, an operator)? Then it is not usable.
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def render(self, job: dict, *, timeout_s: float, max_memory_mb: int) -> bytes:
        deadline = time.monotonic() + timeout_s
        message = pickle.dumps((job, timeout_s, max_memory_mb), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            _write_all(self.jobs, _HEADER.pack(b"J", b"-", len(message)) + message)
            if _read_exactly(self.replies, 1, deadline) != _TAKEN:
                raise EOFError
        except (EOFError, BrokenPipeError):
            self.stop()
            raise _NotTaken from None
        except TimeoutError:
            self.stop()
            raise RenderTimeout(
                f"PDF render took longer than {timeout_s:g} s and was stopped"
            ) from None
        try:
            header = _read_exactly(self.replies, _HEADER.size, deadline)
            kind, retiring, length = _HEADER.unpack(header)
            body = _read_exactly(self.replies, length, deadline)
        except TimeoutError:
            self.stop()
            raise RenderTimeout(
                f"PDF render took longer than {timeout_s:g} s and was stopped"
            ) from None
        except (EOFError, BrokenPipeError, struct.error):
            status = self.stop()
            raise self._death(status, timeout_s, max_memory_mb) from None
        if retiring == b"R":
            self.stop()
        if kind == _OK:
            return body
        if kind == _REFUSED:
            name, _, message = body.decode(errors="replace").partition("\n")
            raise _REFUSALS.get(name, RenderRefused)(message)
        if kind == _MEMORY:
            raise RenderMemoryExceeded(f"PDF render needed more than {max_memory_mb} MB of memory")
        raise RenderFailed(f"PDF render failed: {body.decode(errors='replace')}")

    @staticmethod
    def _death(status: int | None, timeout_s: float, max_memory_mb: int) -> RenderError:
        if status is not None and os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            if number == signal.SIGXCPU:
                return RenderTimeout(f"PDF render used more than {timeout_s:g} s of CPU time")
            return RenderFailed(
                f"PDF render process died of signal {signal.Signals(number).name} "
                f"(the memory limit, {max_memory_mb} MB, may have been reached)"
            )
        return RenderFailed(f"PDF render process ended unexpectedly (status {status})")

    def stop(self) -> int | None:
        """Kill and reap the render process; return its wait status."""
        if not self.alive:
            return None
        self.alive = False
        atexit.unregister(self.stop)
        for fd in (self.jobs, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.owner != os.getpid():
            return None  # a forked copy of the handle: the process belongs to our parent
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # a retiring process may be exiting already
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return None


def _serve(jobs: int, replies: int) -> None:  # pragma: no cover - runs in the child
    """The render process's main loop; never returns."""
    code = 0
    try:
        _become_render_process(keep=(jobs, replies))
        baseline = _resident_bytes()
        font_config = FontConfiguration()
        for count in range(1, MAX_RENDERS + 1):
            try:
                header = _read_exactly(jobs, _HEADER.size, None)
            except EOFError:
                break  # the parent closed the pipe: it is done with us
            _, _, length = _HEADER.unpack(header)
            job, timeout_s, max_memory_mb = pickle.loads(  # noqa: S301 - from our parent
                _read_exactly(jobs, length, None)
            )
            _write_all(replies, _TAKEN)
            _set_limits(timeout_s, max_memory_mb)
            try:
                kind, body = _OK, render_pdf_in_process(**job, font_config=font_config)
            except MemoryError:
                kind, body = _MEMORY, b""
            except RenderRefused as exc:
                kind, body = _REFUSED, f"{type(exc).__name__}\n{exc}"[:4000].encode()
            except Exception as exc:  # noqa: BLE001 - every error goes back to the parent
                kind, body = _ERROR, f"{type(exc).__name__}: {exc}"[:2000].encode()
            finally:
                _lift_limits()
            grown = _resident_bytes() - baseline > RECYCLE_GROWTH_MB * 1024 * 1024
            retire = kind == _MEMORY or grown or count == MAX_RENDERS
            _write_all(replies, _HEADER.pack(kind, b"R" if retire else b"-", len(body)) + body)
            if retire:
                break
            gc.collect()  # the render's cyclic garbage (the collector was off), while we wait
            font_config = FontConfiguration()  # the next render's, made while we wait
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _become_render_process(keep: tuple[int, ...]) -> None:  # pragma: no cover - child
    # The parent's handlers (Celery's warm shutdown, Django's autoreloader) are not ours; a
    # Ctrl-C in a development terminal is the parent's to handle.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _set_limits(timeout_s: float, max_memory_mb: int) -> None:  # pragma: no cover - child
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + timeout_s) + 1
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (_capped(cpu, cpu_hard), cpu_hard))
    # RLIMIT_AS counts what the process already maps (libraries, the fonts HarfBuzz maps):
    # the budget is what this render may add.
    memory = _address_space_bytes() + max_memory_mb * 1024 * 1024
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_capped(memory, as_hard), as_hard))


def _lift_limits() -> None:  # pragma: no cover - child
    for limit in (resource.RLIMIT_CPU, resource.RLIMIT_AS):
        _, hard = resource.getrlimit(limit)
        resource.setrlimit(limit, (hard, hard))


def _capped(value: int, hard: int) -> int:
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    """Read ``size`` bytes; ``TimeoutError`` past ``deadline``, ``EOFError`` at end of pipe."""
    chunks, missing = [], size
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while missing:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
