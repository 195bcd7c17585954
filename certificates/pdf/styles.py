"""Print stylesheets of the certificate and the report (A4, fonts from the PDF font cache)."""

from .render import Fit

CERTIFICATE_CSS = """
@page { size: A4 portrait; margin: 12mm; }
html { font-family: var(--assay-serif); color: #1d2733; font-size: 10.5pt; }
body { margin: 0; }
.frame {
  box-sizing: border-box; height: 273mm; position: relative;
  border: 2.2pt solid #1f3a5f; padding: 2.2mm;
}
.inner {
  box-sizing: border-box; height: 100%; position: relative;
  border: 0.6pt solid #9a7b3f;
}
/* Two regions that never meet (docs/architecture.md, "PDF layout and fonts"): the text that
   grows with the record (.body) and the facts (.foot). The render checks that each holds its
   content; long names and scopes shrink by the steps of CERTIFICATE_FIT. */
.body {
  position: absolute; top: 9mm; left: 14mm; right: 14mm; bottom: 64mm;
  text-align: center; overflow-wrap: anywhere;
}
.foot {
  position: absolute; left: 14mm; right: 12mm; bottom: 6mm; height: 56mm;
  font-size: 9pt; text-align: left;
}
.issuer { font-size: 11pt; letter-spacing: 0.06em; color: #1f3a5f; margin: 0; }
.issuer .zh { display: block; font-size: 10pt; letter-spacing: 0.3em; margin-top: 1mm; }
.issuer-address, .accreditation { font-size: 8pt; color: #4a5866; margin: 1mm 0 0; }
.marks { margin: 2mm 0 0; } .logo { height: 14mm; margin: 0 3mm; }
.rule { width: 42mm; margin: 4mm auto 5mm; border-top: 0.8pt solid #9a7b3f; }
h1 {
  font-size: 25pt; font-weight: bold; letter-spacing: 0.04em; color: #1f3a5f;
  margin: 0; line-height: 1.15;
}
h1 .zh { display: block; font-size: 21pt; letter-spacing: 0.5em; margin: 2mm 0 0 0.5em; }
.lead { margin: 6mm 0 2mm; font-style: italic; color: #4a5866; }
.lead .zh { display: block; font-style: normal; }
.organization { font-size: 19pt; font-weight: bold; margin: 0; line-height: 1.3; }
.organization .zh { display: block; font-size: 17pt; }
.registration { font-size: 9pt; color: #4a5866; margin: 2mm 0 0; }
.statement { margin: 4.5mm 0 0; line-height: 1.4; color: #4a5866; }
.statement .zh { display: block; }
.model { margin: 2mm 0 0; font-size: 15pt; font-weight: bold; color: #1f3a5f; }
.model .zh { display: block; font-size: 13pt; }
.standard { font-size: 9pt; color: #4a5866; margin: 1mm 0 0; }
.statement + .level { margin-top: 3mm; }
.level { margin: 5mm 0 0; }
.level .label { font-size: 10pt; letter-spacing: 0.2em; color: #9a7b3f; text-transform: uppercase; }
.level .value {
  display: block; font-size: 40pt; font-weight: bold; color: #1f3a5f; line-height: 1.05;
  margin-top: 1mm;
}
.level .name { display: block; font-size: 16pt; font-weight: bold; }
.scope { font-size: 8.5pt; color: #4a5866; margin: 4mm 6mm 0; line-height: 1.45; }
.facts {
  position: absolute; left: 0; bottom: 9mm; width: 88mm;
  border-collapse: collapse; font-size: 8.5pt; text-align: left;
}
.facts th {
  font-weight: normal; color: #4a5866; padding: 0.9mm 3mm 0.9mm 0; width: 50mm;
  font-size: 8pt;
}
.facts td { padding: 0.9mm 0; font-weight: bold; }
.signature { position: absolute; left: 0; top: 0; width: 70mm; overflow-wrap: anywhere; }
.signature .line { border-top: 0.6pt solid #1d2733; padding-top: 1.5mm; }
.seal { position: absolute; left: 91mm; bottom: 11mm; width: 25mm; height: 25mm; }
.revision { font-size: 10pt; font-weight: bold; color: #9a7b3f; margin: 2mm 0 0; }
.signed {
  position: absolute; left: 0; right: 0; bottom: 0; margin: 0; font-size: 6.5pt;
  color: #4a5866; line-height: 1.3; overflow-wrap: anywhere;
}
.verify {
  position: absolute; right: 0; bottom: 9mm; width: 32mm; text-align: center;
  font-size: 6.5pt; color: #4a5866; line-height: 1.3;
}
.verify svg { display: block; margin: 0 auto 1mm; }
.verify .url { word-break: break-all; }
"""

