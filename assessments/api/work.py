"""API of the work inside engagements: evidence, findings, nonconformities, reviews, decisions."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from assessments import policy
from assessments.api.engagements import VisibleEngagementField, visible_engagements
from assessments.models import (
    CapabilityItem,
    Decision,
    Evidence,
    EvidenceRequest,
    Finding,
    LevelRequirement,
    Nonconformity,
    RequirementRating,
    Review,
    SelfRating,
)
from assessments.scoring import Rating
from assessments.selectors import work as work_selectors
from assessments.selectors.work import self_assessment_gap
from assessments.self_assessment_sheet import XLSX_CONTENT_TYPE, self_assessment_sheet_response
from assessments.services import decisions, findings
from assessments.services import evidence as evidence_services
from assessments.services import requests as request_services
from assessments.services import self_assessment as self_services
from assessments.views.work import PREVIEW_CSP
from portal.api import FilterSet, ModelChoiceFilter
from portal.errors import Conflict
from portal.parsers import JSONParser


class EvidenceSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    file = serializers.FileField(write_only=True)
    items = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CapabilityItem.objects.none()
    )
    requirements = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=LevelRequirement.objects.none()
    )
    supersedes = serializers.PrimaryKeyRelatedField(
        required=False, allow_null=True, queryset=Evidence.objects.none()
    )
    uploaded_by = serializers.EmailField(source="uploaded_by.email", read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "engagement",
            "file",
            "original_name",
            "size",
            "content_type",
            "sha256",
            "description",
            "items",
            "requirements",
            "supersedes",
            "status",
            "review_note",
            "uploaded_by",
            "uploaded_at",
            "reviewed_at",
        ]
        read_only_fields = [
            "id",
            "original_name",
            "size",
            "content_type",
            "sha256",
            "status",
            "review_note",
            "uploaded_at",
            "reviewed_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "membership", None) is not None:
            self.fields["items"].child_relation.queryset = CapabilityItem.objects.all()
            self.fields["requirements"].child_relation.queryset = LevelRequirement.objects.all()
            self.fields["supersedes"].queryset = policy.visible(request.membership, Evidence)


class JudgeSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class JudgeManySerializer(JudgeSerializer):
    engagement = VisibleEngagementField()
    evidence = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class LinkSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    requirements = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )


class BulkUploadSerializer(serializers.Serializer):
    engagement = VisibleEngagementField()
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    requirements = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )


def _items(request):
    """Capability items of the library this tenant sees (global and its own), in scope."""
    return CapabilityItem.objects.all() if request is not None else CapabilityItem.objects.none()


# Foreign-key filters resolve their choices per request inside the tenant scope and the caller's
# visibility (see assessments/api/engagements.py).


# Class creation inspects the default managers, outside any scope; the choices of each foreign-
# key filter come from a callable run per request, inside the tenant scope.
with scopes_disabled():

    class EngagementWorkFilter(FilterSet):
        engagement = ModelChoiceFilter(queryset=visible_engagements)

    class EvidenceFilter(EngagementWorkFilter):
        items = ModelChoiceFilter(queryset=_items)

        class Meta:
            model = Evidence
            fields = ["engagement", "status", "items"]

    class FindingFilter(EngagementWorkFilter):
        item = ModelChoiceFilter(queryset=_items)

        class Meta:
            model = Finding
            fields = ["engagement", "status", "item"]

    class ReviewFilter(EngagementWorkFilter):
        class Meta:
            model = Review
            fields = ["engagement", "outcome"]

    class DecisionFilter(EngagementWorkFilter):
        class Meta:
            model = Decision
            fields = ["engagement", "outcome"]

    class NonconformityFilter(EngagementWorkFilter):
        class Meta:
            model = Nonconformity
            fields = ["engagement", "status", "grade"]


class EvidenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence files. Upload with multipart (`engagement`, `file`, `description`, `items`,
    optional `supersedes` for a new version). Files never change once submitted."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering = ["-uploaded_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Evidence.objects.none()
        return (
            policy.visible(self.request.membership, Evidence)
            .select_related("uploaded_by")
            .prefetch_related("items", "requirements")
        )

    def create(self, request, *args, **kwargs):
        # The upload handler notes a skipped (too large) file while the body is parsed: parse
        # it first, or a token client (no CSRF check reading the form) hears "no file".
        request.data  # noqa: B018
        errors = getattr(request._request, "upload_errors", None)
        if errors:
            return Response({k: [v] for k, v in errors.items()}, status=400)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = evidence_services.upload_evidence(
            engagement=data["engagement"],
            by=self.request.membership,
            uploaded=data["file"],
            description=data.get("description", ""),
            item_ids=[item.pk for item in data.get("items", [])],
            requirement_ids=[r.pk for r in data.get("requirements", [])],
            supersedes=data.get("supersedes"),
        )

    def _refused_upload(self, request):
        request.data  # noqa: B018  (parse first: see create)
        errors = getattr(request._request, "upload_errors", None)
        if errors:
            return Response({k: [v] for k, v in errors.items()}, status=400)
        return None

    @extend_schema(request=BulkUploadSerializer, responses=EvidenceSerializer(many=True))
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Several files at once (multipart, `files` repeated), each linked to the same items
        and requirements; all or nothing."""
        refused = self._refused_upload(request)
        if refused is not None:
            return refused
        payload = BulkUploadSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        stored = evidence_services.upload_many(
            engagement=data["engagement"],
            by=request.membership,
            files=data["files"],
            description=data["description"],
            item_ids=data["items"],
            requirement_ids=data["requirements"],
        )
        rows = self.get_queryset().filter(pk__in=[e.pk for e in stored]).order_by("pk")
        return Response(self.get_serializer(rows, many=True).data, status=201)

    @extend_schema(request=JudgeManySerializer, responses=EvidenceSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="judge-many")
    def judge_many(self, request):
        """An assessor accepts or rejects many files of one engagement at once."""
        payload = JudgeManySerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        judged = evidence_services.judge_many(
            engagement=data["engagement"],
            by=request.membership,
            evidence_ids=data["evidence"],
            accept=data["accept"],
            note=data["note"],
        )
        rows = self.get_queryset().filter(pk__in=[e.pk for e in judged]).order_by("pk")
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(request=LinkSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Link the file to the items and requirements it supports (replacing its links)."""
        target = self.get_object()  # 404 before any 400
        payload = LinkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        evidence = evidence_services.link_evidence(
            evidence=target,
            by=request.membership,
            item_ids=payload.validated_data["items"],
            requirement_ids=payload.validated_data["requirements"],
        )
        return Response(self.get_serializer(evidence).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """PDF, PNG and JPEG inline, after the SHA-256 check (404 for other types)."""
        evidence = self.get_object()
        try:
            handle = evidence_services.open_for_preview(evidence=evidence, by=request.membership)
        except evidence_services.NotPreviewable as error:
            raise NotFound(str(error)) from error
        except evidence_services.TamperedFile as error:
            raise Conflict(str(error)) from error
        response = FileResponse(
            handle,
            as_attachment=False,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        response["Content-Security-Policy"] = PREVIEW_CSP + (
            "; sandbox" if evidence.content_type.startswith("image/") else ""
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=JudgeSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def judge(self, request, pk=None):
        """An assessor accepts or rejects the file with a note."""
        target = self.get_object()  # 404 before any 400
        payload = JudgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        evidence = evidence_services.judge_evidence(
            evidence=target, by=request.membership, **payload.validated_data
        )
        return Response(self.get_serializer(evidence).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file, after its SHA-256 is checked again (409 if the stored file changed)."""
        evidence = self.get_object()
        try:
            handle = evidence_services.open_for_download(evidence=evidence, by=request.membership)
        except evidence_services.TamperedFile as error:
            raise Conflict(str(error)) from error
        return FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )


