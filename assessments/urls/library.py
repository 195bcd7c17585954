"""Web routes of the library part of assessments (included under /t/<tenant>/)."""

urlpatterns = []
