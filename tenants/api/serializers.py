from rest_framework import serializers

from tenants.api.fields import TenantRelatedField
from tenants.models import Membership, Organization
from tenants.roles import Role


class OrganizationSerializer(serializers.ModelSerializer):
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
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        # Uniqueness is checked by the service, inside the tenant.
        validators = []


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name", required=False, allow_blank=True)
    last_name = serializers.CharField(source="user.last_name", required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices)
    organization = TenantRelatedField(model=Organization, required=False, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "role",
            "organization",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class MembershipUpdateSerializer(MembershipSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)


class MyMembershipSerializer(serializers.ModelSerializer):
    tenant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["tenant", "tenant_name", "role", "organization"]
