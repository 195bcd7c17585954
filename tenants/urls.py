from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<int:organization_id>/edit/",
        views.organization_edit,
        name="organization_edit",
    ),
    path(
        "organizations/<int:organization_id>/active/",
        views.organization_set_active,
        name="organization_set_active",
    ),
    path("directory/", views.directory_settings, name="directory_settings"),
    path("people/", views.membership_list, name="membership_list"),
    path("people/new/", views.membership_create, name="membership_create"),
    path("people/<int:membership_id>/edit/", views.membership_edit, name="membership_edit"),
    path("people/authorisations/", views.authorisation_list, name="authorisation_list"),
    path(
        "people/authorisations/<int:authorisation_id>/revoke/",
        views.authorisation_revoke,
        name="authorisation_revoke",
    ),
]
