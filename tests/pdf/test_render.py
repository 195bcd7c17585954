"""Rendering in the render process: same PDF as in-process, within time and memory limits."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import zlib
from base64 import b64decode, b64encode
from xml.etree import ElementTree

import pytest

from certificates.pdf import render
from certificates.pdf.fonts import build_font_cache
from certificates.pdf.qr import qr_data_url, qr_matrix, qr_svg
from certificates.pdf.render import (
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
    render_pdf,
    render_pdf_in_process,
    shutdown_render_process,
)
from certificates.pdf.sample import SampleCertificate, certificate_html
from certificates.pdf.styles import CERTIFICATE_CSS

VERIFY_URL = "https://assay.example.com/verify/EAS-2025-000123"


@pytest.fixture(scope="module")
def font_dir(tmp_path_factory):
    return build_font_cache(tmp_path_factory.getbasetemp() / "assay-pdf-fonts").directory


@pytest.fixture
def fresh_render_process():
    """A render process forked for this test, and none left behind for the next one."""
    shutdown_render_process()
    yield
    shutdown_render_process()


def pdftotext(pdf, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def png_of_zeros(width: int, height: int) -> bytes:
    """A black PNG: a few hundred KB on disk, width × height × 3 bytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    compressor = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_the_certificate_is_one_a4_page_with_its_text(font_dir, tmp_path):
    pdf = render_pdf(
        certificate_html(SampleCertificate()),
        static_root=None,
        font_dir=font_dir,
        stylesheets=[CERTIFICATE_CSS],
    )
    text = pdftotext(pdf, tmp_path)

    assert pdf.startswith(b"%PDF-")
    assert text.count("\f") == 1  # one page
    assert "EAS-2025-000123" in text
    assert "北京示例科技有限公司" in text.replace(" ", "")


def test_the_render_process_gives_what_rendering_in_process_gives(font_dir, tmp_path):
    html = certificate_html(SampleCertificate())
    options = {"static_root": None, "font_dir": font_dir, "stylesheets": [CERTIFICATE_CSS]}

    forked = pdftotext(render_pdf(html, **options), tmp_path)
    local = pdftotext(render_pdf_in_process(html, **options), tmp_path)

    assert forked == local


def test_a_slow_render_is_stopped_and_the_next_one_works(font_dir, fresh_render_process):
    rows = "".join(f"<tr><td>item {i}</td><td>{i}</td></tr>" for i in range(5000))

    with pytest.raises(RenderTimeout):
        render_pdf(f"<table>{rows}</table>", static_root=None, font_dir=font_dir, timeout_s=0.3)

    assert render_pdf("<p>next</p>", static_root=None, font_dir=font_dir).startswith(b"%PDF-")


def test_a_memory_hungry_render_is_stopped_and_the_next_one_works(font_dir, fresh_render_process):
    # 8000 × 8000 pixels: 190 KB of PNG, 192 MB once decoded, past a 64 MB budget.
    bomb = "data:image/png;base64," + b64encode(png_of_zeros(8000, 8000)).decode()
    html = f'<img src="{bomb}" style="width: 10mm">'

    with pytest.raises(RenderMemoryExceeded):
        render_pdf(html, static_root=None, font_dir=font_dir, max_memory_mb=64)

    assert render_pdf("<p>next</p>", static_root=None, font_dir=font_dir).startswith(b"%PDF-")


def test_an_error_in_the_render_comes_back_with_its_message(font_dir):
    with pytest.raises(RenderFailed, match="static_url"):
        render_pdf("<p>x</p>", static_root=None, font_dir=font_dir, static_url="no-slashes")


def test_a_render_process_that_died_is_replaced(font_dir, fresh_render_process):
    render_pdf("<p>one</p>", static_root=None, font_dir=font_dir)
    os.kill(render._current.pid, signal.SIGKILL)

    assert render_pdf("<p>two</p>", static_root=None, font_dir=font_dir).startswith(b"%PDF-")


def test_the_render_process_is_replaced_after_its_quota(
    font_dir, fresh_render_process, monkeypatch
):
    monkeypatch.setattr(render, "MAX_RENDERS", 2)
    pids = set()
    for n in range(5):
        render_pdf(f"<p>{n}</p>", static_root=None, font_dir=font_dir)
        pids.add(render._current.pid if render._current else None)

    assert len(pids) >= 2


def test_no_temporary_font_files_are_left_behind(
    font_dir, fresh_render_process, tmp_path, monkeypatch
):
    # WeasyPrint copies @font-face fonts to a temporary directory per document.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html = certificate_html(SampleCertificate())

    render_pdf(html, static_root=None, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS])
    render_pdf_in_process(html, static_root=None, font_dir=font_dir)

    assert list(tmp_path.glob("weasyprint-*")) == []


def test_qr_svg_draws_exactly_the_qr_modules():
    svg = qr_svg(VERIFY_URL)
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own markup
    matrix = qr_matrix(VERIFY_URL)
    size = len(matrix)

    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    drawn = [[False] * size for _ in range(size)]
    for x, y, length in re.findall(r"M(\d+) (\d+)\.5h(\d+)", path):
        for dx in range(int(length)):
            drawn[int(y)][int(x) + dx] = True

    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert drawn == matrix
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # quiet zone


def test_qr_data_url_embeds_the_same_svg():
    url = qr_data_url(VERIFY_URL)

    assert url.startswith("data:image/svg+xml;base64,")
    assert VERIFY_URL.encode() in b64decode(url.split(",", 1)[1])
