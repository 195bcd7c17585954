"""The real certificate page filled with sample values, for benchmarks, tests and visual checks.

It renders the template certificates use (``templates/certificates/certificate_pdf.html``) with
made-up facts and no database, so the PDF tests and benchmark figures measure the page the
portal issues. ``LATIN_ONLY`` drops every Chinese span: the Latin-only reference render.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .qr import qr_svg

CHINESE_SPAN = re.compile(r'<span[^>]*lang="zh-Hans"[^>]*>[^<]*</span>')


@dataclass(frozen=True)
class SampleCertificate:
    """What a certificate states; ``zh=False`` leaves every Chinese text out of the page."""

    issuer_en: str = "Example Assessment Services Ltd."
    issuer_zh: str = "示例评估服务有限公司"
    organization_en: str = "Beijing Example Technology Co., Ltd."
    organization_zh: str = "北京示例科技有限公司"
    registration: str = "Unified social credit code 91110108MA01ABCD2X"
    organization_address: str = "No. 1 Example Road, Haidian District, Beijing 100080"
    issuer_address: str = "No. 8 Assessment Street, Xicheng District, Beijing 100032"
    accreditation_body: str = "CNAS"
    accreditation_number: str = "CNAS C123-M"
    standard_identifier: str = "YD/T 3763.3-2021"
    standard_status: str = "2021 edition, in force"
    model_en: str = "Continuous Delivery"
    model_zh: str = "持续交付"
    model_version: str = "v2.1"
    level: str = "4"
    level_name_en: str = "Comprehensive"
    level_name_zh: str = "全面级"
    scope: tuple = (
        ("Configuration management", "配置管理"),
        ("Build and continuous integration", "构建与持续集成"),
        ("Test management", "测试管理"),
        ("Deployment and release", "部署与发布"),
    )
    signatory: str = "Li Wei · 李伟"
    number: str = "EAS-2025-000123"
    original: datetime.date = datetime.date(2022, 3, 10)
    revision: int = 0
    supersedes: str = ""
    issued: datetime.date = datetime.date(2025, 3, 14)
    expires: datetime.date = datetime.date(2028, 3, 13)
    verify_url: str = "https://assay.example.com/verify/EAS-2025-000123"
    seal: str = ""  # a data: URL of the body's seal image
    logo: str = ""  # a data: URL of the body's logo
    accreditation_mark: str = ""  # a data: URL of the accreditation mark
    zh: bool = True


LATIN_ONLY = SampleCertificate(
    organization_en="Example Manufacturing GmbH",
    registration="Commercial register HRB 123456",
    signatory="Anna Schmidt",
    zh=False,
)


def certificate_html(fields: SampleCertificate = SampleCertificate()) -> str:
    """The certificate page for ``fields``, through the template the portal issues with."""
    certificate = SimpleNamespace(
        number=fields.number,
        organization_name=fields.organization_zh if fields.zh else fields.organization_en,
        organization_name_en=fields.organization_en,
        organization_address=fields.organization_address,
        standard_identifier=fields.standard_identifier,
        standard_status=fields.standard_status,
        original_issued_on=fields.original,
        revision=fields.revision,
        model_name_en=fields.model_en,
        model_name_zh=fields.model_zh,
        model_version=SimpleNamespace(version=fields.model_version),
        level=fields.level,
        level_name_en=fields.level_name_en,
        level_name_zh=fields.level_name_zh,
        scope=[{"name_en": en, "name_zh": zh} for en, zh in fields.scope],
        issued_on=fields.issued,
        expires_on=fields.expires,
    )
    html = render_to_string(
        "certificates/certificate_pdf.html",
        {
            "c": certificate,
            "tenant": SimpleNamespace(
                name=fields.issuer_en,
                name_zh=fields.issuer_zh,
                address=fields.issuer_address,
                accreditation_body=fields.accreditation_body,
                accreditation_number=fields.accreditation_number,
            ),
            "registration": fields.registration,
            "signatory": fields.signatory,
            "verify_url": fields.verify_url,
            "qr": mark_safe(qr_svg(fields.verify_url, size="27mm")),  # noqa: S308 (our SVG)
            "logo": fields.logo,
            "accreditation_mark": fields.accreditation_mark,
            "seal": fields.seal,
            "supersedes": fields.supersedes,
        },
    )
    return html if fields.zh else CHINESE_SPAN.sub("", html)
