from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, metrics, views
from portal.api import ApiDocsAccess
from tenants.api import views as tenant_api_views

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsAccess]), name="schema"),
    # The split view serves its start-up script as a file, not inline: no CSP exception needed.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", permission_classes=[ApiDocsAccess]
        ),
        name="docs",
    ),
    path("auth/token/", tenant_api_views.obtain_token, name="token"),
    path("auth/token/rotate/", tenant_api_views.rotate_token, name="token_rotate"),
    path("auth/logout/", tenant_api_views.revoke_token, name="logout"),
    path("auth/logoutall/", tenant_api_views.revoke_all_tokens, name="logoutall"),
    path("me/", tenant_api_views.me, name="me"),
    path("me/account/", tenant_api_views.my_account, name="my_account"),
    path("me/", include("assessments.api.urls_me")),
    path("t/<slug:tenant>/", include("tenants.api.urls")),
    path("t/<slug:tenant>/", include("assessments.api.urls")),
    path("t/<slug:tenant>/", include("certificates.api.urls")),
    path("verify/", include("certificates.api.public_urls")),
    path("complaints/", include("certificates.api.complaint_urls")),
    path("directory/", include("certificates.api.directory_urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("health/", views.health, name="health"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("account/", views.account, name="account"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("t/<slug:tenant>/", include("tenants.urls")),
    path("t/<slug:tenant>/", include("assessments.urls")),
    path("t/<slug:tenant>/", include("certificates.urls")),
    path("verify/", include("certificates.public_urls")),
    path("complaints/", include("certificates.complaint_urls")),
    path("directory/", include("certificates.directory_urls")),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