class RatingSerializer(serializers.Serializer):
    # An id, checked by the service against the item's requirements in one query (a related
    # field here read each requirement apart: 11 queries for a typical item, on the hottest
    # write of the load test).
    requirement = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    rating = serializers.ChoiceField(choices=[r.value for r in Rating])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RatingReadSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="requirement.code")
    level = serializers.IntegerField(source="requirement.level")

    class Meta:
        model = RequirementRating
        fields = ["requirement", "code", "level", "rating", "note", "rated_at"]


class FindingSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    item = serializers.PrimaryKeyRelatedField(queryset=CapabilityItem.objects.none())
    ratings = RatingSerializer(many=True, required=False, write_only=True)
    rated = RatingReadSerializer(source="ratings", many=True, read_only=True)
    final = serializers.BooleanField(write_only=True, required=False, default=False)
    evidence = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Evidence.objects.none()
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "engagement",
            "item",
            "narrative",
            "status",
            "final",
            "evidence",
            "ratings",
            "rated",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "updated_at"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "membership", None) is not None:
            self.fields["item"].queryset = CapabilityItem.objects.all()
            self.fields["evidence"].child_relation.queryset = policy.visible(
                request.membership, Evidence
            )


def _datetime_writer():
    """DRF's DateTimeField output (ISO 8601 in the current time zone, "Z" for UTC) for many
    values at once: the zone is looked up once, not per value."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def write(value):
        if value is None:
            return None
        if zone is not None:  # read from the database: aware, in UTC
            value = value.astimezone(zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _finding_list_representation(rows):
    when = _datetime_writer()
    return [
        {
            "id": row["id"],
            "engagement": row["engagement_id"],
            "item": row["item_id"],
            "narrative": row["narrative"],
            "status": row["status"],
            "evidence": row["evidence"],
            "rated": [
                {
                    "requirement": requirement,
                    "code": code,
                    "level": level,
                    "rating": rating,
                    "note": note,
                    "rated_at": when(rated_at),
                }
                for requirement, code, level, rating, note, rated_at in row["ratings"]
            ],
            "updated_at": when(row["updated_at"]),
        }
        for row in rows
    ]


class FindingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Findings per item. POST records (creates or replaces) the finding of an item, with its
    ratings: [{"requirement": id, "rating": "met", "note": ""}]."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering = ["engagement", "item__position", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        findings = policy.visible(self.request.membership, Finding)
        if self.action == "list":
            return findings  # read as plain rows by list()
        # The ratings with their requirements in one query (a join): prefetching
        # "ratings__requirement" asked SQLite for an IN of every rating's requirement id, which
        # past about a thousand ratings is an expression tree SQLite refuses.
        ratings = RequirementRating.objects.select_related("requirement").order_by("id")
        evidence = Evidence.objects.order_by("-uploaded_at", "-id")
        return findings.prefetch_related(
            Prefetch("ratings", queryset=ratings), Prefetch("evidence", queryset=evidence)
        )

    def list(self, request, *args, **kwargs):
        """The page as plain rows in the serializer's shape (FindingSerializer stays the schema
        and the single finding's representation; tests/test_findings_list_api.py holds the two
        to the same output). The same queries as the prefetching list, without a model object
        or a serializer field per row: 351 findings with their ratings 141 ms -> see
        `make bench` (findings_list_ms_351)."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values(*work_selectors.FINDING_LIST_COLUMNS))
        rows = work_selectors.finding_list_rows(page)
        return self.get_paginated_response(_finding_list_representation(rows))

    def perform_create(self, serializer):
        data = serializer.validated_data
        ratings = {
            r["requirement"]: (r["rating"], r.get("note", "")) for r in data.get("ratings", [])
        }
        finding = findings.record_finding(
            engagement=data["engagement"],
            item=data["item"],
            by=self.request.membership,
            ratings=ratings,
            narrative=data.get("narrative", ""),
            evidence_ids=[e.pk for e in data.get("evidence", [])],
            final=data.get("final"),
        )
        # Read back with the ratings' requirements joined: the answer lists them (one query,
        # not one per rating).
        serializer.instance = self.get_queryset().get(pk=finding.pk)


class NonconformitySerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    item = serializers.PrimaryKeyRelatedField(
        queryset=CapabilityItem.objects.none(), write_only=True
    )
    item_code = serializers.CharField(source="finding.item.code", read_only=True)

    class Meta:
        model = Nonconformity
        fields = [
            "id",
            "engagement",
            "item",
            "item_code",
            "grade",
            "description",
            "due_date",
            "status",
            "corrective_action",
            "verification_note",
            "raised_at",
            "answered_at",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "corrective_action",
            "verification_note",
            "raised_at",
            "answered_at",
            "closed_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("request") is not None:
            self.fields["item"].queryset = CapabilityItem.objects.all()


class AnswerSerializer(serializers.Serializer):
    corrective_action = serializers.CharField()
    evidence = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class CloseSerializer(serializers.Serializer):
    verification_note = serializers.CharField()


class NonconformityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Nonconformities: raised by assessors, answered by the client, closed by assessors."""

    serializer_class = NonconformitySerializer
    filterset_class = NonconformityFilter
    ordering = ["raised_at", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Nonconformity.objects.none()
        return policy.visible(self.request.membership, Nonconformity).select_related(
            "finding__item"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        finding = Finding.objects.filter(engagement=data["engagement"], item=data["item"]).first()
        if finding is None:
            raise serializers.ValidationError({"item": ["Record a finding for this item first."]})
        serializer.instance = findings.raise_nonconformity(
            engagement=data["engagement"],
            finding=finding,
            by=self.request.membership,
            grade=data["grade"],
            description=data["description"],
            due_date=data.get("due_date"),
        )

    @extend_schema(request=AnswerSerializer, responses=NonconformitySerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        target = self.get_object()  # 404 before any 400
        payload = AnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        nc = findings.answer_nonconformity(
            nonconformity=target,
            by=request.membership,
            corrective_action=payload.validated_data["corrective_action"],
            evidence_ids=payload.validated_data["evidence"],
        )
        return Response(self.get_serializer(nc).data)

    @extend_schema(request=CloseSerializer, responses=NonconformitySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        target = self.get_object()  # 404 before any 400
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        nc = findings.close_nonconformity(
            nonconformity=target, by=request.membership, **payload.validated_data
        )
        return Response(self.get_serializer(nc).data)


class ReviewSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    reviewer = serializers.EmailField(source="reviewer.email", read_only=True)
    pass_to_decision = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="With an approval: pass the engagement to the decision in the same step.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "engagement",
            "outcome",
            "comments",
            "pass_to_decision",
            "reviewer",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        if attrs.get("pass_to_decision") and attrs.get("outcome") != Review.Outcome.APPROVED:
            raise serializers.ValidationError(
                {"pass_to_decision": [_("Only an approval passes the engagement to decision.")]}
            )
        return attrs


class DecisionSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    decided_by = serializers.EmailField(source="decided_by.email", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "engagement",
            "outcome",
            "level",
            "computed_level",
            "reasons",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = ["id", "computed_level", "decided_at"]
        validators = []


class EngagementQuerySerializer(serializers.Serializer):
    engagement = VisibleEngagementField()


class GrantableLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()


class GrantableLevelsSerializer(serializers.Serializer):
    reached = serializers.IntegerField(help_text="The overall level the findings reach.")
    levels = GrantableLevelSerializer(many=True)


class _RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    ordering = ["id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        return policy.visible(self.request.membership, self.serializer_class.Meta.model)


class ReviewViewSet(_RecordViewSet):
    """Technical reviews of the findings (approved / changes requested)."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        if data.get("pass_to_decision"):
            serializer.instance = decisions.approve_and_pass_to_decision(
                engagement=data["engagement"],
                by=self.request.membership,
                comments=data.get("comments", ""),
            )
            return
        serializer.instance = decisions.record_review(
            engagement=data["engagement"],
            by=self.request.membership,
            outcome=data["outcome"],
            comments=data.get("comments", ""),
        )


class DecisionViewSet(_RecordViewSet):
    """Certification decisions: granted at a level, or refused, with reasons."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter

    @extend_schema(
        parameters=[OpenApiParameter("engagement", int, required=True)],
        responses=GrantableLevelsSerializer,
    )
    @action(detail=False, methods=["get"])
    def levels(self, request):
        """The levels a decision may grant on an engagement: those the model declares, up to
        the level the findings reach."""
        query = EngagementQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        engagement = query.validated_data["engagement"]
        verdict = policy.can(request.membership, policy.Action.DECIDE, engagement)
        if not verdict and not verdict.by_state:
            raise PermissionDenied(verdict.reason)
        reached, levels = decisions.grantable_levels(engagement)
        body = {"reached": reached, "levels": [{"level": n, "name": name} for n, name in levels]}
        return Response(GrantableLevelsSerializer(body).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = decisions.record_decision(
            engagement=data["engagement"],
            by=self.request.membership,
            outcome=data["outcome"],
            level=data.get("level"),
            reasons=data.get("reasons", ""),
        )


class MaterialRequestSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    item = serializers.PrimaryKeyRelatedField(
        queryset=CapabilityItem.objects.none(), required=False, allow_null=True
    )
    expected_code = serializers.CharField(source="expected.code", read_only=True, default=None)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    deadline = serializers.DateField(read_only=True)

    class Meta:
        model = EvidenceRequest
        fields = [
            "id",
            "engagement",
            "item",
            "expected_code",
            "title",
            "details",
            "due_date",
            "deadline",
            "status",
            "evidence",
            "client_note",
            "correction_note",
            "correction_due",
            "requested_at",
            "submitted_at",
            "reviewed_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "client_note",
            "correction_note",
            "correction_due",
            "requested_at",
            "submitted_at",
            "reviewed_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("request") is not None:
            self.fields["item"].queryset = CapabilityItem.objects.all()


class CatalogueRequestSerializer(serializers.Serializer):
    engagement = VisibleEngagementField()
    due_date = serializers.DateField()


class SubmitRequestSerializer(serializers.Serializer):
    evidence = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewRequestSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    correction_due = serializers.DateField(required=False, allow_null=True, default=None)


with scopes_disabled():

    class EvidenceRequestFilter(EngagementWorkFilter):
        class Meta:
            model = EvidenceRequest
            fields = ["engagement", "status"]


class EvidenceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence requests: assessors ask (or fill them from the model's catalogue), the client
    submits files, assessors pre-review: accept, or ask for a correction by a date."""

    serializer_class = MaterialRequestSerializer
    filterset_class = EvidenceRequestFilter
    ordering = ["due_date", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EvidenceRequest.objects.none()
        return (
            policy.visible(self.request.membership, EvidenceRequest)
            .select_related("expected")
            .prefetch_related("evidence")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = request_services.request_evidence(
            engagement=data["engagement"],
            by=self.request.membership,
            title=data["title"],
            details=data.get("details", ""),
            due_date=data["due_date"],
            item=data.get("item"),
        )

    @extend_schema(
        request=CatalogueRequestSerializer, responses=MaterialRequestSerializer(many=True)
    )
    @action(detail=False, methods=["post"], url_path="from-catalogue")
    def from_catalogue(self, request):
        """One request per evidence the model expects at the target level of every in-scope
        leaf; those already asked for are skipped."""
        payload = CatalogueRequestSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        made = request_services.request_from_catalogue(
            engagement=payload.validated_data["engagement"],
            by=request.membership,
            due_date=payload.validated_data["due_date"],
        )
        rows = self.get_queryset().filter(pk__in=[r.pk for r in made]).order_by("pk")
        return Response(self.get_serializer(rows, many=True).data, status=201)

    @extend_schema(request=SubmitRequestSerializer, responses=MaterialRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The client answers with files already uploaded to the engagement."""
        target = self.get_object()
        payload = SubmitRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = request_services.submit_request(
            request=target,
            by=request.membership,
            evidence_ids=payload.validated_data["evidence"],
            note=payload.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=done.pk)).data)

    @extend_schema(request=ReviewRequestSerializer, responses=MaterialRequestSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Pre-review: accept, or ask for a correction with a note and a deadline."""
        target = self.get_object()
        payload = ReviewRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = request_services.review_request(
            request=target, by=request.membership, **payload.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=done.pk)).data)


class SelfRatingSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    display = serializers.CharField(read_only=True, help_text='The level as shown: "3" or "3-".')

    class Meta:
        model = SelfRating
        fields = [
            "id",
            "engagement",
            "item",
            "item_code",
            "level",
            "partial_next",
            "display",
            "target_level",
            "note",
        ]
        read_only_fields = fields


class SelfRatingInput(serializers.Serializer):
    item = serializers.IntegerField()
    level = serializers.IntegerField(min_value=0, max_value=10)
    partial_next = serializers.BooleanField(
        required=False,
        default=False,
        help_text='Part of the next level is met too ("3-" is level 2 with partial_next).',
    )
    target_level = serializers.IntegerField(
        min_value=1, max_value=10, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SelfAssessSerializer(serializers.Serializer):
    engagement = VisibleEngagementField()
    ratings = SelfRatingInput(many=True, allow_empty=False)


class SelfAssessmentSheetUpload(serializers.Serializer):
    engagement = VisibleEngagementField()
    file = serializers.FileField(help_text="The filled-in sheet (.xlsx).")


class SelfAssessmentSheetResult(serializers.Serializer):
    ratings = SelfRatingSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text="Codes rated in the sheet but not in scope."
    )


SheetLanguage = OpenApiParameter("language", str, enum=["zh", "en"], default="zh")


class GapSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    self_level = serializers.IntegerField(allow_null=True)
    self_target = serializers.IntegerField(allow_null=True)
    assessed = serializers.IntegerField(allow_null=True)
    gap = serializers.IntegerField(allow_null=True)


with scopes_disabled():

    class SelfRatingFilter(EngagementWorkFilter):
        class Meta:
            model = SelfRating
            fields = ["engagement"]


class SelfRatingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The client's self-assessment (企业自评). POST records several items at once:
    {"engagement": id, "ratings": [{"item": id, "level": 2, "target_level": 3, "note": ""}]}."""

    serializer_class = SelfRatingSerializer
    filterset_class = SelfRatingFilter
    ordering = ["engagement", "item__position", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SelfRating.objects.none()
        return policy.visible(self.request.membership, SelfRating).select_related("item")

    @extend_schema(request=SelfAssessSerializer, responses=SelfRatingSerializer(many=True))
    def create(self, request):
        payload = SelfAssessSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        ratings = {
            r["item"]: (r["level"], r["target_level"], r["note"], r["partial_next"])
            for r in data["ratings"]
        }
        saved = self_services.self_assess(
            engagement=data["engagement"], by=request.membership, ratings=ratings
        )
        rows = self.get_queryset().filter(pk__in=[r.pk for r in saved]).order_by("pk")
        return Response(self.get_serializer(rows, many=True).data, status=201)

    @extend_schema(
        request={"multipart/form-data": SelfAssessmentSheetUpload},
        responses=SelfAssessmentSheetResult,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import-sheet",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_sheet(self, request):
        """Record a filled-in self-assessment sheet (xlsx in CAICT's layout, as exported by
        `sheet`): the 自评 column per sub-item. Leaves outside the scope are listed in
        `skipped`; a sheet with any problem stores nothing (400, `file`, one line per row)."""
        payload = SelfAssessmentSheetUpload(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        saved, skipped = self_services.import_sheet(
            engagement=payload.validated_data["engagement"],
            by=request.membership,
            file=payload.validated_data["file"],
        )
        rows = self.get_queryset().filter(pk__in=[r.pk for r in saved]).order_by("item__position")
        return Response({"ratings": self.get_serializer(rows, many=True).data, "skipped": skipped})

    @extend_schema(
        parameters=[SheetLanguage],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], url_path=r"sheet/(?P<engagement_id>\d+)")
    def sheet(self, request, engagement_id=None):
        """The engagement's self-assessment sheet to fill in (xlsx; ?language=zh or en), with
        the ratings recorded so far."""
        engagement = visible_engagements(request).filter(pk=engagement_id).first()
        if engagement is None:
            raise NotFound()
        policy.require(request.membership, policy.Action.VIEW_SELF_ASSESSMENT, engagement)
        language = request.query_params.get("language", "zh")
        if language not in ("zh", "en"):
            raise serializers.ValidationError({"language": [_("Choose zh or en.")]})
        return self_assessment_sheet_response(engagement, language=language)

    @extend_schema(responses=GapSerializer(many=True))
    @action(detail=False, methods=["get"], url_path=r"gap/(?P<engagement_id>\d+)")
    def gap(self, request, engagement_id=None):
        """Per in-scope leaf: own level and target, assessed level, and the gap (staff)."""
        engagement = visible_engagements(request).filter(pk=engagement_id).first()
        if engagement is None:
            raise NotFound()
        policy.require(request.membership, policy.Action.VIEW_SCORE, engagement)
        return Response(GapSerializer(self_assessment_gap(engagement), many=True).data)
