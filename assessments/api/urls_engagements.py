"""API routes of the engagements part of assessments (included under /api/v1/t/<tenant>/)."""

urlpatterns = []
