"""Demo: DEVELOPMENT signing credentials for the demo body (never for production)."""

from django_scopes import scopes_disabled

from certificates.credentials import ensure_dev_credentials
from tenants.models import Tenant


def load(write=print):
    with scopes_disabled():
        for tenant in Tenant.objects.filter(slug="demo"):
            had = bool(tenant.signing_pkcs12_path)
            ensure_dev_credentials(tenant)
            if not had:
                write(
                    f"Signing: DEVELOPMENT credentials for {tenant.name} in "
                    f"{tenant.signing_pkcs12_path} (not for production)."
                )
