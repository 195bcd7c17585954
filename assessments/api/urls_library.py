"""API routes of the library part of assessments (included under /api/v1/t/<tenant>/)."""

urlpatterns = []
