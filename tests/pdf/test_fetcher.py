"""The PDF URL fetcher serves the static root and data: URLs, and nothing else."""

import base64
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from weasyprint.urls import URLFetcher

from certificates.pdf.fetcher import BASE_URL, AssayURLFetcher, FetchRefused
from certificates.pdf.fonts import build_font_cache
from certificates.pdf.render import prepare_document, render_pdf

SEAL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


def tiny_png() -> bytes:
    """A valid 1×1 PNG, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def font_dir(tmp_path_factory):
    return build_font_cache(tmp_path_factory.getbasetemp() / "assay-pdf-fonts").directory


@pytest.fixture
def static_root(tmp_path):
    root = tmp_path / "static"
    (root / "img").mkdir(parents=True)
    (root / "img" / "seal.svg").write_text(SEAL_SVG)
    (root / "img" / "dot.png").write_bytes(tiny_png())
    (tmp_path / "secret.txt").write_text("root:x:0:0 the secret")
    return root


def test_file_urls_are_refused(static_root):
    fetcher = AssayURLFetcher(static_root)
    with pytest.raises(FetchRefused):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetcher.fetch(f"file://{static_root}/img/seal.svg")


def test_a_page_cannot_read_local_files(static_root, font_dir):
    html = (
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<img src="file:///etc/passwd"><p>Certificate</p>'
        "<style>p { background: url(file:///etc/passwd) }</style>"
    )
    document = prepare_document(html, static_root=static_root, font_dir=font_dir)
    pdf = document.write_pdf()
    document.close()

    assert pdf.startswith(b"%PDF-")
    # WeasyPrint asks once per URL (images are cached): the stylesheet, then the image.
    assert set(document.fetcher.refused) == {"file:///etc/passwd"}
    assert len(document.fetcher.refused) == 2


def test_a_page_makes_no_network_request(loopback_server, static_root, font_dir):
    origin, requests = loopback_server
    html = f"""<html><head>
      <link rel="stylesheet" href="{origin}/style.css">
      <style>
        @import url({origin}/import.css);
        @font-face {{ font-family: Remote; src: url({origin}/font.ttf); }}
        body {{ background: url({origin}/background.png); font-family: Remote; }}
      </style></head>
      <body><img src="{origin}/img.svg"><object data="{origin}/object.svg"></object>
      <svg width="10" height="10"><image href="{origin}/in-svg.png" width="10" height="10"/></svg>
      <p>Certificate</p></body></html>"""
    stylesheet = f"h1 {{ background: url({origin}/user-stylesheet.png) }}"

    pdf = render_pdf(html, static_root=static_root, font_dir=font_dir, stylesheets=[stylesheet])

    assert pdf.startswith(b"%PDF-")
    assert requests == []
    # The server does answer: WeasyPrint's default fetcher would have reached it.
    URLFetcher().fetch(f"{origin}/control.svg").read()
    assert requests == ["/control.svg"]


@pytest.mark.parametrize(
    "path",
    [
        "static/../secret.txt",
        "static/img/../../secret.txt",
        "static/%2e%2e/secret.txt",
        "static/..%2fsecret.txt",
        "static/img/%2e%2e%2f%2e%2e%2fsecret.txt",
        "secret.txt",
    ],
)
def test_paths_out_of_the_static_root_are_refused(static_root, path):
    with pytest.raises(FetchRefused):
        AssayURLFetcher(static_root).fetch(BASE_URL + path)


def test_relative_escape_in_a_page_reads_nothing(static_root, font_dir):
    html = '<img src="../../secret.txt"><img src="/static/../secret.txt"><p>x</p>'
    document = prepare_document(html, static_root=static_root, font_dir=font_dir)
    pdf = document.write_pdf()
    document.close()

    assert b"the secret" not in pdf
    # Both resolve to the same URL outside /static/ (urljoin removes the dots).
    assert document.fetcher.refused == [BASE_URL + "secret.txt"]


def test_symlink_out_of_the_static_root_is_refused(static_root):
    (static_root / "img" / "escape.txt").symlink_to(static_root.parent / "secret.txt")
    (static_root / "img" / "alias.svg").symlink_to(static_root / "img" / "seal.svg")
    fetcher = AssayURLFetcher(static_root)

    with pytest.raises(FetchRefused):
        fetcher.fetch(BASE_URL + "static/img/escape.txt")
    assert fetcher.fetch(BASE_URL + "static/img/alias.svg").read() == SEAL_SVG.encode()


def test_other_hosts_and_schemes_are_refused(static_root):
    fetcher = AssayURLFetcher(static_root)
    for url in (
        "https://example.com/static/img/seal.svg",
        "http://assay-pdf.invalid/static/img/seal.svg",
        "ftp://assay-pdf.invalid/static/img/seal.svg",
        "https://assay-pdf.invalid@127.0.0.1/static/img/seal.svg",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)


def test_static_files_and_data_urls_are_served(static_root):
    fetcher = AssayURLFetcher(static_root)

    svg = fetcher.fetch(BASE_URL + "static/img/seal.svg")
    inline = fetcher.fetch("data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode())

    assert svg.read() == SEAL_SVG.encode()
    assert svg.content_type == "image/svg+xml"
    assert inline.read() == b"<svg/>"
    assert fetcher.refused == []


def test_static_image_is_drawn(static_root, font_dir):
    if shutil.which("pdfimages") is None:
        pytest.skip("poppler-utils (pdfimages) is not installed")
    html = '<p>Seal</p><img src="/static/img/dot.png" style="width: 20mm">'
    pdf = render_pdf(html, static_root=static_root, font_dir=font_dir)

    listing = _poppler("pdfimages", "-list", pdf, static_root.parent)
    assert len(listing.strip().splitlines()) == 3  # two header lines, one image


def test_attachments_are_never_embedded(static_root, font_dir):
    if shutil.which("pdfdetach") is None:
        pytest.skip("poppler-utils (pdfdetach) is not installed")
    html = (
        '<link rel="attachment" href="/static/img/seal.svg">'
        '<p><a rel="attachment nofollow" href="/static/img/dot.png">seal</a></p>'
    )
    pdf = render_pdf(html, static_root=static_root, font_dir=font_dir)

    assert "0 embedded files" in _poppler("pdfdetach", "-list", pdf, static_root.parent)


def _poppler(tool: str, option: str, pdf: bytes, directory: Path) -> str:
    path = directory / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, option, str(path)], capture_output=True, text=True, check=True
    ).stdout
