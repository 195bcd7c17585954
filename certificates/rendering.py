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

from assessments.models import (
    Application,
    Assignment,
    Decision,
    Evidence,
    Finding,
    Nonconformity,
    RequirementRating,
    Review,
)
from assessments.selectors.work import engagement_score
from certificates.credentials import signing_credentials, signing_crls, timestamp_url, trust_roots
from certificates.pdf.attachments import attach_file
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
        pdf,
        pkcs12_path=path,
        passphrase=passphrase,
        reason=reason,
        location=tenant.name,
        timestamp_url=timestamp_url(tenant),
        trust_roots=trust_roots(),
        crls=signing_crls(),
    )
    return signed, hashlib.sha256(signed).hexdigest(), signer_fingerprint(path, passphrase)


def _logo(tenant):
    """The tenant's logo inline (data: URL), so the renderer never opens a file or URL."""
    return inline_image(tenant.logo)


def data_url(data: bytes, kind: str) -> str:
    """``data`` of media type ``kind`` as a data: URL, for the renderer to draw inline."""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def inline_image(field):
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
    return data_url(data, kind)


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
            "accreditation_mark": inline_image(certificate.tenant.accreditation_mark),
            "seal": inline_image(certificate.tenant.seal),
            "supersedes": certificate.supersedes.number if certificate.supersedes_id else "",
        },
    )


def _render(html, css, **options):
    """Unsigned PDF bytes, rendered in this (worker) process under its Celery task's limits."""
    return render_pdf(
        html,
        static_root=_static_root(),
        font_dir=settings.PDF_FONT_DIR,
        stylesheets=[css],
        **options,
    )


def check_certificate_fits(certificate):
    """Lay the certificate out as the worker will, before it is given a number.

    Raises ``LayoutOverflow`` or ``UnprintableText`` (certificates.pdf.render) exactly when the
    worker's render would: the same template, stylesheet and fit steps. Bounded input (names of
    at most 200 characters, the model's domains), so it runs in the request, in this process.
    """
    return check_certificate_html_fits(certificate_html(certificate))


def check_certificate_html_fits(html):
    """:func:`check_certificate_fits` of a certificate's HTML (a real one, or the sample a
    body's particulars are tried on: certificates.services.particulars)."""
    try:
        font_set(settings.PDF_FONT_DIR)
    except FontCacheError:  # set-up did not build it here (a fresh checkout): build it now
        build_font_cache(settings.PDF_FONT_DIR)
    return check_fit(
        html,
        static_root=_static_root(),
        font_dir=settings.PDF_FONT_DIR,
        stylesheets=[CERTIFICATE_CSS],
        fit=CERTIFICATE_LAYOUT,
    )


def render_certificate_pdf(certificate):
    """(signed PDF bytes, SHA-256, signer fingerprint) of a certificate."""
    pdf = _render(certificate_html(certificate), CERTIFICATE_CSS, fit=CERTIFICATE_LAYOUT)
    pdf = attach_credential(pdf, certificate)
    return _sign(pdf, certificate.tenant, f"Certificate {certificate.number}")


def attach_credential(pdf, certificate):
    """The certificate's Open Badges credential (made once, certificates.services.badges)
    embedded in the unsigned PDF, so the signature covers it (docs/architecture.md, "Open
    Badges credentials")."""
    from certificates.services.badges import issue_credential

    return attach_file(
        pdf,
        name=f"{certificate.number}.jwt",
        data=issue_credential(certificate).encode(),
        mime_type="application/vc+jwt",
        description="Open Badges 3.0 credential (VC-JWT) of this certificate",
    )


