"""The certificate's layout never lies: long text shrinks or wraps inside its box, the facts
never move, and what cannot be printed faithfully is refused with the reason."""

import re
import shutil
import subprocess
from dataclasses import replace
from html import unescape

import pytest

from certificates.pdf.fonts import SVG_FONT_FAMILY, build_font_cache
from certificates.pdf.render import (
    Fit,
    LayoutOverflow,
    UnprintableText,
    check_fit,
    render_pdf,
)
from certificates.pdf.sample import SampleCertificate, certificate_html
from certificates.pdf.styles import CERTIFICATE_CSS, CERTIFICATE_LAYOUT
from portal import charts

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext") or not shutil.which("pdffonts"),
    reason="poppler-utils is not installed",
)

CHINESE_120 = ("北京示例科技有限公司" * 12)[:120]
ENGLISH_190 = ("Example International Holdings and Technology Services " * 4)[:190]
MANY_DOMAINS = tuple(
    (f"Capability domain number {n} of the model", f"第{n}能力域管理与实践") for n in range(24)
)
# The words of the facts block of the sample certificate (number, dates, signatory, QR label).
FACTS = ("EAS-2025-000123", "2025-03-14", "2028-03-13", "Certification", "Verify")

HARD_CASES = {
    "chinese_120": SampleCertificate(organization_zh=CHINESE_120),
    "english_190": SampleCertificate(organization_en=ENGLISH_190),
    "both_long": SampleCertificate(organization_en=ENGLISH_190, organization_zh=CHINESE_120),
    "many_domains": SampleCertificate(scope=MANY_DOMAINS),
}


@pytest.fixture(scope="module")
def font_dir(tmp_path_factory):
    return build_font_cache(tmp_path_factory.getbasetemp() / "assay-pdf-fonts").directory


def render(fields, font_dir):
    return render_pdf(
        certificate_html(fields),
        static_root=None,
        font_dir=font_dir,
        stylesheets=[CERTIFICATE_CSS],
        fit=CERTIFICATE_LAYOUT,
    )


def words(pdf, tmp_path):
    """[(word, x_min, y_min, x_max, y_max)] of page 1, from poppler's own text layout."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out
    )
    return [(unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in found]


def fonts_of(pdf, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in out.stdout.splitlines()[2:]]


def facts_boxes(page_words):
    return {w[0]: w[1:] for w in page_words if w[0] in FACTS}


def foot_top(page_words):
    """The top of the facts block: the signatory's line, the highest of its words."""
    return min(w[2] for w in page_words if w[0] in ("Li", "Wei", "Certification"))


@pytest.fixture(scope="module")
def reference(font_dir, tmp_path_factory):
    return words(render(SampleCertificate(), font_dir), tmp_path_factory.mktemp("reference"))


@pytest.mark.parametrize("case", HARD_CASES)
def test_the_facts_block_stays_where_it_is_designed_whatever_the_text(
    case, font_dir, reference, tmp_path
):
    page = words(render(HARD_CASES[case], font_dir), tmp_path)

    expected, got = facts_boxes(reference), facts_boxes(page)
    assert set(got) == set(FACTS)
    for word in FACTS:
        assert got[word] == pytest.approx(expected[word], abs=0.5), word


@pytest.mark.parametrize("case", HARD_CASES)
def test_long_text_stays_above_the_facts_block_and_is_printed_whole(
    case, font_dir, reference, tmp_path
):
    fields = HARD_CASES[case]
    page = words(render(fields, font_dir), tmp_path)

    top = foot_top(reference)
    below = sorted(w[0] for w in page if w[4] > top)
    assert below == sorted(w[0] for w in reference if w[4] > top)  # only the facts down there
    text = "".join(w[0] for w in page)
    for expected in (fields.organization_zh, fields.organization_en, *fields.scope[-1]):
        assert re.sub(r"\s", "", expected) in text


def test_a_certificate_that_cannot_fit_even_in_small_type_is_refused(font_dir):
    endless = tuple((f"Domain {n} of an endless model", f"第{n}能力域") for n in range(400))

    with pytest.raises(LayoutOverflow, match="does not fit"):
        check_fit(
            certificate_html(SampleCertificate(scope=endless)),
            static_root=None,
            font_dir=font_dir,
            stylesheets=[CERTIFICATE_CSS],
            fit=CERTIFICATE_LAYOUT,
        )


