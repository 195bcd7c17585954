"""Web routes of the work part of assessments (included under /t/<tenant>/)."""

urlpatterns = []
