from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        from tenants import tokens  # noqa: F401  (connects the password-change receivers)