def test_the_worker_refuses_what_cannot_fit_without_retrying(font_dir):
    endless = tuple((f"Domain {n} of an endless model", f"第{n}能力域") for n in range(400))

    with pytest.raises(LayoutOverflow):
        render_pdf(
            certificate_html(SampleCertificate(scope=endless)),
            static_root=None,
            font_dir=font_dir,
            stylesheets=[CERTIFICATE_CSS],
            fit=CERTIFICATE_LAYOUT,
        )


def test_a_cjk_extension_b_character_is_printed_with_the_shipped_face(font_dir, tmp_path):
    name = "𠀀北京示例科技有限公司"
    pdf = render(replace(SampleCertificate(), organization_zh=name), font_dir)

    assert name in "".join(w[0] for w in words(pdf, tmp_path))
    assert any("Assay-Serif-CJK-Ext" in font for font in fonts_of(pdf, tmp_path))


def test_an_emoji_makes_the_certificate_render_fail_naming_it(font_dir):
    fields = replace(SampleCertificate(), organization_en="Happy Devops Ltd. \U0001f600")

    with pytest.raises(UnprintableText, match="U\\+1F600") as raised:
        render(fields, font_dir)
    assert raised.value.characters == ["\U0001f600"]


def test_the_worker_names_the_unprintable_character_too(font_dir):
    with pytest.raises(UnprintableText, match="U\\+1F600 GRINNING FACE"):
        render_pdf(
            "<p>Happy \U0001f600</p>", static_root=None, font_dir=font_dir, fit=CERTIFICATE_LAYOUT
        )


def test_a_report_prints_an_unprintable_character_as_its_code_point(font_dir, tmp_path):
    pdf = render_pdf(
        "<p>Deploys \U0001f680 daily</p>", static_root=None, font_dir=font_dir, unprintable="mark"
    )

    assert "Deploys [U+1F680] daily" in " ".join(w[0] for w in words(pdf, tmp_path))


def test_arabic_and_chart_labels_use_the_projects_own_faces(font_dir, tmp_path):
    chart = charts.level_bars(
        [("تسليم مستمر", 3), ("持续交付 Continuous delivery", 2)], 3, font_family=SVG_FONT_FAMILY
    )
    pdf = render_pdf(f"<p>شركة المثال</p>{chart}", static_root=None, font_dir=font_dir)

    fonts = fonts_of(pdf, tmp_path)
    assert fonts and all(font.split("+", 1)[1].startswith("Assay-") for font in fonts), fonts
    assert any("Assay-Arabic" in font for font in fonts)


SEAL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<circle cx="50" cy="50" r="46" fill="none" stroke="#c0392b" stroke-width="5"/></svg>'
)


def test_the_certificate_states_what_iso_17021_1_asks(font_dir, tmp_path):
    text = " ".join(w[0] for w in words(render(SampleCertificate(), font_dir), tmp_path))

    for expected in (
        "No. 1 Example Road, Haidian District, Beijing 100080",  # the client's location
        "No. 8 Assessment Street, Xicheng District, Beijing 100032",  # the body's address
        "CNAS",
        "CNAS C123-M",  # accreditation body and number
        "YD/T 3763.3-2021 (2021 edition, in force)",  # the standard and its issue status
        "Originally certified",
        "2022-03-10",
        "This issue",
        "2025-03-14",
        "Digitally signed by Example Assessment Services Ltd. · verify at "
        "https://assay.example.com/verify/EAS-2025-000123",
    ):
        assert expected in text, expected
    assert "Revision" not in text


def test_a_reissued_certificate_is_marked_with_its_revision_and_the_one_it_replaces(
    font_dir, tmp_path
):
    from base64 import b64encode

    seal = "data:image/svg+xml;base64," + b64encode(SEAL_SVG.encode()).decode()
    fields = SampleCertificate(revision=2, supersedes="EAS-2024-000077", seal=seal)

    page = words(render(fields, font_dir), tmp_path)

    text = " ".join(w[0] for w in page)
    assert "Revision 2, replaces EAS-2024-000077" in text
    assert "EAS-2025-000123 · Rev. 2" in text


def test_boxes_that_must_stay_apart_are_refused_when_they_overlap(font_dir):
    html = (
        '<div class="area" style="position:absolute;top:0;left:0;width:100mm;height:50mm">'
        '<p class="a" style="position:absolute;top:0;left:0;width:40mm">Signature</p>'
        '<p class="b" style="position:absolute;top:0;left:30mm;width:20mm">Seal</p></div>'
    )

    with pytest.raises(LayoutOverflow, match="overlap"):
        check_fit(
            html,
            static_root=None,
            font_dir=font_dir,
            fit=Fit(regions=("area",), steps=("",), apart=("a", "b")),
        )
