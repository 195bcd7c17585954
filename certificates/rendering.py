"""HTML of certificates and reports, rendered to signed PDF bytes. Called by workers only."""

import base64
import hashlib
import io
import mimetypes

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from pyhanko.pdf_utils.reader import PdfFileReader

from assessments.models import Decision, Evidence, Finding, LevelRequirement, Nonconformity
from assessments.selectors.work import engagement_score
from certificates.credentials import signing_credentials
from certificates.pdf.fonts import SVG_FONT_FAMILY, FontCacheError, build_font_cache, font_set
from certificates.pdf.qr import qr_svg
from certificates.pdf.render import check_fit, render_pdf
from certificates.pdf.signing import sign_pdf, signer_fingerprint
from certificates.pdf.styles import CERTIFICATE_CSS, CERTIFICATE_LAYOUT, REPORT_CSS
from portal import charts


def _static_root():
    return settings.STATIC_ROOT if settings.STATIC_ROOT.is_dir() else settings.BASE_DIR / "static"


def _sign(pdf, tenant, reason):
    path, passphrase = signing_credentials(tenant)
    signed = sign_pdf(
        pdf, pkcs12_path=path, passphrase=passphrase, reason=reason, location=tenant.name
    )
    return signed, hashlib.sha256(signed).hexdigest(), signer_fingerprint(path, passphrase)


def _logo(tenant):
    """The tenant's logo inline (data: URL), so the renderer never opens a file or URL."""
    return _inline_image(tenant.logo)


def _inline_image(field):
    """An image file field of the tenant (logo, accreditation mark, seal) as a data: URL."""
    if not field:
        return ""
    try:
        with field.open("rb") as handle:
            data = handle.read(2 * 1024 * 1024)
    except OSError:
        return ""
    kind = mimetypes.guess_type(field.name)[0] or "image/png"
    if kind not in ("image/png", "image/jpeg", "image/svg+xml"):
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def verify_url(certificate):
    return settings.SITE_URL + reverse("verify:number", args=[certificate.number])


def certificate_html(certificate):
    organization = certificate.organization
    registration = (
        f"Unified social credit code · 统一社会信用代码 {organization.registration_id}"
        if organization.registration_type == "uscc"
        else f"Registration · 登记号 {organization.registration_id}"
    )
    url = verify_url(certificate)
    return render_to_string(
        "certificates/certificate_pdf.html",
        {
            "c": certificate,
            "tenant": certificate.tenant,
            "registration": registration,
            "signatory": certificate.issued_by.get_full_name() or certificate.issued_by.email,
            "verify_url": url,
            "qr": mark_safe(qr_svg(url, size="27mm")),  # noqa: S308 (our SVG)
            "logo": _logo(certificate.tenant),
            "accreditation_mark": _inline_image(certificate.tenant.accreditation_mark),
            "seal": _inline_image(certificate.tenant.seal),
            "supersedes": certificate.supersedes.number if certificate.supersedes_id else "",
        },
    )


def _render(html, css, **options):
    """Unsigned PDF bytes, in the render process, under the portal's time and memory limits."""
    return render_pdf(
        html,
        static_root=_static_root(),
        font_dir=settings.PDF_FONT_DIR,
        stylesheets=[css],
        timeout_s=settings.PDF_RENDER_TIMEOUT_S,
        max_memory_mb=settings.PDF_RENDER_MAX_MEMORY_MB,
        **options,
    )


def check_certificate_fits(certificate):
    """Lay the certificate out as the worker will, before it is given a number.

    Raises ``LayoutOverflow`` or ``UnprintableText`` (certificates.pdf.render) exactly when the
    worker's render would: the same template, stylesheet and fit steps. Bounded input (names of
    at most 200 characters, the model's domains), so it runs in the request, in this process.
    """
    try:
        font_set(settings.PDF_FONT_DIR)
    except FontCacheError:  # set-up did not build it here (a fresh checkout): build it now
        build_font_cache(settings.PDF_FONT_DIR)
    return check_fit(
        certificate_html(certificate),
        static_root=_static_root(),
        font_dir=settings.PDF_FONT_DIR,
        stylesheets=[CERTIFICATE_CSS],
        fit=CERTIFICATE_LAYOUT,
    )


def render_certificate_pdf(certificate):
    """(signed PDF bytes, SHA-256, signer fingerprint) of a certificate."""
    pdf = _render(certificate_html(certificate), CERTIFICATE_CSS, fit=CERTIFICATE_LAYOUT)
    return _sign(pdf, certificate.tenant, f"Certificate {certificate.number}")


def report_html(report):
    engagement = report.engagement
    version = engagement.model_version
    score = engagement_score(engagement)
    tree = score.tree
    findings = {f.item_id: f for f in Finding.objects.filter(engagement=engagement)}
    requirements = {}
    for requirement in LevelRequirement.objects.filter(version=version).order_by(
        "level", "position"
    ):
        requirements.setdefault(requirement.item_id, []).append(requirement)
    sections = []
    for part in tree.domains:
        for domain in part.domains or [part]:
            items = [
                _report_item(item, score, findings.get(item.pk), requirements.get(item.pk, []))
                for item in domain.all_items()
                if item.code in score.scope_codes
            ]
            if not items:
                continue
            reached = score.result.domains.get(domain.code)
            sections.append(
                {
                    "code": domain.code,
                    "name_en": domain.row.name_en,
                    "name_zh": domain.row.name_zh,
                    "level": reached.level if reached else None,
                    "items": items,
                    "chart": charts.level_bars(
                        [(f"{i['code']} {i['name_en']}", i["level"]) for i in items],
                        engagement.target_level,
                        title=domain.row.name_en,
                        font_family=SVG_FONT_FAMILY,
                    ),
                }
            )
    return render_to_string(
        "certificates/report_pdf.html",
        {
            "e": engagement,
            "tenant": engagement.tenant,
            "version": version,
            "report": report,
            "level_names": version.level_names(),
            "score": score,
            "sections": sections,
            "chart": charts.level_bars(
                [(s["name_en"], s["level"]) for s in sections],
                engagement.target_level,
                title="Levels per domain",
                font_family=SVG_FONT_FAMILY,
            ),
            "now": timezone.now(),
            "decision": Decision.objects.filter(engagement=engagement).first(),
            "nonconformities": Nonconformity.objects.filter(engagement=engagement).select_related(
                "finding__item"
            ),
            "evidence": Evidence.objects.filter(engagement=engagement).order_by("uploaded_at"),
        },
    )


def _report_item(item, score, finding, requirements):
    return {
        "code": item.code,
        "name_en": item.row.name_en,
        "name_zh": item.row.name_zh,
        "level": score.result.items[item.code].level,
        "narrative": finding.narrative if finding else "",
        "ratings": [
            {
                "code": r.code,
                "level": r.level,
                "text_en": r.text_en,
                "rating": score.ratings.get(r.code, ""),
            }
            for r in requirements
        ],
    }


def render_report_pdf(report):
    """(signed PDF bytes, SHA-256, signer fingerprint, pages) of a report version."""
    pdf = _render(report_html(report), REPORT_CSS, unprintable="mark")
    pages = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"]
    signed, sha256, fingerprint = _sign(
        pdf,
        report.engagement.tenant,
        f"Assessment report {report.engagement.reference} v{report.version}",
    )
    return signed, sha256, fingerprint, pages
