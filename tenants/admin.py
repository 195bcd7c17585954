from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tenants.models import Membership, Organization, Tenant, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "preferred_language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "certificate_prefix", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "tenant", "registration_id", "is_active"]
    list_filter = ["tenant", "is_active"]
    search_fields = ["legal_name", "registration_id"]
    list_select_related = ["tenant"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "organization", "is_active"]
    list_filter = ["tenant", "role", "is_active"]
    search_fields = ["user__email"]
    list_select_related = ["user", "tenant", "organization"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # A role change or a deactivation has consequences on engagements (assignments and
        # object permissions removed, audited) that only tenants.services.update_membership
        # carries out: existing memberships are changed on the body's People page.
        if obj is not None:
            return ["user", "tenant", "role", "organization", "display_name", "is_active"]
        return []

    def has_delete_permission(self, request, obj=None):
        return False
