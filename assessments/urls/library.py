"""Web routes of the model library (included under /t/<tenant>/)."""

from django.urls import path

from assessments.views import library as views

urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/upload/", views.model_upload, name="model_upload"),
    path("models/versions/<int:version_id>/", views.version_detail, name="version_detail"),
    path(
        "models/versions/<int:version_id>/compare/", views.version_compare, name="version_compare"
    ),
    path("models/versions/<int:version_id>/export/", views.version_export, name="version_export"),
    path(
        "models/versions/<int:version_id>/publish/", views.version_publish, name="version_publish"
    ),
    path("models/versions/<int:version_id>/delete/", views.version_delete, name="version_delete"),
]
