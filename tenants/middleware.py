"""Tenant resolution: once per request, from the URL prefix, failing closed.

`/t/<slug>/…` and `/api/v1/t/<slug>/…` run inside a django-scopes scope of that tenant, so
every query of a tenant-owned model is filtered to it; anywhere else such a query raises
`ScopeError` unless the code says `scopes_disabled()` on purpose. Web views of a tenant are for
its active members only (anyone else gets a 404, never a hint); API views make the same check in
their permission class, after DRF has authenticated the token.
"""

import re

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django_scopes import scope, scopes_disabled

from tenants import access
from tenants.models import Tenant

TENANT_PATH = re.compile(r"^/(?:api/v1/)?t/(?P<slug>[^/]+)/")


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        path = request.path_info
        if path.startswith("/admin/"):
            # Platform admins see every tenant's rows in the Django admin, by design.
            with scopes_disabled():
                return self.get_response(request)
        match = TENANT_PATH.match(path)
        if match is None:
            return self.get_response(request)
        tenant = Tenant.objects.filter(slug=match["slug"], is_active=True).first()
        if tenant is None:
            raise Http404("No such assessment body.")
        request.tenant = tenant
        with scope(tenant=tenant):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.tenant is None:
            return None
        # Views read request.tenant; the slug in the URL has done its job.
        view_kwargs.pop("tenant", None)
        if request.path_info.startswith("/api/"):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.membership = access.active_membership(request.user, request.tenant)
        if request.membership is None:
            raise Http404("No such assessment body.")
        return None
