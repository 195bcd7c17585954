"""Web routes of assessments, one module per subject, all under /t/<tenant>/."""

from assessments.urls import applications, engagements, library, work

app_name = "assessments"

urlpatterns = (
    library.urlpatterns + engagements.urlpatterns + applications.urlpatterns + work.urlpatterns
)
