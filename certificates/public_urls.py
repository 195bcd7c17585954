"""Public verification pages: no login, no tenant in the address."""

from django.urls import path

from certificates import views

app_name = "verify"

urlpatterns = [
    path("", views.verify, name="index"),
    # Open Badges: the bodies' profiles, keys and status lists (before the numbers).
    path("issuers/<slug:slug>/", views.issuer_profile, name="issuer"),
    path("issuers/<slug:slug>/jwks.json", views.issuer_jwks, name="issuer_jwks"),
    path("issuers/<slug:slug>/status/<str:purpose>/", views.status_list, name="status_list"),
    # What checking a PDF offline needs (before the numbers).
    path("trust/roots.pem", views.trust_roots_download, name="trust_roots"),
    path("trust/openssl_check.py", views.openssl_check_download, name="openssl_check"),
    path("<str:number>/", views.verify_number, name="number"),
    path("<str:number>/credential/", views.verify_credential_download, name="credential"),
]
