"""API of applications and their contract review: apply, edit a draft, submit, withdraw;
review (notes, sampling, assessor-days), accept (opening the engagement) or decline."""

from django.core.exceptions import PermissionDenied
from django_scopes import scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments import application_form, policy
from assessments.api.engagements import _organizations, _versions
from assessments.models import Application, ModelVersion
from assessments.services import applications as services
from portal.api import FilterSet, ModelChoiceFilter
from tenants.api.fields import TenantRelatedField
from tenants.models import Organization


class ApplicationSerializer(serializers.ModelSerializer):
    organization = TenantRelatedField(
        model=Organization,
        required=False,
        help_text="The applying organization; client people may leave it out (their own).",
    )
    model_version = TenantRelatedField(model=ModelVersion)
    scope = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        help_text="Codes of the parts or domains to be assessed.",
    )
    answers = serializers.DictField(
        required=False,
        help_text="Answers to the model's registration form, by question key "
        "(see `questions` of the model version's form, GET …/applications/form/?model_version=).",
    )
    projects = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False
    )
    submit = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text="Submit at once (create only)."
    )
    assessor_days = serializers.DecimalField(
        max_digits=6, decimal_places=1, read_only=True, allow_null=True
    )
    engagement = serializers.PrimaryKeyRelatedField(read_only=True)
    applicant = serializers.EmailField(source="applicant.email", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "organization",
            "model_version",
            "target_level",
            "scope",
            "answers",
            "projects",
            "sampled_projects",
            "status",
            "applicant",
            "submitted_at",
            "computed_days",
            "estimated_days",
            "assessor_days",
            "review_notes",
            "decision_reason",
            "reviewed_at",
            "engagement",
            "submit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "sampled_projects",
            "status",
            "submitted_at",
            "computed_days",
            "estimated_days",
            "review_notes",
            "decision_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["scope"] = [d.code for d in instance.scope_domains.all()]
        if self.context["request"].membership.is_client:
            data.pop("review_notes")  # the body's working notes are not the client's
        return data


class ApplicationReviewSerializer(serializers.Serializer):
    review_notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    sampled_projects = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False
    )
    estimated_days = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="The reviewer's figure; null goes back to the formula's.",
    )


class ApplicationDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    planned_start = serializers.DateField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateField(required=False, allow_null=True, default=None)


class ApplicationWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FormQuerySerializer(serializers.Serializer):
    model_version = TenantRelatedField(model=ModelVersion)


with scopes_disabled():

    class ApplicationFilter(FilterSet):
        organization = ModelChoiceFilter(queryset=_organizations)
        model_version = ModelChoiceFilter(queryset=_versions)

        class Meta:
            model = Application
            fields = ["status", "organization", "model_version"]


class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Applications for an assessment: all of the body's for its administrators, their
    organization's for client people, none for other staff."""

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        return (
            policy.applications_visible(self.request.membership)
            .select_related("applicant", "tenant")
            .prefetch_related("scope_domains")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        membership = self.request.membership
        organization = data.get("organization")
        if organization is None:
            if not membership.is_client:
                raise serializers.ValidationError({"organization": ["This field is required."]})
            organization = membership.organization
        serializer.instance = services.create_application(
            tenant=self.request.tenant,
            by=membership,
            organization=organization,
            model_version=data["model_version"],
            target_level=data["target_level"],
            scope_codes=data.get("scope", []),
            answers=data.get("answers", {}),
            projects=data.get("projects", []),
            submit=data.get("submit", False),
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if {"organization", "model_version"} & set(data):
            raise serializers.ValidationError(
                {"model_version": ["The organization and model version cannot change."]}
            )
        serializer.instance = services.update_application(
            application=serializer.instance,
            by=self.request.membership,
            target_level=data.get("target_level"),
            scope_codes=data.get("scope"),
            answers=data.get("answers"),
            projects=data.get("projects"),
        )
        if data.get("submit"):
            serializer.instance = services.submit_application(
                application=serializer.instance, by=self.request.membership
            )

    def _answer(self, application):
        application = self.get_queryset().get(pk=application.pk)
        return Response(self.get_serializer(application).data)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the draft to the body (every required answer, a scope and a project needed)."""
        return self._answer(
            services.submit_application(application=self.get_object(), by=request.membership)
        )

    @extend_schema(request=ApplicationWithdrawSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        payload = ApplicationWithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.withdraw_application(
                application=self.get_object(), by=request.membership, **payload.validated_data
            )
        )

    @extend_schema(request=ApplicationReviewSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The contract review: notes, projects sampled, the reviewer's assessor-days."""
        payload = ApplicationReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        if "estimated_days" not in values:
            values["estimated_days"] = services.UNSET
        return self._answer(
            services.review_application(
                application=self.get_object(), by=request.membership, **values
            )
        )

    @extend_schema(request=ApplicationDecisionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept: the initial engagement opens with the application's scope and level."""
        payload = ApplicationDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.accept_application(
                application=self.get_object(), by=request.membership, **payload.validated_data
            )
        )

    @extend_schema(request=ApplicationDecisionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline with the reasons (required)."""
        payload = ApplicationDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.decline_application(
                application=self.get_object(),
                by=request.membership,
                reason=payload.validated_data["reason"],
            )
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("model_version", OpenApiTypes.INT, required=True),
        ],
        responses=inline_serializer(
            "ApplicationForm",
            {
                "questions": serializers.ListField(child=serializers.DictField()),
                "assessor_days": serializers.DictField(allow_null=True),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def form(self, request):
        """The registration form of a model version: its questions and its assessor-days
        formula, as the model file declares them."""
        verdict = policy.may_apply(request.membership)
        if not verdict:
            raise PermissionDenied(verdict.reason)
        query = FormQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        version = query.validated_data["model_version"]
        if not version.is_published:
            raise serializers.ValidationError({"model_version": ["Not a published version."]})
        return Response(
            {
                "questions": application_form.questions(version),
                "assessor_days": application_form.formula(version),
            }
        )
