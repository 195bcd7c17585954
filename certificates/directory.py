"""The public directory of certified organizations (ISO/IEC 17021-1 8.1.3; IAF CertSearch's
fields), read by the web page, the JSON API and the CSV export alike.

Who is listed: the certificates of organizations that consented (`Organization.
directory_consent`) of bodies that publish (`Tenant.publish_directory`); China's PIPL and the
GDPR both want that choice made by the organization, and the body decides whether it publishes
at all. A certificate being issued or superseded by a revision is not listed; a suspended,
withdrawn or expired one is, as such.

A search costs two queries (the page and its count) whatever it finds, and none when cached: the
answer is kept in the cache for `DIRECTORY_CACHE_SECONDS`, under a key made of the normalised
query and a generation that any save of a certificate, organization or body moves on, so a
suspension through the services shows at the next search, and one by a bulk update (the daily
tasks) within the cache's lifetime (docs/architecture.md, "The public directory").
"""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from certificates.models import Certificate, fold

PAGE_SIZE = 20
GENERATION_KEY = "directory:generation"
Status = Certificate.Status
LISTED = (Status.ACTIVE, Status.SUSPENDED, Status.WITHDRAWN, Status.EXPIRED)
STATUS_CHOICES = [
    (Status.ACTIVE.value, Status.ACTIVE.label),
    (Status.SUSPENDED.value, Status.SUSPENDED.label),
    (Status.WITHDRAWN.value, Status.WITHDRAWN.label),
    (Status.EXPIRED.value, Status.EXPIRED.label),
]
FIELDS = (
    "number",
    "base_number",
    "organization_name",
    "organization_name_en",
    "tenant__name",
    "tenant__name_zh",
    "tenant__slug",
    "model_version__model__code",
    "model_name_en",
    "model_name_zh",
    "standard_identifier",
    "level",
    "level_name_en",
    "level_name_zh",
    "scope",
    "issued_on",
    "original_issued_on",
    "expires_on",
    "status",
)
# IAF CertSearch's fields, in its order, as the CSV export's columns.
CSV_COLUMNS = (
    "certification_body",
    "organization",
    "organization_en",
    "registration_id",
    "certificate_number",
    "scope",
    "standard",
    "level",
    "original_issue_date",
    "current_issue_date",
    "expiry_date",
    "status",
)


