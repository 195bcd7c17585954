"""API routes of engagements (included under /api/v1/t/<tenant>/)."""

from rest_framework.routers import SimpleRouter

from assessments.api import engagements as views

router = SimpleRouter()
router.register("engagements", views.EngagementViewSet, basename="engagement")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("conflicts", views.ConflictViewSet, basename="conflict")

urlpatterns = router.urls
