"""API routes of the work inside engagements (included under /api/v1/t/<tenant>/)."""

from rest_framework.routers import SimpleRouter

from assessments.api import work as views
from assessments.api.ratings import RatingViewSet

router = SimpleRouter()
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("evidence-requests", views.EvidenceRequestViewSet, basename="evidence-request")
router.register("self-ratings", views.SelfRatingViewSet, basename="self-rating")
router.register("findings", views.FindingViewSet, basename="finding")
router.register("nonconformities", views.NonconformityViewSet, basename="nonconformity")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("ratings", RatingViewSet, basename="rating")

urlpatterns = router.urls