class DirectoryQuery(forms.Form):
    """What the directory is asked: every field optional; anything malformed is an error on its
    field (a 400 naming it)."""

    q = forms.CharField(
        label=_("Organization"),
        max_length=100,
        required=False,
        help_text=_("Part of the name, in English or Chinese, or a certificate number."),
    )
    model = forms.SlugField(label=_("Model"), max_length=60, required=False)
    part = forms.CharField(
        label=_("Part"),
        max_length=60,
        required=False,
        validators=[RegexValidator(r"^[A-Za-z0-9._-]+$", _("Letters, digits, . _ - only."))],
    )
    level = forms.IntegerField(label=_("Level"), min_value=1, max_value=9, required=False)
    body = forms.SlugField(label=_("Certification body"), max_length=50, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *STATUS_CHOICES], required=False
    )
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=100_000, required=False)

    def __init__(self, *args, bodies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if bodies is not None:  # the web page offers the publishing bodies to choose from
            self.fields["body"].widget = forms.Select(choices=[("", _("Any")), *bodies])

    def clean_q(self):
        return fold(self.cleaned_data["q"])

    def clean_body(self):
        slug = self.cleaned_data["body"]
        if slug and slug not in dict(publishing_bodies()):
            raise forms.ValidationError(_("No body of that name publishes a directory."))
        return slug

    def filters(self):
        """The cleaned query without its page, in a stable form (the cache key's)."""
        data = self.cleaned_data
        return {name: data.get(name) for name in ("q", "model", "part", "level", "body", "status")}


def generation():
    return cache.get_or_set(GENERATION_KEY, 1, timeout=None)


def forget():
    """Move the cache's generation on: every cached answer is stale from now on."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def publishing_bodies():
    """[(slug, name)] of the bodies that publish, cached like searches."""
    key = f"directory:{generation()}:bodies"
    bodies = cache.get(key)
    if bodies is None:
        from tenants.models import Tenant

        bodies = [
            (slug, name, name_zh)
            for slug, name, name_zh in Tenant.objects.filter(
                publish_directory=True, is_active=True
            ).values_list("slug", "name", "name_zh")
        ]
        cache.set(key, bodies, settings.DIRECTORY_CACHE_SECONDS)
    return [(slug, name) for slug, name, _name_zh in bodies]


def listed(filters, *, today=None):
    """The listed certificates that match `filters` (a DirectoryQuery's), as a queryset of
    value dicts, ordered by organization name."""
    today = today or timezone.localdate()
    with scopes_disabled():
        rows = Certificate.objects.filter(
            tenant__publish_directory=True,
            tenant__is_active=True,
            organization__directory_consent=True,
            status__in=LISTED,
        )
    if filters.get("q"):
        rows = rows.filter(search_key__contains=filters["q"])
    if filters.get("model"):
        rows = rows.filter(model_version__model__code=filters["model"])
    if filters.get("part"):
        rows = rows.filter(scope_codes__contains=f"|{filters['part']}|")
    if filters.get("level"):
        rows = rows.filter(level=filters["level"])
    if filters.get("body"):
        rows = rows.filter(tenant__slug=filters["body"])
    status = filters.get("status")
    live = (Status.ACTIVE, Status.SUSPENDED)
    if status in live:
        rows = rows.filter(status=status, expires_on__gte=today)
    elif status == Status.WITHDRAWN:
        rows = rows.filter(status=status)
    elif status == Status.EXPIRED:
        rows = rows.filter(Q(status=Status.EXPIRED) | Q(status__in=live, expires_on__lt=today))
    return rows.order_by("organization_name", "number").values(*FIELDS)


def shown_status(row, today):
    """A live certificate past its expiry is expired before the daily task marks it so."""
    if row["status"] in (Status.ACTIVE, Status.SUSPENDED) and row["expires_on"] < today:
        return Status.EXPIRED.value
    return row["status"]


def entry(row, today):
    """One listed certificate as the page, the API and the export show it."""
    return {
        "certificate_number": row["number"],
        "registration_id": row["base_number"] or row["number"],
        "organization": row["organization_name"],
        "organization_en": row["organization_name_en"],
        "body": row["tenant__slug"],
        "body_name": row["tenant__name"],
        "body_name_zh": row["tenant__name_zh"],
        "model": row["model_version__model__code"],
        "standard": row["standard_identifier"] or row["model_name_en"],
        "model_name_en": row["model_name_en"],
        "model_name_zh": row["model_name_zh"],
        "level": row["level"],
        "level_name_en": row["level_name_en"],
        "level_name_zh": row["level_name_zh"],
        "scope": [
            {
                "code": d.get("code", ""),
                "name_en": d.get("name_en", ""),
                "name_zh": d.get("name_zh", ""),
            }
            for d in row["scope"] or ()
        ],
        "original_issue_date": (row["original_issued_on"] or row["issued_on"]).isoformat(),
        "current_issue_date": row["issued_on"].isoformat(),
        "expiry_date": row["expires_on"].isoformat(),
        "status": shown_status(row, today),
    }


def search(filters, *, page=1, today=None):
    """One page of the directory: {"count", "page", "pages", "results"}. Two queries when not
    cached, none when cached."""
    today = today or timezone.localdate()
    text = json.dumps({**filters, "page": page, "today": today.isoformat()}, sort_keys=True)
    key = f"directory:{generation()}:search:{hashlib.sha256(text.encode()).hexdigest()}"
    answer = cache.get(key)
    if answer is None:
        answer = _search(filters, page, today)
        cache.set(key, answer, settings.DIRECTORY_CACHE_SECONDS)
    return answer


def _search(filters, page, today):
    rows = listed(filters, today=today)
    count = rows.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(page, pages)
    start = (page - 1) * PAGE_SIZE
    results = [entry(row, today) for row in rows[start : start + PAGE_SIZE]] if count else []
    return {"count": count, "page": page, "pages": pages, "results": results}


def csv_rows(filters, *, today=None, limit=None):
    """The export's rows (IAF CertSearch's columns), read with one query in chunks."""
    today = today or timezone.localdate()
    limit = limit or settings.DIRECTORY_EXPORT_MAX_ROWS
    yield CSV_COLUMNS
    for row in listed(filters, today=today)[:limit].iterator(chunk_size=2000):
        item = entry(row, today)
        yield tuple(
            _cell(value)
            for value in (
                item["body_name"],
                item["organization"],
                item["organization_en"],
                item["registration_id"],
                item["certificate_number"],
                "; ".join(
                    f"{d['code']} {d['name_en'] or d['name_zh'] or ''}".strip()
                    for d in item["scope"]
                ),
                item["standard"],
                f"{item['level']} {item['level_name_en']}".strip(),
                item["original_issue_date"],
                item["current_issue_date"],
                item["expiry_date"],
                item["status"],
            )
        )


def _cell(value):
    """A spreadsheet runs a cell that starts with = + - @ as a formula: not ours."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
