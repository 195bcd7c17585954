"""The public complaint API of a body (no login): POST /api/v1/complaints/<body>/."""

from django.urls import path

from certificates.api import cases

urlpatterns = [
    path("<slug:body>/", cases.lodge_complaint, name="complaint-lodge"),
]