# The report is bilingual whatever the reader's language: the words it prints for the
# values the database stores, in both languages.
RATING_WORDS = {
    "met": ("Met", "符合", "M"),
    "partially_met": ("Partially met", "部分符合", "P"),
    "not_met": ("Not met", "不符合", "N"),
    "not_applicable": ("Not applicable", "不适用", "NA"),
    "": ("Not rated", "未评定", "?"),
}
ROLE_WORDS = {
    "lead_assessor": ("Lead assessor", "评估组长"),
    "assessor": ("Assessor", "评估员"),
    "reviewer": ("Technical reviewer", "技术评审人员"),
    "officer": ("Certification officer", "认证决定人员"),
    "observer": ("Observer", "观察员"),
}
GRADE_WORDS = {
    "major": ("Major", "严重"),
    "minor": ("Minor", "一般"),
    "observation": ("Observation", "观察项"),
}
NC_STATUS_WORDS = {
    "open": ("Open", "未关闭"),
    "answered": ("Answered", "已答复"),
    "closed": ("Closed", "已关闭"),
}
EVIDENCE_STATUS_WORDS = {
    "submitted": ("Submitted", "已提交"),
    "accepted": ("Accepted", "已接受"),
    "rejected": ("Rejected", "已拒绝"),
}
REVIEW_WORDS = {
    "approved": ("Findings approved", "评估发现已批准"),
    "changes_requested": ("Changes requested", "要求修改"),
}
DECISION_WORDS = {
    "granted": ("Certification granted", "批准认证"),
    "refused": ("Certification refused", "不予认证"),
}


def _person(user):
    return user.get_full_name() or user.email


def report_html(report):
    """The report's HTML: findings as one compact table per domain (a row per item, the
    ratings of each level in one cell); the requirements in full only for items with a note
    or a nonconformity (docs/architecture.md, "PDF layout and fonts")."""
    return render_to_string("certificates/report_pdf.html", whole(report_context(report)))


def whole(context):
    """The template context of the whole report in one document."""
    return {
        **context,
        "front": True,
        "finding_sections": context["sections"],
        "findings_heading": True,
        "detail_rows": context["details"],
        "details_heading": True,
        "back": True,
    }


