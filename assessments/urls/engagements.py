"""Web routes of the engagements part of assessments (included under /t/<tenant>/)."""

urlpatterns = []
