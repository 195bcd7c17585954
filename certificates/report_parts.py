"""A large report rendered in parts, a few domains each, and joined before its one signature.

WeasyPrint lays a document out in one thread; a report of a few hundred items spends most of
its time there. Above ``REPORT_SPLIT_ITEMS`` in-scope items the report's blocks (the front
pages, each domain's findings table, each detailed item, the nonconformities and evidence
index) are cut, in order, into ``REPORT_PARTS`` runs of about equal weight (rows to lay out);
each part is rendered by a `pdf` worker (a Celery chord, certificates/tasks.py), and the last
one's arrival joins them with pypdf, draws the header and page numbers of the whole
(certificates/pdf/join.py) and signs once.
"""

from django.conf import settings
from django.template.loader import render_to_string

from certificates import rendering
from certificates.pdf.join import join_parts
from certificates.pdf.render import render_pdf
from certificates.pdf.styles import REPORT_CSS, REPORT_PART_CSS

# The cover, engagement and result pages (the level chart included), in rows of a findings
# table: measured, they take as long to lay out as about 140 rows (350 ms against 2.5 ms a row
# on the 351-item benchmark report). At 60 the first part took 1.2 s and the second 0.7 s.
FRONT_WEIGHT = 140


def split(context) -> list[str]:
    """The HTML of each part of the report in ``context`` (rendering.report_context), or no
    parts when it is small enough to render whole."""
    items = sum(len(section["items"]) for section in context["sections"])
    if items <= settings.REPORT_SPLIT_ITEMS or settings.REPORT_PARTS < 2:
        return []
    blocks = [("front", None, FRONT_WEIGHT)]
    blocks += [("section", s, len(s["items"]) + 3) for s in context["sections"]]
    blocks += [
        ("detail", row, len(row["requirements"]) + len(row["nonconformities"]) + 3)
        for row in context["details"]
    ]
    blocks.append(("back", None, len(context["nonconformities"]) + len(context["evidence"]) + 8))
    groups = _runs(blocks, settings.REPORT_PARTS)
    first_section = context["sections"][0] if context["sections"] else None
    first_detail = context["details"][0] if context["details"] else None
    htmls = []
    for group in groups:
        sections = [block for kind, block, _ in group if kind == "section"]
        details = [block for kind, block, _ in group if kind == "detail"]
        kinds = {kind for kind, _, _ in group}
        part = {
            **context,
            "front": "front" in kinds,
            "finding_sections": sections,
            "findings_heading": first_section is not None and first_section in sections,
            "detail_rows": details,
            "details_heading": first_detail is not None and first_detail in details,
            "back": "back" in kinds,
        }
        htmls.append(render_to_string("certificates/report_pdf.html", part))
    return htmls


def _runs(blocks, count):
    """``blocks`` cut, in order, into at most ``count`` runs of about equal total weight."""
    total = sum(weight for _, _, weight in blocks)
    runs, current, done = [], [], 0
    for block in blocks:
        current.append(block)
        done += block[2]
        if len(runs) < count - 1 and done >= total * (len(runs) + 1) / count:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def running_header(context) -> str:
    """What the report's header says from page 2 on (as `.running-org` and `.running` set it)."""
    engagement, report = context["e"], context["report"]
    return (
        f"{context['organization'].legal_name} · {engagement.reference} · "
        f"Report v{report.version} · 报告第 {report.version} 版"
    )


def render_part(html: str) -> bytes:
    """One part, unsigned, without the running header and page numbers of its own."""
    return render_pdf(
        html,
        static_root=rendering._static_root(),
        font_dir=settings.PDF_FONT_DIR,
        stylesheets=[REPORT_CSS, REPORT_PART_CSS],
        unprintable="mark",
    )


def join_and_sign(parts, report, header):
    """(signed PDF bytes, SHA-256, signer fingerprint, pages) of the parts joined in order."""
    pdf, pages = join_parts(parts, header=header, font_dir=settings.PDF_FONT_DIR)
    return (*rendering.sign_report(pdf, report), pages)
