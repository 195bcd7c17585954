"""Pages that belong to no tenant: the dashboard, health and the error pages."""

import sys
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from portal import dashboard as dashboard_panels
from portal.errors import body_too_large_message
from portal.forms import submitted
from tenants import services as tenant_services
from tenants.forms import AccountForm
from tenants.selectors import memberships_of


@login_required
def dashboard(request):
    return render(
        request,
        "portal/dashboard.html",
        {
            "memberships": memberships_of(request.user),
            "panels": dashboard_panels.panels_for(request),
        },
    )


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The link of an invitation or a password reset: the person chooses a password and is
    logged in with it, straight to their dashboard.

    The login names the model backend: the lockout backend (axes) refuses a login it cannot
    tie to an authenticate() call, and the person has just proved who they are with the link."""

    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set and you are logged in."))
        return response


@login_required
def account(request):
    """My account: the person's own name and language, shared by every body they belong to."""
    user = request.user
    initial = {name: getattr(user, name) for name in tenant_services.ACCOUNT_FIELDS}
    form = AccountForm(submitted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            tenant_services.update_account(user=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your account is saved."))
            response = redirect("account")
            if user.preferred_language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.preferred_language,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                )
            return response
    return render(request, "portal/account.html", {"form": form})


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _error(request, status, title, message):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def error_message(status):
    """The message of an error answer, for people, by HTTP status."""
    messages = {
        400: _("The request could not be understood."),
        403: _("Your role does not allow this."),
        404: _("There is nothing here, or not for you."),
        500: _("Something went wrong on our side; it was logged."),
    }
    if status in messages:
        return messages[status]
    return HTTPStatus(status).phrase if status in HTTPStatus else messages[400]


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return _error(request, 400, _("Bad request"), body_too_large_message())
    return _error(request, 400, _("Bad request"), error_message(400))


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else None
    return _error(
        request,
        403,
        _("Not allowed"),
        message or error_message(403),
    )


def page_not_found(request, exception=None):
    return _error(request, 404, _("Not found"), error_message(404))


def _backing_service_down(error):
    """PostgreSQL or Redis refusing or dropping connections: a restart or a failover."""
    import redis
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    return isinstance(
        error,
        OperationalError
        | InterfaceError
        | BrokerError
        | redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError,
    )


def server_error(request):
    # Django calls this inside its `except`: the exception is the one being handled.
    if _backing_service_down(sys.exc_info()[1]):
        return service_unavailable(request)
    return _error(request, 500, _("Server error"), error_message(500))


def service_unavailable(request):
    """503 with Retry-After, rendered without the request's context: the database may be what
    is down, and the base layout's context asks it for the user and the tenant."""
    message = _("A service the portal needs is restarting; try again in a few seconds.")
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        context = {"status": 503, "title": _("Temporarily unavailable"), "message": message}
        response = render(None, "error.html", context, status=503)
    response["Retry-After"] = "5"
    return response
