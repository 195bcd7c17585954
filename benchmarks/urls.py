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


urlpatterns = [
    path("bare/organizations/", BareOrganizationList.as_view()),
    path("", include("portal.urls")),
]
