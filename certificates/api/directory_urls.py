"""Public directory API (no login): /api/v1/directory/."""

from django.urls import path

from certificates.api import directory

urlpatterns = [
    path("", directory.directory_search, name="directory"),
]
