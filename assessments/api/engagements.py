"""API of engagements, their team, workflow steps, timeline and score; conflicts of interest."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments import policy, workflow
from assessments.models import Assignment, Engagement, ModelVersion
from assessments.policy import Action
from assessments.selectors import engagements as selectors
from assessments.selectors.library import versions_visible_to
from assessments.selectors.work import engagement_score
from assessments.services import engagements as services
from portal import trail
from portal.api import FilterSet, ModelChoiceFilter
from tenants.api.fields import TenantRelatedField
from tenants.models import ConflictOfInterest, Organization
from tenants.selectors import organizations_visible_to


@extend_schema_field(OpenApiTypes.INT)
class VisibleEngagementField(serializers.PrimaryKeyRelatedField):
    """An engagement id the caller may see. An id of this tenant's engagement that the caller
    may not see is a refusal (403, nothing written); any other id — missing, or another
    tenant's, which is invisible inside this tenant's scope — does not exist (400)."""

    def get_queryset(self):
        return selectors.engagements_visible_to(self.context["request"].membership)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            text = str(data)
            if (
                isinstance(data, int | str)
                and text.isdigit()
                and len(text) < 19  # within a database integer
                and Engagement.objects.filter(pk=int(text)).exists()
            ):
                raise PermissionDenied(_("You may not act on this engagement.")) from None
            raise


def visible_engagements(request):
    """Choices of an `engagement` list filter: the engagements the caller may see, resolved per
    request inside the tenant scope (another tenant's id is as unknown as a missing one)."""
    if request is None:
        return Engagement.objects.none()
    return selectors.engagements_visible_to(request.membership)


@extend_schema_field(OpenApiTypes.EMAIL)
class StaffEmailField(serializers.SlugRelatedField):
    """A person by email, among the active staff of this tenant only."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", **kwargs)

    def get_queryset(self):
        return selectors.assignable_people(self.context["request"].tenant)


class AssignmentSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    user = StaffEmailField()

    class Meta:
        model = Assignment
        fields = ["id", "engagement", "user", "role", "assigned_at"]
        read_only_fields = ["id", "assigned_at"]
        validators = []


class TeamRowSerializer(serializers.Serializer):
    user = StaffEmailField()
    role = serializers.ChoiceField(choices=Assignment.Role.choices)


class TeamSerializer(serializers.Serializer):
    """Several people with their roles on one engagement, assigned together or not at all."""

    engagement = VisibleEngagementField()
    team = TeamRowSerializer(many=True, allow_empty=False, max_length=50)


class EngagementSerializer(serializers.ModelSerializer):
    organization = TenantRelatedField(model=Organization)
    model_version = TenantRelatedField(model=ModelVersion)
    scope = serializers.ListField(
        child=serializers.CharField(max_length=60),
        write_only=True,
        required=False,
        help_text=(
            "Codes of parts, domains or items in scope; on update (draft or planning) it "
            "replaces the scope whole."
        ),
    )
    scope_items = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "reference",
            "kind",
            "title",
            "organization",
            "model_version",
            "target_level",
            "planned_start",
            "planned_end",
            "state",
            "scope",
            "scope_items",
            "team",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "reference", "state", "created_at", "updated_at"]

    def get_scope_items(self, engagement) -> list[str]:
        return [item.code for item in engagement.scope_items.all()]

    def get_team(self, engagement) -> list[dict]:
        return [{"user": a.user.email, "role": a.role} for a in engagement.assignments.all()]


class EngagementDetailSerializer(EngagementSerializer):
    transitions = serializers.SerializerMethodField()

    class Meta(EngagementSerializer.Meta):
        fields = [*EngagementSerializer.Meta.fields, "transitions"]

    def get_transitions(self, engagement) -> list[dict]:
        tokens = policy.standing(self.context["request"].membership, engagement)
        return [
            {"to": t.target, "label": str(t.label), "allowed": reason is None, "reason": reason}
            for t, reason in workflow.available_transitions(engagement, tokens)
        ]


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Engagement.State.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# Every foreign-key filter is declared with a queryset resolved per request, inside the tenant
# scope and the caller's visibility: an id the caller may not see is refused exactly like a
# missing one (400), so a filter is no existence oracle (docs/architecture.md, "Tenancy").


def _organizations(request):
    if request is None:
        return Organization.objects.none()
    return organizations_visible_to(request.membership)


def _versions(request):
    if request is None:
        return ModelVersion.objects.none()
    return versions_visible_to(request.membership)


# Class creation inspects the default managers, outside any scope; the choices of each foreign-
# key filter come from a callable run per request, inside the tenant scope.
with scopes_disabled():

    class EngagementFilter(FilterSet):
        organization = ModelChoiceFilter(queryset=_organizations)
        model_version = ModelChoiceFilter(queryset=_versions)

        class Meta:
            model = Engagement
            fields = ["state", "organization", "model_version", "target_level"]

    class AssignmentFilter(FilterSet):
        engagement = ModelChoiceFilter(queryset=visible_engagements)

        class Meta:
            model = Assignment
            fields = ["engagement", "role"]


class EngagementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Engagements the caller may see: all for tenant admins, assigned ones for staff, their
    organization's for client people."""

    filterset_class = EngagementFilter
    search_fields = ["reference", "title", "organization__legal_name"]
    ordering_fields = ["created_at", "reference"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Engagement.objects.none()
        return selectors.engagements_visible_to(self.request.membership).prefetch_related(
            "scope_items", "assignments__user"
        )

    def get_serializer_class(self):
        return EngagementDetailSerializer if self.action == "retrieve" else EngagementSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_engagement(
            tenant=self.request.tenant,
            by=self.request.membership,
            organization=data["organization"],
            model_version=data["model_version"],
            target_level=data["target_level"],
            title=data.get("title", ""),
            scope_codes=data.get("scope", []),
            planned_start=data.get("planned_start"),
            planned_end=data.get("planned_end"),
            kind=data.get("kind", Engagement.Kind.INITIAL),
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "scope" in data:
            data["scope_codes"] = data.pop("scope")
        if {"organization", "model_version"} & set(data):
            raise serializers.ValidationError(
                {"model_version": ["The organization and model version cannot change."]}
            )
        engagement = services.update_engagement(
            engagement=serializer.instance, by=self.request.membership, **data
        )
        serializer.instance = self.get_queryset().get(pk=engagement.pk)  # prefetched again

    @extend_schema(request=TransitionSerializer, responses=EngagementDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the engagement to another state; 409 with the guard's reason when refused."""
        engagement = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        engagement = services.transition(
            engagement=engagement, by=request.membership, **payload.validated_data
        )
        engagement = self.get_queryset().get(pk=engagement.pk)  # with its team prefetched
        return Response(
            EngagementDetailSerializer(engagement, context=self.get_serializer_context()).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("person", int, description="Only what this user (id) did."),
            OpenApiParameter("action", str, description='A verb, e.g. "rating.recorded".'),
            OpenApiParameter("kind", str, description='A kind of object, e.g. "finding".'),
            OpenApiParameter("since", OpenApiTypes.DATE, description="From this day."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="To this day (included)."),
            OpenApiParameter("export", str, enum=["csv"], description="csv: a CSV download."),
        ],
        responses=inline_serializer(
            "AuditEntry",
            {
                "timestamp": serializers.DateTimeField(),
                "actor": serializers.EmailField(),
                "person": serializers.CharField(),
                "verb": serializers.CharField(),
                "kind": serializers.CharField(),
                "object": serializers.CharField(),
                "sentence": serializers.CharField(),
                "changes": serializers.DictField(),
                "data": serializers.DictField(),
            },
            many=True,
        ),
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """The engagement's audit trail, newest first, each entry also as a sentence; filter
        with person, action, kind, since, until; export=csv for a CSV file (read-only: entries
        are never changed)."""
        engagement = self.get_object()
        policy.require(request.membership, Action.VIEW_TIMELINE, engagement)
        params = request.query_params.copy()
        export = params.pop("export", [None])[-1] == "csv"
        form, names, entries = selectors.worded_timeline(engagement, params)
        if form.errors:
            raise serializers.ValidationError(form.errors)
        if export:
            return trail.csv_response(entries, names, f"{engagement.reference}-audit-trail.csv")
        return Response(trail.rows(entries, names))

    @extend_schema(
        responses=inline_serializer(
            "EngagementScore",
            {
                "overall": serializers.IntegerField(allow_null=True),
                "target": serializers.IntegerField(),
                "domains": serializers.DictField(),
                "items": serializers.DictField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def score(self, request, pk=None):
        """Levels reached per item, per domain and overall, against the target."""
        engagement = self.get_object()
        policy.require(request.membership, Action.VIEW_SCORE, engagement)
        score = engagement_score(engagement)
        return Response(
            {
                "overall": score.overall,
                "target": engagement.target_level,
                "domains": {
                    code: d.level for code, d in score.result.domains.items() if d.level is not None
                },
                "items": {
                    code: {
                        "level": i.level,
                        "next_level": i.gap.next_level,
                        "blocking": [b.requirement_code for b in i.gap.blocking],
                    }
                    for code, i in score.result.items.items()
                },
            }
        )


class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who is on which engagement. Creating assigns (granting object permissions at once);
    deleting unassigns (taking them away at once)."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering = ["engagement", "role", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        return policy.visible(self.request.membership, Assignment).select_related("user")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.assign(
            engagement=data["engagement"],
            user=data["user"],
            role=data["role"],
            by=self.request.membership,
        )

    def perform_destroy(self, instance):
        services.unassign(assignment=instance, by=self.request.membership)

    @extend_schema(request=TeamSerializer, responses={201: AssignmentSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Assign several people with their roles at once: all of them, or — when a row is
        refused (conflict of interest, authorisation, impartiality, a second lead) — nobody,
        with a 400 whose `team` maps each refused row's index to its refusals by field.
        """
        payload = TeamSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            assignments = services.assign_team(
                engagement=data["engagement"],
                rows=[(row["user"], row["role"]) for row in data["team"]],
                by=request.membership,
            )
        except services.TeamRefused as refused:
            # Keyed by row index like DRF's own errors of a list: only the refused rows.
            raise serializers.ValidationError(
                {"team": {str(i): errors for i, errors in enumerate(refused.rows) if errors}}
            ) from None
        return Response(
            AssignmentSerializer(
                assignments, many=True, context=self.get_serializer_context()
            ).data,
            status=201,
        )


class ConflictSerializer(serializers.ModelSerializer):
    organization = TenantRelatedField(model=Organization)
    user = StaffEmailField(required=False)

    class Meta:
        model = ConflictOfInterest
        fields = ["id", "user", "organization", "reason", "declared_at", "is_active"]
        read_only_fields = ["id", "declared_at", "is_active"]


class ConflictViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Declared conflicts of interest: your own, or everyone's for tenant admins."""

    serializer_class = ConflictSerializer
    ordering = ["-declared_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConflictOfInterest.objects.none()
        return policy.conflicts_visible_to(self.request.membership)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.declare_conflict(
            tenant=self.request.tenant,
            by=self.request.membership,
            user=data.get("user") or self.request.user,
            organization=data["organization"],
            reason=data["reason"],
        )

    @extend_schema(request=None, responses=ConflictSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        conflict = services.withdraw_conflict(conflict=self.get_object(), by=request.membership)
        return Response(ConflictSerializer(conflict, context=self.get_serializer_context()).data)