def report_context(report):
    """Everything the report template prints, read once (certificates/report_parts.py cuts it
    into parts)."""
    engagement = report.engagement
    version = engagement.model_version
    score = engagement_score(engagement)
    findings = {f.item_id: f for f in Finding.objects.filter(engagement=engagement)}
    nonconformities = list(
        Nonconformity.objects.filter(engagement=engagement).select_related("finding__item")
    )
    ncs_by_item = {}
    for nc in nonconformities:
        nc.grade_words = GRADE_WORDS.get(nc.grade, (nc.grade, nc.grade))
        nc.status_words = NC_STATUS_WORDS.get(nc.status, (nc.status, nc.status))
        ncs_by_item.setdefault(nc.finding.item_id, []).append(nc)
    detailed = {pk for pk, f in findings.items() if f.narrative.strip()} | set(ncs_by_item)
    notes = dict(
        RequirementRating.objects.filter(
            finding__engagement=engagement, finding__item_id__in=detailed
        )
        .exclude(note="")
        .values_list("requirement__code", "note")
    )
    sections, details = [], []
    for part in score.tree.domains:
        for domain in part.domains or [part]:
            rows = []
            for item in domain.all_items():
                if item.code not in score.scope_codes:
                    continue
                row = _report_item(item, score, findings.get(item.pk))
                row["detailed"] = item.pk in detailed
                rows.append(row)
                if row["detailed"]:
                    row["requirements"] = [
                        {
                            "code": r.code,
                            "level": r.level,
                            "text_en": r.text_en,
                            "text_zh": r.text_zh,
                            "words": RATING_WORDS.get(
                                score.ratings.get(r.code) or "", RATING_WORDS[""]
                            ),
                            "note": notes.get(r.code, ""),
                        }
                        for r in item.requirements
                    ]
                    row["nonconformities"] = ncs_by_item.get(item.pk, [])
                    details.append(row)
            if not rows:
                continue
            reached = score.result.domains.get(domain.code)
            sections.append(
                {
                    "code": domain.code,
                    "name_en": domain.row.name_en,
                    "name_zh": domain.row.name_zh,
                    "level": reached.level if reached else None,
                    "items": rows,
                }
            )
    tenant = engagement.tenant
    organization = engagement.organization
    assignments = (
        Assignment.objects.filter(engagement=engagement)
        .select_related("user")
        .order_by("role", "assigned_at")
    )
    team = [
        {"name": _person(a.user), "role": ROLE_WORDS.get(a.role, (a.role, a.role))}
        for a in assignments
    ]
    review = Review.objects.filter(engagement=engagement).select_related("reviewer").last()
    decision = Decision.objects.filter(engagement=engagement).select_related("decided_by").first()
    evidence = list(Evidence.objects.filter(engagement=engagement).order_by("uploaded_at"))
    application = Application.objects.filter(engagement=engagement).first()
    for ev in evidence:
        ev.status_words = EVIDENCE_STATUS_WORDS.get(ev.status, (ev.status, ev.status))
    level_names = version.level_names()
    return {
        "e": engagement,
        "tenant": tenant,
        "organization": organization,
        "english_name": (
            organization.english_name
            if organization.english_name and organization.english_name != organization.legal_name
            else ""
        ),
        "version": version,
        "report": report,
        "level_names": level_names,
        "target_name": _level_name(version, engagement.target_level),
        "score": score,
        "sections": sections,
        "details": details,
        "legend": [
            RATING_WORDS[k] for k in ("met", "partially_met", "not_met", "not_applicable", "")
        ],
        "chart": charts.level_bars(
            [((f"{s['code']} {s['name_en']}", s["name_zh"]), s["level"]) for s in sections],
            engagement.target_level,
            title="Levels per domain · 各能力域等级",
            font_family=SVG_FONT_FAMILY,
            label_width=300,
        ),
        "now": timezone.now(),
        "team": team,
        "review": review,
        "review_words": REVIEW_WORDS.get(review.outcome, ("", "")) if review else None,
        "decision": decision,
        "decision_words": DECISION_WORDS.get(decision.outcome, ("", "")) if decision else None,
        "nonconformities": nonconformities,
        "evidence": evidence,
        # The projects proposed in the application and those the contract review sampled.
        "application": application,
        "verify_url": settings.SITE_URL + reverse("verify:index"),
    }


def _level_name(version, level):
    for entry in version.levels:
        if entry.get("level") == level:
            return entry
    return {}


def _report_item(item, score, finding):
    by_level = {}
    for requirement in item.requirements:
        rating = score.ratings.get(requirement.code) or ""
        by_level.setdefault(requirement.level, []).append(
            RATING_WORDS.get(rating, RATING_WORDS[""])[2]
        )
    return {
        "pk": item.pk,
        "code": item.code,
        "name_en": item.row.name_en,
        "name_zh": item.row.name_zh,
        "level": score.result.items[item.code].level,
        "narrative": finding.narrative if finding else "",
        # "1 M · 2 M · 3 MP · 4 N": the ratings of each level's requirements, in one cell (a
        # cell per level would double the cells WeasyPrint lays out).
        "cells": " · ".join(
            f"{level} {''.join(codes)}" for level, codes in sorted(by_level.items())
        ),
    }


def render_report_pdf(report, context=None):
    """(signed PDF bytes, SHA-256, signer fingerprint, pages) of a report version, rendered
    whole (``context``: its report_context, when read already)."""
    html = render_to_string(
        "certificates/report_pdf.html", whole(context or report_context(report))
    )
    pdf = _render(html, REPORT_CSS, unprintable="mark")
    pages = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"]
    return (*sign_report(pdf, report), pages)


def sign_report(pdf, report):
    """(signed PDF bytes, SHA-256, signer fingerprint) of a report version's unsigned PDF."""
    return _sign(
        pdf,
        report.engagement.tenant,
        f"Assessment report {report.engagement.reference} v{report.version}",
    )
