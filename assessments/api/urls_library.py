"""API routes of the model library (included under /api/v1/t/<tenant>/)."""

from rest_framework.routers import SimpleRouter

from assessments.api import library as views

router = SimpleRouter()
router.register("models", views.MaturityModelViewSet, basename="model")
router.register("model-versions", views.ModelVersionViewSet, basename="modelversion")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("items", views.CapabilityItemViewSet, basename="item")
router.register("requirements", views.LevelRequirementViewSet, basename="requirement")

urlpatterns = router.urls
