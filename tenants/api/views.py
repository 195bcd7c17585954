"""API of organizations and memberships: thin views over selectors and services."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from portal.api import FilterSet, ModelChoiceFilter
from tenants import selectors, services, tokens
from tenants.api.serializers import (
    AccountSerializer,
    DirectorySettingsSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    MyMembershipSerializer,
    OrganizationSerializer,
)
from tenants.models import Authorisation, Membership, Organization, User
from tenants.roles import Capability, has_capability

# django-filter inspects the default manager when a FilterSet class is made, at import time and
# outside any tenant scope; foreign-key filters get per-request (scoped) querysets instead.
with scopes_disabled():

    class OrganizationFilter(FilterSet):
        class Meta:
            model = Organization
            fields = ["is_active", "registration_type", "registration_id"]

    class MembershipFilter(FilterSet):
        organization = ModelChoiceFilter(queryset=lambda request: Organization.objects.all())

        class Meta:
            model = Membership
            fields = ["role", "is_active", "organization"]


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Client organizations of the tenant. Organizations are deactivated, never deleted."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    search_fields = ["legal_name", "english_name", "registration_id"]
    ordering_fields = ["legal_name", "created_at", "id"]
    ordering = ["legal_name", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Organization.objects.none()
        return selectors.organizations_visible_to(self.request.membership)

    def perform_create(self, serializer):
        serializer.instance = services.create_organization(
            tenant=self.request.tenant, by=self.request.membership, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_organization(
            organization=serializer.instance,
            by=self.request.membership,
            **serializer.validated_data,
        )


class AuthorisationSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="email", queryset=User.objects.none())

    class Meta:
        model = Authorisation
        fields = [
            "id",
            "user",
            "role",
            "model_code",
            "part_code",
            "qualification",
            "valid_from",
            "valid_until",
            "is_active",
            "granted_at",
        ]
        read_only_fields = ["id", "is_active", "granted_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "tenant", None) is not None:
            self.fields["user"].queryset = User.objects.filter(
                memberships__tenant=request.tenant, memberships__is_active=True
            )


with scopes_disabled():

    class AuthorisationFilter(FilterSet):
        class Meta:
            model = Authorisation
            fields = ["role", "model_code", "part_code", "is_active"]


class AuthorisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Competence and authorisation: who may act as assessor, lead, reviewer or officer for a
    model (or one part), with validity dates. Staff read them; tenant admins record and revoke
    (POST /authorisations/{id}/revoke/). Once a body records any, assignment requires one."""

    serializer_class = AuthorisationSerializer
    filterset_class = AuthorisationFilter
    search_fields = ["user__email", "model_code", "qualification"]
    ordering = ["user__email", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Authorisation.objects.none()
        return selectors.authorisations_visible_to(self.request.membership)

    def create(self, request, *args, **kwargs):
        from tenants.access import require_capability
        from tenants.roles import Capability

        require_capability(request.membership, Capability.MANAGE_MEMBERSHIPS)  # 403 before 400
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.grant_authorisation(
            tenant=self.request.tenant,
            by=self.request.membership,
            user=data["user"],
            role=data["role"],
            model_code=data["model_code"],
            part_code=data.get("part_code", ""),
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            qualification=data.get("qualification", ""),
        )

    @extend_schema(request=None, responses=AuthorisationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        authorisation = services.revoke_authorisation(
            authorisation=self.get_object(), by=request.membership
        )
        return Response(self.get_serializer(authorisation).data)


class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """People of the tenant and their roles. People are deactivated, never deleted."""

    filterset_class = MembershipFilter
    search_fields = ["user__email", "display_name"]
    ordering_fields = ["user__email", "created_at", "id"]
    ordering = ["user__email", "id"]
    lookup_value_regex = r"\d+"

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return MembershipUpdateSerializer
        return MembershipSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Membership.objects.none()
        return selectors.memberships_visible_to(self.request.membership)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.add_member(
            tenant=self.request.tenant,
            by=self.request.membership,
            email=data["user"]["email"],
            display_name=data.get("display_name", ""),
            role=data["role"],
            organization=data.get("organization"),
            request=self.request._request,
        )

    def perform_update(self, serializer):
        # The account's name belongs to the person and is shared with the other bodies they
        # are in: asking to change it here is refused, not silently ignored.
        asked = sorted(ACCOUNT_ONLY_FIELDS & set(self.request.data))
        if asked:
            raise PermissionDenied(
                _("Only the person changes their own %(fields)s, on My account.")
                % {"fields": ", ".join(asked)}
            )
        data = serializer.validated_data
        serializer.instance = services.update_membership(
            membership=serializer.instance,
            by=self.request.membership,
            role=data.get("role"),
            organization=data.get("organization"),
            is_active=data.get("is_active"),
            display_name=data.get("display_name"),
        )


ACCOUNT_ONLY_FIELDS = frozenset({"first_name", "last_name", "preferred_language", "password"})


@extend_schema(responses=MyMembershipSerializer(many=True))
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    """The assessment bodies the caller belongs to, with their role in each."""
    memberships = selectors.memberships_of(request.user)
    return Response(MyMembershipSerializer(memberships, many=True).data)


@extend_schema(request=AccountSerializer, responses=AccountSerializer)
@api_view(["GET", "PATCH"])
@permission_classes([IsAuthenticated])
def my_account(request):
    """The caller's own account: read it, or change their name and preferred language."""
    if request.method == "PATCH":
        serializer = AccountSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_account(user=request.user, **serializer.validated_data)
    return Response(AccountSerializer(request.user).data)


TOKEN_RESPONSE = inline_serializer(
    "TokenResponse", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)


def _token_answer(token, key):
    return Response({"token": key, "expiry": token.expiry}, status=status.HTTP_200_OK)


@extend_schema(
    request=inline_serializer(
        "TokenRequest", {"email": serializers.EmailField(), "password": serializers.CharField()}
    ),
    responses=TOKEN_RESPONSE,
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def obtain_token(request):
    """Exchange an email and password for an API token (send it as `Authorization: Token …`).

    The token expires (`expiry`); repeated failures lock the account and the address out, as on
    the login form (django-axes counts them: `authenticate` is given the request)."""
    email = request.data.get("email")
    password = request.data.get("password")
    errors = {}
    if not isinstance(email, str) or not email:
        errors["email"] = ["This field is required."]
    if not isinstance(password, str) or not password:
        errors["password"] = ["This field is required."]
    if errors:
        raise ValidationError(errors)
    user = authenticate(request._request, username=email.strip().lower(), password=password)
    if user is None:
        raise ValidationError({"detail": ["Unable to log in with these credentials."]})
    token, key = tokens.issue_api_token(user=user)
    return _token_answer(token, key)


@extend_schema(request=None, responses=TOKEN_RESPONSE)
@api_view(["POST"])
@authentication_classes([TokenAuthentication])
@permission_classes([IsAuthenticated])
def rotate_token(request):
    """A new token for the one sent, which stops working at once."""
    token, key = tokens.rotate_api_token(token=request.auth)
    return _token_answer(token, key)


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
@authentication_classes([TokenAuthentication])
@permission_classes([IsAuthenticated])
def revoke_token(request):
    """Log out: the token sent stops working."""
    tokens.revoke_api_token(token=request.auth)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
@authentication_classes([TokenAuthentication])
@permission_classes([IsAuthenticated])
def revoke_all_tokens(request):
    """Log out everywhere: every token of the caller stops working."""
    tokens.revoke_api_tokens(user=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=DirectorySettingsSerializer, responses=DirectorySettingsSerializer)
@api_view(["GET", "PUT", "PATCH"])
def directory_settings(request, **kwargs):
    """Whether this body lists its certified clients that consented in the public directory
    (/api/v1/directory/). Tenant admins only; changes are audited."""
    membership = request.membership
    if not has_capability(membership, Capability.MANAGE_SETTINGS):
        raise PermissionDenied(_("Your role in this assessment body does not allow this."))
    if request.method != "GET":
        serializer = DirectorySettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.set_directory_publishing(
            tenant=request.tenant,
            by=membership,
            publish=serializer.validated_data["publish_directory"],
        )
    consenting = (
        selectors.organizations_visible_to(membership)
        .filter(directory_consent=True, is_active=True)
        .count()
    )
    return Response(
        {
            "publish_directory": request.tenant.publish_directory,
            "consenting_organizations": consenting,
        }
    )
