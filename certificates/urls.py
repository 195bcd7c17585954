"""Certificate and report pages of a tenant (included under /t/<tenant>/)."""

from django.urls import path

from certificates import case_views, review_views, views

app_name = "certificates"

urlpatterns = [
    path("particulars/", views.body_particulars, name="particulars"),
    path("certificates/", views.certificate_list, name="list"),
    path("certificates/<int:certificate_id>/", views.certificate_detail, name="detail"),
    path("certificates/<int:certificate_id>/status/", views.certificate_status, name="status"),
    path(
        "certificates/<int:certificate_id>/download/", views.certificate_download, name="download"
    ),
    path(
        "certificates/<int:certificate_id>/<str:action>/", views.certificate_change, name="change"
    ),
    path(
        "programme/<int:visit_id>/conclude/",
        views.programme_conclude,
        name="programme_conclude",
    ),
    path(
        "engagements/<int:engagement_id>/certificate/issue/", views.certificate_issue, name="issue"
    ),
    path(
        "engagements/<int:engagement_id>/report-review/",
        review_views.report_review,
        name="report_review",
    ),
    path("engagements/<int:engagement_id>/reports/", views.report_list, name="report_list"),
    path("engagements/<int:engagement_id>/appeal/", case_views.appeal_new, name="appeal_new"),
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/<int:case_id>/", case_views.case_detail, name="case_detail"),
    path(
        "engagements/<int:engagement_id>/reports/<int:report_id>/download/",
        views.report_download,
        name="report_download",
    ),
]
