"""A Content-Security-Policy on every page: scripts and styles only from our own files."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Rendered by WeasyPrint into PDFs, never served to a browser.
PDF_TEMPLATES = {"certificates/certificate_pdf.html", "certificates/report_pdf.html"}
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def _policy(response):
    return dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )


@pytest.mark.parametrize("path", ["/accounts/login/", "/verify/", "/api/v1/docs/"])
def test_pages_carry_a_policy_without_inline_code(client, db, path):
    policy = _policy(client.get(path))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy.get("style-src", "'self'")
    assert policy["frame-ancestors"] == "'none'"


def test_no_served_template_holds_inline_script_style_or_handler():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if str(path.relative_to(TEMPLATES)) not in PDF_TEMPLATES
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []
