"""API routes of assessments, one module per subject, all under /api/v1/t/<tenant>/."""

from assessments.api import urls_applications, urls_engagements, urls_library, urls_work

urlpatterns = (
    urls_library.urlpatterns
    + urls_engagements.urlpatterns
    + urls_applications.urlpatterns
    + urls_work.urlpatterns
)
