"""Chinese text in PDFs: drawn with our fonts, cut to the page, from a cache built once."""

import io
import shutil
import subprocess

import pytest
from fontTools.ttLib import TTFont

from certificates.pdf.fonts import CJK_FAMILY, LATIN_FAMILY, FontSet, build_font_cache
from certificates.pdf.render import UnprintableText, render_pdf
from certificates.pdf.sample import LATIN_ONLY, SampleCertificate, certificate_html
from certificates.pdf.styles import CERTIFICATE_CSS

CHINESE = ["北京示例科技有限公司", "持续交付", "全面级", "能力成熟度证书"]


@pytest.fixture(scope="module")
def font_dir(tmp_path_factory):
    return build_font_cache(tmp_path_factory.getbasetemp() / "assay-pdf-fonts").directory


@pytest.fixture(scope="module")
def chinese_pdf(font_dir):
    html = certificate_html(SampleCertificate())
    return render_pdf(html, static_root=None, font_dir=font_dir, stylesheets=[CERTIFICATE_CSS])


def poppler(tool, pdf, tmp_path, *options):
    if shutil.which(tool) is None:
        pytest.skip(f"poppler-utils ({tool}) is not installed")
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    output = ["-"] if tool == "pdftotext" else []  # pdftotext writes to a file by default
    command = [tool, *options, str(path), *output]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_building_the_cache_again_changes_nothing(font_dir):
    before = {path.name: path.stat().st_mtime_ns for path in font_dir.iterdir()}

    fonts = build_font_cache(font_dir)

    # Nothing rewritten (how long it takes is a benchmark's business, not a test's).
    assert {path.name: path.stat().st_mtime_ns for path in font_dir.iterdir()} == before
    assert {(face.family, face.weight) for face in fonts.faces} >= {
        (LATIN_FAMILY, 400),
        (LATIN_FAMILY, 700),
        (CJK_FAMILY, 400),
        (CJK_FAMILY, 700),
    }


def test_a_missing_cache_says_how_to_build_it(tmp_path):
    with pytest.raises(RuntimeError, match="build_font_cache"):
        FontSet.load(tmp_path)


def test_an_english_page_loads_no_cjk_font(font_dir):
    fonts = FontSet.load(font_dir).document_fonts(certificate_html(LATIN_ONLY))

    assert {font.family for font in fonts} == {LATIN_FAMILY}


def test_the_cjk_font_of_a_page_holds_its_characters_and_little_else(font_dir):
    text = "Certificate 北京示例科技有限公司 持续交付 全面级"
    fonts = FontSet.load(font_dir).document_fonts(text)
    cjk = [font for font in fonts if font.family == CJK_FAMILY and font.weight == 400]

    assert len(cjk) == 1
    subset = TTFont(io.BytesIO(cjk[0].data))
    cmap = subset.getBestCmap()
    assert {ord(ch) for ch in "北京示例科技有限公司持续交付全面级"} <= set(cmap)
    assert len(subset.getGlyphOrder()) < 100
    assert len(cjk[0].data) < 60_000


def test_chinese_text_round_trips_through_the_pdf(chinese_pdf, tmp_path):
    text = poppler("pdftotext", chinese_pdf, tmp_path).replace(" ", "")

    for words in CHINESE:
        assert words in text


def test_every_font_in_the_pdf_is_an_embedded_subset_of_ours(chinese_pdf, tmp_path):
    """No system fallback font in the PDF means every character was in our fonts: no tofu."""
    rows = poppler("pdffonts", chinese_pdf, tmp_path).splitlines()[2:]
    fonts = [row.split() for row in rows]

    assert fonts
    names = [font[0].split("+", 1)[1] for font in fonts]
    assert all(name.startswith("Assay-Serif") for name in names), names
    assert any(name.startswith("Assay-Serif-CJK") for name in names)
    # The emb, sub and uni columns: embedded, subset, with a ToUnicode map.
    assert all(font[-5:-2] == ["yes", "yes", "yes"] for font in fonts), rows
    assert len(chinese_pdf) < 200_000


def test_a_character_in_no_font_is_refused_by_name_not_left_to_the_host(font_dir):
    html = "<p>北京示例科技有限公司 \U0001f600 \ue000 \u0d9e</p>"

    with pytest.raises(UnprintableText) as raised:
        render_pdf(html, static_root=None, font_dir=font_dir)

    assert raised.value.characters == ["\u0d9e", "\ue000", "\U0001f600"]
    assert "U+0D9E SINHALA LETTER KANTAJA NAASIKYAYA" in str(raised.value)


def test_a_page_renders_to_an_image_without_error(chinese_pdf, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    path = tmp_path / "page.pdf"
    path.write_bytes(chinese_pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "page.png").stat().st_size > 1000


def test_a_space_inside_chinese_text_is_no_tofu(font_dir, caplog):
    html = '<p lang="zh-Hans">研发运营一体化（DevOps）能力成熟度模型 第3部分：持续交付</p>'

    with caplog.at_level("WARNING", logger="weasyprint"):
        render_pdf(html, static_root=None, font_dir=font_dir)

    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]
