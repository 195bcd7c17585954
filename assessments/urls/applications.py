"""Web routes of applications and their contract review (included under /t/<tenant>/)."""

from django.urls import path

from assessments.views import applications as views

A = "applications/<int:application_id>/"

urlpatterns = [
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path(A, views.application_detail, name="application_detail"),
    path(A + "edit/", views.application_edit, name="application_edit"),
    path(A + "submit/", views.application_submit, name="application_submit"),
    path(A + "withdraw/", views.application_withdraw, name="application_withdraw"),
    path(A + "accept/", views.application_accept, name="application_accept"),
    path(A + "decline/", views.application_decline, name="application_decline"),
]
