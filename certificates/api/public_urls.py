"""Public verification API (no login): /api/v1/verify/."""

from django.urls import path

from certificates.api import views

urlpatterns = [
    path("", views.verify_upload, name="verify-upload"),
    path("credential/", views.verify_credential, name="verify-credential"),
    path("trust/", views.verify_trust, name="verify-trust"),
    path("<str:number>/", views.verify_number, name="verify-number"),
    path("<str:number>/credential/", views.verify_credential_of, name="verify-credential-of"),
]
