"""How django-axes names an attempted login and answers a locked-out one.

An account is counted by its email whatever its case (the login form posts it as `username`,
the token API as `email` and hands it on as `username`); a locked-out person gets a page (or,
on the API, JSON) saying why and how to get unlocked, with 429, never a bare 403 or a 500.
"""

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def attempted_username(request, credentials):
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username", "") if hasattr(request, "POST") else ""
    return str(value).strip().lower()


def lockout_message(request):
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0
    if minutes:
        wait = ngettext(
            "Try again in %(minutes)d minute, or ask an administrator to unlock it.",
            "Try again in %(minutes)d minutes, or ask an administrator to unlock it.",
            minutes,
        ) % {"minutes": minutes}
    else:
        wait = _("Ask an administrator to unlock it.")
    return "{} {}".format(_("Too many failed logins for this account or from this address."), wait)


def locked_out_response(request, original_response=None, credentials=None):
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(
        request,
        "error.html",
        {"status": 429, "title": _("Login locked"), "message": message},
        status=429,
    )
