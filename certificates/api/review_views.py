"""API of the client's review of the draft report (报告复核)."""

from django.db.models import Prefetch
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments.api.engagements import VisibleEngagementField, visible_engagements
from certificates import review_services as services
from certificates.models import ReportComment, ReportReview
from certificates.policy import report_reviews_visible_to
from portal.api import FilterSet, ModelChoiceFilter


class ReportCommentSerializer(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True)

    class Meta:
        model = ReportComment
        fields = ["id", "author", "from_client", "body", "created_at"]
        read_only_fields = fields


class ReportReviewSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()
    version = serializers.IntegerField(source="report.version", read_only=True)
    comments = ReportCommentSerializer(many=True, read_only=True)

    class Meta:
        model = ReportReview
        fields = [
            "id",
            "engagement",
            "report",
            "version",
            "due_date",
            "status",
            "sent_at",
            "answered_at",
            "comments",
        ]
        read_only_fields = ["id", "report", "status", "sent_at", "answered_at"]


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField()


with scopes_disabled():

    class ReportReviewFilter(FilterSet):
        engagement = ModelChoiceFilter(queryset=visible_engagements)

        class Meta:
            model = ReportReview
            fields = ["engagement", "status"]


class ReportReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Draft reports sent to the client. POST {"engagement", "due_date"} sends the latest ready
    report version; the client comments or accepts before the date; the team answers."""

    serializer_class = ReportReviewSerializer
    filterset_class = ReportReviewFilter
    ordering = ["-sent_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportReview.objects.none()
        return (
            report_reviews_visible_to(self.request.membership)
            .select_related("report")
            .prefetch_related(
                Prefetch("comments", queryset=ReportComment.objects.select_related("author"))
            )
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.send_for_client_review(
            engagement=data["engagement"], by=self.request.membership, due_date=data["due_date"]
        )

    def _answer(self, review):
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=CommentSerializer, responses=ReportReviewSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """A comment of the client (before the deadline) or an answer of the team."""
        target = self.get_object()
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.comment(review=target, by=request.membership, **payload.validated_data)
        )

    @extend_schema(request=None, responses=ReportReviewSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The client accepts the draft report (before the deadline)."""
        return self._answer(services.accept(review=self.get_object(), by=request.membership))
