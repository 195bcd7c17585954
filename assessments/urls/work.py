"""Web routes of the work inside an engagement (included under /t/<tenant>/)."""

from django.urls import path

from assessments.views import grid
from assessments.views import requests as request_views
from assessments.views import self_assessment as self_views
from assessments.views import work as views

E = "engagements/<int:engagement_id>/"

urlpatterns = [
    path(E + "evidence/new/", views.evidence_upload, name="evidence_upload"),
    path(E + "evidence/<int:evidence_id>/", views.evidence_detail, name="evidence_detail"),
    path(
        E + "evidence/<int:evidence_id>/download/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        E + "evidence/<int:evidence_id>/preview/",
        views.evidence_preview,
        name="evidence_preview",
    ),
    path(E + "evidence/judge/", views.evidence_judge_many, name="evidence_judge_many"),
    path(
        E + "evidence/<int:evidence_id>/new-version/",
        views.evidence_upload,
        name="evidence_new_version",
    ),
    path(E + "requests/", request_views.request_list, name="request_list"),
    path(E + "requests/<int:request_id>/", request_views.request_detail, name="request_detail"),
    path(E + "self-assessment/", self_views.self_assessment, name="self_assessment"),
    path(
        E + "self-assessment/sheet/",
        self_views.self_assessment_sheet,
        name="self_assessment_sheet",
    ),
    path(E + "items/<int:item_id>/finding/", views.finding_edit, name="finding_edit"),
    path(E + "grid/", grid.grid, name="rating_grid"),
    path(E + "nonconformities/new/", views.nonconformity_create, name="nonconformity_create"),
    path(
        E + "nonconformities/<int:nonconformity_id>/",
        views.nonconformity_detail,
        name="nonconformity_detail",
    ),
    path(E + "review/", views.review_create, name="review_create"),
    path(E + "decision/", views.decision_create, name="decision_create"),
]
