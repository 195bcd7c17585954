"""The public directory's page and CSV export: no login, no tenant in the address, limited per
client address like the verification pages (certificates/directory.py says what is listed)."""

import csv

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from certificates import directory

RATE = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["directory"]


def _limited(request):
    return render(
        request,
        "error.html",
        {
            "status": 429,
            "title": _("Too many requests"),
            "message": _("Too many searches from your address; wait a minute and try again."),
        },
        status=429,
    )


@ratelimit(key="ip", rate=RATE, group="directory", block=False)
def directory_page(request):
    if getattr(request, "limited", False):
        return _limited(request)
    bodies = directory.publishing_bodies()
    form = directory.DirectoryQuery(request.GET, bodies=bodies)
    answer = None
    if form.is_valid():
        answer = directory.search(form.filters(), page=form.cleaned_data["page"] or 1)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "certificates/directory.html",
        {
            "form": form,
            "answer": answer,
            "query": query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


@ratelimit(key="ip", rate=RATE, group="directory", block=False)
def directory_csv(request):
    """IAF CertSearch's fields, one row per listed certificate matching the page's filters."""
    if getattr(request, "limited", False):
        return _limited(request)
    form = directory.DirectoryQuery(request.GET)
    if not form.is_valid():
        return render(
            request,
            "certificates/directory.html",
            {"form": form, "answer": None},
            status=400,
        )
    # Excel reads a UTF-8 file as UTF-8 (Chinese names intact) only when it starts with a BOM.
    # At most DIRECTORY_EXPORT_MAX_ROWS rows (a few MB): written whole, read in chunks.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")
    csv.writer(response).writerows(directory.csv_rows(form.filters()))
    response["Content-Disposition"] = 'attachment; filename="certified-organizations.csv"'
    return response