# Smaller type for the text that grows with the record, tried in order until the certificate's
# regions hold their content (certificates.pdf.render.Fit); the first step is the page as
# designed. Below the last step the certificate is refused, not printed garbled.
CERTIFICATE_FIT = (
    "",
    """
.lead { margin-top: 5mm; } .statement { margin-top: 3.5mm; }
.organization { font-size: 15pt; } .organization .zh { font-size: 14pt; }
.scope { font-size: 7.5pt; } .level .value { font-size: 34pt; }
""",
    """
.rule { margin: 3mm auto 3.5mm; } h1 { font-size: 21pt; } h1 .zh { font-size: 17pt; }
.lead { margin: 3.5mm 0 1.5mm; } .statement { margin-top: 2.5mm; line-height: 1.3; }
.organization { font-size: 12pt; line-height: 1.25; } .organization .zh { font-size: 11.5pt; }
.model { font-size: 13pt; } .model .zh { font-size: 11pt; }
.level { margin-top: 2.5mm; } .level .value { font-size: 30pt; } .level .name { font-size: 13pt; }
.scope { font-size: 7pt; margin-top: 3mm; line-height: 1.3; }
""",
    """
.issuer { font-size: 9.5pt; } .issuer .zh { font-size: 8.5pt; }
.rule { margin: 2mm auto 2.5mm; } h1 { font-size: 17pt; }
h1 .zh { font-size: 14pt; margin-top: 1mm; }
.lead { margin: 2.5mm 0 1mm; font-size: 9pt; }
.statement { margin-top: 1.5mm; line-height: 1.2; font-size: 9pt; }
.organization { font-size: 10pt; line-height: 1.2; } .organization .zh { font-size: 9.5pt; }
.registration { margin-top: 1mm; font-size: 8pt; }
.model { font-size: 11pt; margin-top: 1mm; } .model .zh { font-size: 10pt; }
.level { margin-top: 1.5mm; } .level .value { font-size: 24pt; } .level .name { font-size: 11pt; }
.scope { font-size: 6.5pt; margin: 2mm 0 0; line-height: 1.25; }
""",
    """
.issuer { font-size: 9pt; } .issuer .zh { font-size: 8pt; } .logo { height: 10mm; }
.rule { margin: 1.5mm auto 2mm; } h1 { font-size: 15pt; }
h1 .zh { font-size: 12pt; margin-top: 0.5mm; }
.lead { margin: 2mm 0 1mm; font-size: 8.5pt; }
.statement { margin-top: 1mm; line-height: 1.15; font-size: 8.5pt; }
.organization { font-size: 8.5pt; line-height: 1.15; } .organization .zh { font-size: 8.5pt; }
.registration { margin-top: 0.5mm; font-size: 7.5pt; }
.model { font-size: 10pt; margin-top: 0.5mm; } .model .zh { font-size: 9pt; }
.level { margin-top: 1mm; } .level .value { font-size: 20pt; } .level .name { font-size: 10pt; }
.scope { font-size: 6pt; margin: 1.5mm 0 0; line-height: 1.2; }
""",
)

CERTIFICATE_LAYOUT = Fit(
    regions=("body", "foot"),
    steps=CERTIFICATE_FIT,
    what="The certificate's text (organization name, scope)",
    apart=("signature", "facts", "seal", "verify", "signed"),
)


def report_page_rules(left: str) -> str:
    """The report's page box and margin boxes, ``left`` the CSS content of the running header.
    A report rendered whole prints them itself; one rendered in parts gets them drawn over
    the joined pages (certificates/pdf/join.py). The margin boxes have fixed widths, of the
    186 mm between the margins: at auto widths WeasyPrint measures each box's content again
    on every page, about a quarter of the time of a 16-page report's furniture (measured)."""
    text = "font-size: 7.5pt; color: #5b6878;"
    return (
        "@page {\n  size: A4; margin: 17mm 12mm 15mm;\n"
        f"  @top-left {{ width: 134mm; content: {left}; {text} }}\n"
        f'  @top-right {{ width: 52mm; content: "Assessment report · 评估报告"; {text} }}\n'
        f'  @bottom-right {{ width: 40mm; content: counter(page) " / " counter(pages); {text} }}\n'
        "}\n@page :first { @top-left { content: none; } @top-right { content: none; } }\n"
    )


