from django.urls import include, path
from django_scopes import scopes_disabled
from rest_framework import generics
from rest_framework.permissions import AllowAny

from portal.api import Pagination
from tenants.api.serializers import OrganizationSerializer
from tenants.models import Organization


class BareOrganizationList(generics.ListAPIView):
    """The same list with no tenant scoping, membership or permission check: the baseline."""

    serializer_class = OrganizationSerializer
    pagination_class = Pagination
    permission_classes = [AllowAny]
    authentication_classes = []
    filter_backends = []

    def get_queryset(self):
        with scopes_disabled():
            return Organization.objects.with_scopes_disabled().filter(tenant__slug="bench")


class BareEngagementList(generics.ListAPIView):
    """Every engagement of the tenant, unscoped and unchecked: the baseline of the assessor's
    list, with the same serializer and pagination."""

    pagination_class = Pagination
    permission_classes = [AllowAny]
    authentication_classes = []
    filter_backends = []

    def list(self, request, *args, **kwargs):
        with scopes_disabled():  # related rows (prefetches) too
            return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        from assessments.api.engagements import EngagementSerializer

        return EngagementSerializer

    def get_queryset(self):
        from assessments.models import Engagement

        return (
            Engagement.objects.with_scopes_disabled()
            .filter(tenant__slug="bench-eng")
            .select_related("organization", "model_version__model")
            .prefetch_related("scope_items", "assignments__user")
            .order_by("-created_at", "-id")
        )


urlpatterns = [
    path("bare/engagements/", BareEngagementList.as_view()),
    path("bare/organizations/", BareOrganizationList.as_view()),
    path("", include("portal.urls")),
]
