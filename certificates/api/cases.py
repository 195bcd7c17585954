"""API of complaints and appeals (docs/architecture.md, "Complaints and appeals"): the public
complaint, the client's appeal, the body's register and the handling of a case."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from assessments.api.engagements import StaffEmailField, VisibleEngagementField
from assessments.models import Engagement
from certificates import selectors
from certificates.models import Case
from certificates.services import cases as services
from portal.addresses import ClientAddressRateThrottle
from portal.api import FilterSet
from tenants.api.fields import TenantRelatedField
from tenants.models import Organization, Tenant


class CaseSerializer(serializers.ModelSerializer):
    certificate = serializers.CharField(source="certificate.number", default=None)
    engagement = serializers.CharField(source="engagement.reference", default=None)
    handler = serializers.EmailField(source="handler.email", default=None)
    follow_up = serializers.CharField(source="follow_up.reference", default=None)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "number",
            "about",
            "organization",
            "organization_name",
            "certificate",
            "engagement",
            "decision",
            "name",
            "email",
            "text",
            "status",
            "due_on",
            "overdue",
            "handler",
            "assigned_at",
            "outcome",
            "reply",
            "follow_up",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, case) -> bool:
        return case.is_overdue(timezone.localdate())


@extend_schema_field(OpenApiTypes.EMAIL)
class HandlerField(StaffEmailField):
    pass


@extend_schema_field(OpenApiTypes.INT)
class TenantIdField(TenantRelatedField):
    pass


class AppealSerializer(serializers.Serializer):
    engagement = VisibleEngagementField()
    grounds = serializers.CharField(max_length=10_000)


class AssignSerializer(serializers.Serializer):
    handler = HandlerField(help_text="Email of a staff member of this body.")
    organization = TenantIdField(
        model=Organization,
        required=False,
        allow_null=True,
        help_text="The client a complaint about an organization concerns, to link it.",
    )


class DecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Case.Outcome.choices)
    reply = serializers.CharField(max_length=10_000)
    follow_up = TenantIdField(
        model=Engagement,
        required=False,
        allow_null=True,
        help_text="Upheld: the engagement in which the body takes the matter up again.",
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


with scopes_disabled():

    class CaseFilter(FilterSet):
        overdue = django_filters.BooleanFilter(method="filter_overdue")

        class Meta:
            model = Case
            fields = ["kind", "status"]

        def filter_overdue(self, queryset, name, value):
            late = {"status__in": Case.OPEN, "due_on__lt": timezone.localdate()}
            return queryset.filter(**late) if value else queryset.exclude(**late)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints and appeals: the body's admins see the register, a handler the cases they
    handle, an appellant their appeals. Admins assign an uninvolved handler; the handler
    decides; a refused handler is a 400 on `handler` with the reason."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    search_fields = ["number", "organization_name", "name"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.cases_visible_to(self.request.membership)

    def _answer(self, case):
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=AssignSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the case to a handler not involved in the matter (tenant admins)."""
        case = self.get_object()
        payload = AssignSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return self._answer(
            services.assign_handler(
                case=case,
                user=data["handler"],
                by=request.membership,
                organization=data.get("organization"),
            )
        )

    @extend_schema(request=DecideSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The handler's outcome and reply (emailed to the complainant or appellant)."""
        case = self.get_object()
        payload = DecideSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return self._answer(
            services.decide(
                case=case,
                by=request.membership,
                outcome=data["outcome"],
                reply=data["reply"],
                follow_up=data.get("follow_up"),
            )
        )

    @extend_schema(request=WithdrawSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Record that the complainant or appellant withdrew the case."""
        case = self.get_object()
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.withdraw(case=case, by=request.membership, **payload.validated_data)
        )


class AppealViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A client's person appeals the decision of their organization's engagement:
    POST {"engagement", "grounds"} answers the appeal with its acknowledgement number."""

    serializer_class = AppealSerializer

    def get_queryset(self):
        return Case.objects.none()

    @extend_schema(request=AppealSerializer, responses={201: CaseSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case = services.lodge_appeal(by=request.membership, **payload.validated_data)
        visible = selectors.cases_visible_to(request.membership).get(pk=case.pk)
        return Response(CaseSerializer(visible).data, status=status.HTTP_201_CREATED)


class ComplaintSerializer(serializers.Serializer):
    about = serializers.ChoiceField(choices=Case.About.choices)
    certificate_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40
    )
    organization_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    text = serializers.CharField(max_length=10_000)


@extend_schema(
    request=ComplaintSerializer,
    responses={
        201: inline_serializer(
            "ComplaintAcknowledgement",
            {
                "number": serializers.CharField(),
                "status": serializers.CharField(),
                "due_on": serializers.DateField(),
            },
        )
    },
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
def lodge_complaint(request, body):
    """Public: lodge a complaint about a certified organization (its certificate number or its
    name) or about the body; answers the acknowledgement number (also emailed)."""
    tenant = get_object_or_404(Tenant, slug=body, is_active=True)
    payload = ComplaintSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    with scope(tenant=tenant):
        case = services.lodge_complaint(tenant=tenant, **payload.validated_data)
    return Response(
        {"number": case.number, "status": case.status, "due_on": case.due_on},
        status=status.HTTP_201_CREATED,
    )


lodge_complaint.cls.throttle_scope = "public"
