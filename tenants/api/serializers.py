from django.conf import settings
from rest_framework import serializers

from tenants.api.fields import TenantRelatedField
from tenants.models import Membership, Organization, User
from tenants.roles import Role


class OrganizationSerializer(serializers.ModelSerializer):
    directory_consent_by = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "legal_name",
            "english_name",
            "registration_type",
            "registration_id",
            "contact_name",
            "contact_email",
            "contact_phone",
            "address",
            "directory_consent",
            "directory_consent_at",
            "directory_consent_by",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at", "directory_consent_at", "directory_consent_by"]
        # Uniqueness is checked by the service, inside the tenant.
        validators = []


class DirectorySettingsSerializer(serializers.Serializer):
    publish_directory = serializers.BooleanField(
        help_text="List the body's certified clients that consented in the public directory."
    )
    consenting_organizations = serializers.IntegerField(read_only=True)


class MembershipSerializer(serializers.ModelSerializer):
    """A body's view of a person: the membership and the account's email, nothing more of the
    account (its name and language are the person's, see AccountSerializer)."""

    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices)
    organization = TenantRelatedField(model=Organization, required=False, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "display_name",
            "role",
            "organization",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class MembershipUpdateSerializer(MembershipSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)


class AccountSerializer(serializers.ModelSerializer):
    """The caller's own account; the email is the login and is not changed here."""

    preferred_language = serializers.ChoiceField(
        choices=[("", ""), *settings.LANGUAGES], required=False, allow_blank=True
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "preferred_language"]
        read_only_fields = ["email"]


class MyMembershipSerializer(serializers.ModelSerializer):
    tenant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["tenant", "tenant_name", "role", "organization"]
