from django.urls import path
from rest_framework.routers import SimpleRouter

from tenants.api import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("authorisations", views.AuthorisationViewSet, basename="authorisation")

urlpatterns = [
    path("directory-settings/", views.directory_settings, name="directory-settings"),
    *router.urls,
]
