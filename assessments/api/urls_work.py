"""API routes of the work part of assessments (included under /api/v1/t/<tenant>/)."""

urlpatterns = []
