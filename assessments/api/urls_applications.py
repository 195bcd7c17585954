"""API routes of applications (included under /api/v1/t/<tenant>/)."""

from rest_framework.routers import SimpleRouter

from assessments.api import applications as views

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")

urlpatterns = router.urls
