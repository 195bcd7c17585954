"""Print stylesheets of the certificate and the report (A4, fonts from the PDF font cache)."""

CERTIFICATE_CSS = """
@page { size: A4 portrait; margin: 12mm; }
html { font-family: var(--assay-serif, serif); color: #1d2733; font-size: 10.5pt; }
body { margin: 0; }
.frame {
  box-sizing: border-box; height: 273mm; position: relative;
  border: 2.2pt solid #1f3a5f; padding: 2.2mm;
}
.inner {
  box-sizing: border-box; height: 100%; position: relative;
  border: 0.6pt solid #9a7b3f; padding: 11mm 16mm 0 16mm; text-align: center;
}
.issuer { font-size: 11pt; letter-spacing: 0.06em; color: #1f3a5f; margin: 0; }
.issuer .zh { display: block; font-size: 10pt; letter-spacing: 0.3em; margin-top: 1mm; }
.rule { width: 42mm; margin: 5mm auto 6mm; border-top: 0.8pt solid #9a7b3f; }
h1 {
  font-size: 25pt; font-weight: bold; letter-spacing: 0.04em; color: #1f3a5f;
  margin: 0; line-height: 1.15;
}
h1 .zh { display: block; font-size: 21pt; letter-spacing: 0.5em; margin: 3mm 0 0 0.5em; }
.lead { margin: 8mm 0 2.5mm; font-style: italic; color: #4a5866; }
.lead .zh { display: block; font-style: normal; }
.organization { font-size: 19pt; font-weight: bold; margin: 0; line-height: 1.3; }
.organization .zh { display: block; font-size: 17pt; }
.registration { font-size: 9pt; color: #4a5866; margin: 2mm 0 0; }
.statement { margin: 5.5mm 0 0; line-height: 1.45; color: #4a5866; }
.statement .zh { display: block; }
.model { margin: 2mm 0 0; font-size: 15pt; font-weight: bold; color: #1f3a5f; }
.model .zh { display: block; font-size: 13pt; }
.statement + .level { margin-top: 3mm; }
.level { margin: 5mm 0 0; }
.level .label { font-size: 10pt; letter-spacing: 0.2em; color: #9a7b3f; text-transform: uppercase; }
.level .value {
  display: block; font-size: 46pt; font-weight: bold; color: #1f3a5f; line-height: 1.05;
  margin-top: 1mm;
}
.level .name { display: block; font-size: 16pt; font-weight: bold; }
.scope { font-size: 8.5pt; color: #4a5866; margin: 4mm 6mm 0; line-height: 1.45; }
.facts {
  position: absolute; left: 16mm; bottom: 16mm; width: 105mm;
  border-collapse: collapse; font-size: 9pt; text-align: left;
}
.facts th { font-weight: normal; color: #4a5866; padding: 1.2mm 4mm 1.2mm 0; width: 40mm; }
.facts td { padding: 1.2mm 0; font-weight: bold; }
.facts .zh { display: block; font-size: 8pt; }
.signature {
  position: absolute; left: 16mm; bottom: 47mm; width: 70mm; text-align: left; font-size: 9pt;
}
.signature .line { border-top: 0.6pt solid #1d2733; padding-top: 1.5mm; }
.verify {
  position: absolute; right: 14mm; bottom: 14mm; width: 34mm; text-align: center;
  font-size: 7pt; color: #4a5866; line-height: 1.35;
}
.verify svg { display: block; margin: 0 auto 1mm; }
.verify .url { word-break: break-all; }
"""


REPORT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-right { content: counter(page) " / "
  counter(pages); font-size: 8pt; color: #5b6878; } }
html { font-family: var(--assay-serif, serif); font-size: 9.5pt; color: #1d2733; }
h1 { font-size: 24pt; color: #1f3a5f; margin: 30mm 0 8mm; }
h2 { font-size: 14pt; color: #1f3a5f; border-bottom: 0.8pt solid #9a7b3f; padding-bottom: 1mm;
  margin-top: 8mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 2mm; }
section.cover { page-break-after: always; }
.issuer { letter-spacing: .05em; color: #1f3a5f; }
.org { font-size: 15pt; font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
table.meta th { text-align: left; color: #5b6878; font-weight: normal; width: 55mm;
  padding: 1.5mm 0; vertical-align: top; }
table.grid th, table.grid td { border: 0.4pt solid #c9d1db; padding: 1.2mm 1.8mm;
  text-align: left; vertical-align: top; }
table.grid th { background: #eef2f7; font-size: 8.5pt; }
td.hash { font-family: monospace; font-size: 7pt; word-break: break-all; }
.notice { font-size: 8pt; color: #5b6878; margin-top: 12mm; }
.item { page-break-inside: avoid; }
.narrative { font-style: italic; }
.chart svg { width: 120mm; }
code { font-size: 8pt; }
"""
