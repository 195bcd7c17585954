"""Web routes of assessments, one module per subject, all under /t/<tenant>/."""

from assessments.urls import engagements, library, work

app_name = "assessments"

urlpatterns = library.urlpatterns + engagements.urlpatterns + work.urlpatterns
