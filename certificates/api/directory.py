"""Public directory API (no login): /api/v1/directory/ (certificates/directory.py)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from certificates import directory
from portal.addresses import ClientAddressRateThrottle

SCOPE_ROW = inline_serializer(
    "DirectoryScope",
    {
        "code": serializers.CharField(),
        "name_en": serializers.CharField(),
        "name_zh": serializers.CharField(),
    },
)
ENTRY = inline_serializer(
    "DirectoryEntry",
    {
        "certificate_number": serializers.CharField(),
        "registration_id": serializers.CharField(
            help_text="The registration the certificate is a revision of."
        ),
        "organization": serializers.CharField(),
        "organization_en": serializers.CharField(),
        "body": serializers.CharField(help_text="The certification body's slug."),
        "body_name": serializers.CharField(),
        "body_name_zh": serializers.CharField(),
        "model": serializers.CharField(),
        "standard": serializers.CharField(),
        "model_name_en": serializers.CharField(),
        "model_name_zh": serializers.CharField(),
        "level": serializers.IntegerField(),
        "level_name_en": serializers.CharField(),
        "level_name_zh": serializers.CharField(),
        "scope": SCOPE_ROW.__class__(many=True),
        "original_issue_date": serializers.DateField(),
        "current_issue_date": serializers.DateField(),
        "expiry_date": serializers.DateField(),
        "status": serializers.ChoiceField(choices=directory.STATUS_CHOICES),
    },
)
PARAMETERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="Part of the organization's name (English or "
        "Chinese, any case or width) or of the certificate number.",
    ),
    OpenApiParameter("model", OpenApiTypes.STR, description="The model's code."),
    OpenApiParameter("part", OpenApiTypes.STR, description="A part (domain) code of the scope."),
    OpenApiParameter("level", OpenApiTypes.INT),
    OpenApiParameter("body", OpenApiTypes.STR, description="The certification body's slug."),
    OpenApiParameter(
        "status", OpenApiTypes.STR, enum=[value for value, _label in directory.STATUS_CHOICES]
    ),
    OpenApiParameter("page", OpenApiTypes.INT, description=f"{directory.PAGE_SIZE} a page."),
]


@extend_schema(
    parameters=PARAMETERS,
    responses=inline_serializer(
        "DirectoryPage",
        {
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "results": ENTRY.__class__(many=True),
        },
    ),
)
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
def directory_search(request):
    """Public: certified organizations of the bodies that publish a directory, those that
    consented only; suspended, withdrawn and expired certificates are listed as such. A
    malformed filter is a 400 naming it. The same rows as CSV: /directory/export.csv."""
    form = directory.DirectoryQuery(request.query_params)
    if not form.is_valid():
        raise serializers.ValidationError(
            {name: list(errors) for name, errors in form.errors.items()}
        )
    return Response(directory.search(form.filters(), page=form.cleaned_data["page"] or 1))


directory_search.cls.throttle_scope = "directory"
