"""The public complaint form of a body (no login): /complaints/<body>/."""

from django.urls import path

from certificates import case_views

app_name = "complaints"

urlpatterns = [
    path("<slug:body>/", case_views.complaint_new, name="new"),
    path("<slug:body>/lodged/<str:number>/", case_views.complaint_lodged, name="lodged"),
]
