"""Public verification pages: no login, no tenant in the address."""

from django.urls import path

from certificates import views

app_name = "verify"

urlpatterns = [
    path("", views.verify, name="index"),
    path("<str:number>/", views.verify_number, name="number"),
]
