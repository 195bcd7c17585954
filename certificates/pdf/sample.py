"""A sample one-page A4 bilingual certificate, for benchmarks, tests and visual checks.

It stands in for the real Django template (``templates/certificates/certificate.html``) until
that exists, and should then be kept close to it: the benchmark figures are only meaningful if
this page costs what the real one costs. Plain ``str.format`` with escaping, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .qr import qr_svg

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

CERTIFICATE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="frame"><div class="inner">
<p class="issuer">{issuer_en}{issuer_zh}</p>
<div class="rule"></div>
<h1>Certificate of Capability Maturity{heading_zh}</h1>
<p class="lead">This is to certify that{lead_zh}</p>
<p class="organization">{organization_en}{organization_zh}</p>
<p class="registration">{registration}</p>
<p class="statement">has been assessed against the capability maturity model{assessed_zh}</p>
<p class="model">{model_en} {model_version}{model_zh}</p>
<p class="statement">and has reached{reached_zh}</p>
<p class="level"><span class="label">{level_label}</span>
<span class="value">{level}</span>
<span class="name">{level_name}</span></p>
<p class="scope">{scope}</p>
<div class="signature"><div class="line">{signatory}<br>{officer}</div></div>
<table class="facts">
<tr><th>Certificate No.{number_zh}</th><td>{number}</td></tr>
<tr><th>Issued{issued_zh}</th><td>{issued}</td></tr>
<tr><th>Valid until{expires_zh}</th><td>{expires}</td></tr>
</table>
<div class="verify">{qr}<span>{verify}</span><br><span class="url">{verify_url}</span></div>
</div></div></body></html>
"""


@dataclass(frozen=True)
class SampleCertificate:
    """The fields the real certificate template will show; ``zh=False`` leaves Chinese out."""

    issuer_en: str = "Example Assessment Services Ltd."
    issuer_zh: str = "示例评估服务有限公司"
    organization_en: str = "Beijing Example Technology Co., Ltd."
    organization_zh: str = "北京示例科技有限公司"
    registration: str = "Unified social credit code 91110108MA01ABCD2X"
    model_en: str = "Continuous Delivery"
    model_zh: str = "持续交付"
    model_version: str = "v2.1"
    level: str = "4"
    level_name_en: str = "Comprehensive"
    level_name_zh: str = "全面级"
    scope_en: str = (
        "Configuration management, build and continuous integration, test management, "
        "deployment and release"
    )
    scope_zh: str = "配置管理、构建与持续集成、测试管理、部署与发布"
    signatory: str = "Li Wei · 李伟"
    number: str = "EAS-2025-000123"
    issued: str = "2025-03-14"
    expires: str = "2028-03-13"
    verify_url: str = "https://assay.example.com/verify/EAS-2025-000123"
    zh: bool = True


LATIN_ONLY = SampleCertificate(
    organization_en="Example Manufacturing GmbH",
    registration="Commercial register HRB 123456",
    signatory="Anna Schmidt",
    zh=False,
)


def certificate_html(fields: SampleCertificate = SampleCertificate()) -> str:
    """Return the sample certificate page for ``fields``, every value HTML-escaped."""
    e = escape
    zh = fields.zh

    def block(text: str) -> str:
        # A Chinese line under its English counterpart, or nothing on an English-only page.
        return f'<span class="zh" lang="zh-Hans">{e(text)}</span>' if zh and text else ""

    def pair(en: str, cn: str) -> str:
        return f'{e(en)} · <span lang="zh-Hans">{e(cn)}</span>' if zh and cn else e(en)

    return CERTIFICATE_HTML.format(
        title=e(f"Certificate {fields.number}"),
        issuer_en=e(fields.issuer_en),
        issuer_zh=block(fields.issuer_zh),
        heading_zh=block("能力成熟度证书"),
        lead_zh=block("兹证明"),
        organization_en=e(fields.organization_en),
        organization_zh=block(fields.organization_zh),
        registration=e(fields.registration),
        model_en=e(fields.model_en),
        model_version=e(fields.model_version),
        assessed_zh=block("经评估，依据能力成熟度模型"),
        model_zh=block(fields.model_zh),
        reached_zh=block("其能力成熟度达到"),
        level_label=pair("Level", "等级"),
        level=e(fields.level),
        level_name=pair(fields.level_name_en, fields.level_name_zh),
        scope=pair("Scope", "范围")
        + ": "
        + e(fields.scope_en)
        + (f'<br><span lang="zh-Hans">{e(fields.scope_zh)}</span>' if zh else ""),
        signatory=e(fields.signatory),
        officer=pair("Certification Officer", "认证官"),
        number_zh=block("证书编号"),
        number=e(fields.number),
        issued_zh=block("颁发日期"),
        issued=e(fields.issued),
        expires_zh=block("有效期至"),
        expires=e(fields.expires),
        qr=qr_svg(fields.verify_url, size="27mm"),
        verify=pair("Verify", "验证"),
        verify_url=e(fields.verify_url),
    )
