"""The only way WeasyPrint may load anything while rendering an Assay PDF.

WeasyPrint's default fetcher follows any URL it meets: ``file:///etc/passwd`` in an ``<img>``,
``http://169.254.169.254/`` in a stylesheet, a ``../`` out of the static directory. Certificate
and report templates interpolate names typed by clients, so a page must not be able to reach
the file system or the network. This fetcher serves exactly three things and refuses the rest:

* ``data:`` URLs (inline images such as the QR code);
* files under one static root, addressed by ``/static/...`` (``static_url``), resolved against
  :data:`BASE_URL` — a virtual origin, ``https://assay-pdf.invalid/``, that exists only inside
  this fetcher. ``.invalid`` is reserved (RFC 6761) and the fetcher never opens a socket, so
  no request can leave the process. A virtual *https* origin is used rather than a scheme of
  our own because :func:`urllib.parse.urljoin`, which WeasyPrint uses to resolve relative
  URLs, only resolves them against hierarchical schemes it knows: with it, what Django's
  ``{% static %}`` produces (``/static/certificates/seal.png``), a relative ``url(seal.png)``
  inside a stylesheet and an absolute ``https://assay-pdf.invalid/static/...`` all work;
* resources registered in memory for one document with :meth:`AssayURLFetcher.add_resource`
  (the fonts subset for that document, see :mod:`certificates.pdf.fonts`).

Everything else — ``file:`` (``local()`` in ``@font-face`` too: WeasyPrint turns it into a
``file:`` URL), ``http(s)`` to any other host, ``ftp:``, paths that leave the static root by
``..`` or by a symlink, directories, files over ``max_bytes`` — raises
:class:`FetchRefused`. WeasyPrint catches fetch errors that are not ``FatalURLFetchingError``,
logs a warning and renders without the resource (an image is simply not shown).

WeasyPrint 70 takes a :class:`weasyprint.urls.URLFetcher` *instance* (older releases took a
function); its ``fetch(url, headers)`` is the one method to override. Pass the same instance
to ``HTML(...)`` and to every ``CSS(...)``: ``render.py`` does.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib import request
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

PDF_HOST = "assay-pdf.invalid"
BASE_URL = f"https://{PDF_HOST}/"
DEFAULT_STATIC_URL = "/static/"
RESOURCE_PREFIX = "/_assay/"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class FetchRefused(ValueError):
    """A URL the PDF fetcher will not serve; WeasyPrint renders without it."""


class AssayURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher serving ``data:`` URLs, one static root and in-memory resources.

    ``static_root`` is the directory ``static_url`` maps to (``STATIC_ROOT`` after
    ``collectstatic``, or an app's ``static/`` directory in development). ``refused`` lists the
    URLs refused so far, for logs and tests.
    """

    def __init__(
        self,
        static_root: str | Path | None,
        *,
        static_url: str = DEFAULT_STATIC_URL,
        resources: Mapping[str, tuple[bytes, str]] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        # No network handler is ever used (fetch() below never calls the parent's), but the
        # parent's __init__ sets the attributes WeasyPrint's fetch() helper reads.
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        if not (static_url.startswith("/") and static_url.endswith("/")):
            raise ValueError("static_url must be a path starting and ending with '/'")
        self._static_root = Path(static_root).resolve() if static_root is not None else None
        self._static_url = static_url
        self._resources: dict[str, tuple[bytes, str]] = dict(resources or {})
        self._max_bytes = max_bytes
        self.refused: list[str] = []

    def add_resource(self, name: str, body: bytes, content_type: str) -> str:
        """Serve ``body`` at a URL of its own for this fetcher's documents; return that URL."""
        if "/" in name or not name:
            raise ValueError("resource names are single path segments")
        path = RESOURCE_PREFIX + name
        self._resources[path] = (body, content_type)
        return f"https://{PDF_HOST}{path}"

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        try:
            return self._fetch(url)
        except Exception as exc:
            self.refused.append(url)
            logger.warning("PDF fetch refused: %.200s (%s)", url, exc)
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            # urllib's data: handler parses the URL in memory; it opens nothing.
            request_ = request.Request(url)  # noqa: S310 - a data: URL, parsed, never opened
            response = request.DataHandler().data_open(request_)
            body = response.read()
            return URLFetcherResponse(url, body, {"Content-Type": response.headers["Content-Type"]})

        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or parts.netloc.lower() != PDF_HOST:
            raise FetchRefused("only data: URLs and the portal's static files are served")
        path = unquote(parts.path)
        if path in self._resources:
            body, content_type = self._resources[path]
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        if path.startswith(self._static_url) and self._static_root is not None:
            return self._static_file(url, path[len(self._static_url) :])
        raise FetchRefused("not a static file")

    def _static_file(self, url: str, relative: str) -> URLFetcherResponse:
        if "\x00" in relative or "\\" in relative:
            raise FetchRefused("bad character in path")
        # resolve() removes '..' and follows every symlink, so the containment check below is
        # on the real file: a symlink inside the root pointing outside it is refused too.
        target = (self._static_root / relative.lstrip("/")).resolve()
        if not target.is_relative_to(self._static_root):
            raise FetchRefused("path leaves the static root")
        if not target.is_file():
            raise FetchRefused("no such static file")
        if target.stat().st_size > self._max_bytes:
            raise FetchRefused("static file too large")
        body = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})
