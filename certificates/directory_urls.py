"""The public directory of certified organizations: no login, no tenant in the address."""

from django.urls import path

from certificates import directory_views

app_name = "directory"

urlpatterns = [
    path("", directory_views.directory_page, name="index"),
    path("export.csv", directory_views.directory_csv, name="export"),
]
