"""Rendering in the calling process (a Celery worker's; its limits are Celery's: see
tests/test_pdf_queue.py): the page, errors that come back named, nothing left behind."""

import re
import shutil
import subprocess
import tempfile
from base64 import b64decode
from xml.etree import ElementTree

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from certificates.pdf import render
from certificates.pdf.fonts import build_font_cache
from certificates.pdf.qr import qr_data_url, qr_matrix, qr_svg
from certificates.pdf.render import RenderFailed, RenderMemoryExceeded, render_pdf
from certificates.pdf.sample import SampleCertificate, certificate_html
from certificates.pdf.styles import CERTIFICATE_CSS

VERIFY_URL = "https://assay.example.com/verify/EAS-2025-000123"


@pytest.fixture(scope="module")
def font_dir(tmp_path_factory):
    return build_font_cache(tmp_path_factory.getbasetemp() / "assay-pdf-fonts").directory


def pdftotext(pdf, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


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


def test_an_error_in_the_render_comes_back_named(font_dir):
    with pytest.raises(RenderFailed, match="static_url"):
        render_pdf("<p>x</p>", static_root=None, font_dir=font_dir, static_url="no-slashes")


def test_running_out_of_memory_is_a_render_error(font_dir, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(render, "_layout_steps", exhausted)

    with pytest.raises(RenderMemoryExceeded):
        render_pdf("<p>x</p>", static_root=None, font_dir=font_dir)


def test_celerys_soft_time_limit_reaches_the_task_unchanged(font_dir, monkeypatch):
    """The task records a render stopped by its soft limit (certificates/tasks.py): wrapped in
    a RenderFailed it would be retried instead."""

    def interrupted(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(render, "_layout_steps", interrupted)

    with pytest.raises(SoftTimeLimitExceeded):
        render_pdf("<p>x</p>", static_root=None, font_dir=font_dir)


def test_no_temporary_font_files_are_left_behind(font_dir, tmp_path, monkeypatch):
    # WeasyPrint copies @font-face fonts to a temporary directory per document.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html = certificate_html(SampleCertificate())

    render_pdf(html, static_root=None, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS])
    render_pdf(html, static_root=None, font_dir=font_dir)

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
