"""Certificate API of a tenant (included under /api/v1/t/<tenant>/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from certificates.api import cases, review_views, views

router = SimpleRouter()
router.register("certificates", views.CertificateViewSet, basename="certificate")
router.register("reports", views.ReportViewSet, basename="report")
router.register("programme", views.ProgrammeVisitViewSet, basename="programme-visit")
router.register("cases", cases.CaseViewSet, basename="case")
router.register("appeals", cases.AppealViewSet, basename="appeal")
router.register("report-reviews", review_views.ReportReviewViewSet, basename="report-review")

urlpatterns = [
    path("particulars/", views.body_particulars, name="particulars"),
    *router.urls,
]
