from rest_framework.routers import SimpleRouter

from tenants.api import views

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("authorisations", views.AuthorisationViewSet, basename="authorisation")

urlpatterns = router.urls