REPORT_CSS = (
    report_page_rules('string(organization) " · " string(running)')
    + """
html { font-family: var(--assay-serif); font-size: 8.5pt; color: #1d2733; line-height: 1.3; }
h1 { font-size: 24pt; color: #1f3a5f; margin: 26mm 0 8mm; }
h2 { font-size: 12.5pt; color: #1f3a5f; border-bottom: 0.8pt solid #9a7b3f; padding-bottom: 1mm;
  margin: 6mm 0 3mm; break-after: avoid; }
h3 { font-size: 9.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 1.5mm 0; }
section.cover { break-after: page; }
.issuer { letter-spacing: .05em; color: #1f3a5f; font-size: 10pt; margin: 0; }
.small { font-size: 8pt; color: #5b6878; margin: 0.5mm 0; }
.org { font-size: 15pt; font-weight: bold; margin: 0; }
.org-en { font-size: 12pt; }
.running { string-set: running content(); font-size: 8.5pt; color: #5b6878; margin: 2mm 0 8mm; }
.running-org { string-set: organization content(); }
table { border-collapse: collapse; width: 100%; }
table.meta th { text-align: left; color: #5b6878; font-weight: normal; width: 52mm;
  padding: 1.2mm 2mm 1.2mm 0; vertical-align: top; }
table.meta td { padding: 1.2mm 0; vertical-align: top; }
table.grid th, table.grid td { border: 0.4pt solid #c9d1db; padding: 0.8mm 1.4mm;
  text-align: left; vertical-align: top; }
table.grid th { background: #eef2f7; font-size: 7.5pt; }
table.grid .n { text-align: center; }
/* The findings table: thousands of cells, so row rules only (no collapsed cell borders). */
table.items { table-layout: fixed; font-size: 7.5pt; margin-bottom: 3mm;
  border-collapse: separate; border-spacing: 0; }
table.items th { text-align: left; background: #eef2f7; font-size: 7.5pt; padding: 0.8mm 1.4mm; }
table.items tr.domain th { background: #1f3a5f; color: #fff; font-size: 8.5pt; }
table.items td { padding: 0.5mm 1.4mm; border-bottom: 0.3pt solid #dde3ea; vertical-align: top; }
table.items td.n { text-align: center; font-weight: bold; }
col.c-code { width: 24mm; } col.c-name { width: auto; } col.c-ratings { width: 52mm; }
col.c-lv { width: 19mm; } col.c-rating { width: 32mm; } col.c-text { width: auto; }
table.reqs { table-layout: fixed; font-size: 7.5pt; border-collapse: separate; border-spacing: 0; }
table.reqs td { padding: 0.4mm 1.4mm; border-bottom: 0.3pt solid #dde3ea; vertical-align: top; }
td.hash { font-size: 6.5pt; word-break: break-all; }
.notice { font-size: 8pt; color: #5b6878; margin-top: 8mm; }
.legend { font-size: 7.5pt; color: #5b6878; }
.rule-text { font-size: 8pt; color: #4a5866; }
.keep { break-inside: avoid; }
.narrative { font-style: italic; }
.nc { color: #8a1c14; }
.chart svg { width: 150mm; }
"""
)

# A part of a report rendered apart: no running header or page number of its own (they would
# restart at 1 in every part); the join draws them over the whole document.
REPORT_PART_CSS = """
@page { @top-left { content: none; } @top-right { content: none; }
  @bottom-right { content: none; } }
"""

# The page furniture of a joined report, one empty page per page of the report, under
# report_page_rules with the organization and the report's reference as a CSS string.
REPORT_FURNITURE_CSS = (
    "html { font-family: var(--assay-serif); font-size: 8.5pt; }\n"
    "div.page { height: 1px; break-after: page; } div.page:last-child { break-after: auto; }\n"
)
