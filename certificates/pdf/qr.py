"""QR codes for certificates, as SVG made here from the module matrix.

The QR code on a certificate points at its public verification page. It is drawn as vector
SVG (sharp at any zoom, a few hundred bytes in the PDF) and built entirely in memory: no
network, no files, nothing for the PDF URL fetcher to fetch except an inline ``data:`` URL.

The SVG is written from ``qrcode``'s boolean matrix rather than by its SVG image factories:
each run of dark modules in a row is one stroked line (``M x y.5 h n``, a stroke one module
wide), two path commands where a filled outline needs five and ``qrcode``'s factories draw
one rectangle per module. WeasyPrint parses SVG paths in Python, command by command: the
outline version cost ≈ 20 ms a certificate, this one is lost in the noise. The markup is
also small and the same from one ``qrcode`` release to the next.
"""

from __future__ import annotations

import base64
from html import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M

# Four modules of quiet zone is what the QR specification asks for; readers fail without it.
QUIET_ZONE = 4


def qr_matrix(url: str) -> list[list[bool]]:
    """Return the QR modules for ``url`` (True = dark), quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def qr_svg(url: str, *, size: str = "30mm", title: str | None = None) -> str:
    """Return an inline ``<svg>`` element drawing the QR code of ``url``.

    ``size`` is any CSS length; the drawing scales to it. ``title`` becomes the SVG's
    accessible name (defaults to the URL).
    """
    matrix = qr_matrix(url)
    count = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < count:
            if row[x]:
                start = x
                while x < count and row[x]:
                    x += 1
                runs.append(f"M{start} {y}.5h{x - start}")
            else:
                x += 1
    size = escape(size, quote=True)
    label = escape(title if title is not None else url)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {count} {count}" role="img">'
        f"<title>{label}</title>"
        f'<rect width="{count}" height="{count}" fill="#fff"/>'
        f'<path fill="none" stroke="#000" stroke-width="1" d="{"".join(runs)}"/></svg>'
    )


def qr_data_url(url: str) -> str:
    """Return the QR code of ``url`` as a ``data:image/svg+xml`` URL, for ``<img src>``."""
    svg = qr_svg(url, size="100%")
    encoded = base64.b64encode(svg.encode()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"
