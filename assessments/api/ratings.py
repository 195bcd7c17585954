"""API of the rating grid's autosave: POST /api/v1/t/<tenant>/ratings/ rates one level cell of a
leaf (`item` and `level`) or one `requirement`, with the version the caller saw. Without
`rating`, only the `note` of rated requirements changes."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from assessments import policy
from assessments.models import Engagement
from assessments.services import ratings as services
from portal.parsers import JSONParser

KEY = {"min_value": 1, "max_value": 2**63 - 1}  # what a database key can be


class RatingSaveSerializer(serializers.Serializer):
    """Ids are plain integers: the service reads the engagement with the person's standing and
    the item's requirements within the engagement's scope, a query each (an item or
    requirement of another scope, or of another tenant, is one "not in scope" 400)."""

    engagement = serializers.IntegerField(**KEY)
    item = serializers.IntegerField(required=False, allow_null=True, **KEY)
    level = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    requirement = serializers.IntegerField(required=False, allow_null=True, **KEY)
    rating = serializers.CharField(max_length=16, required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    version = serializers.IntegerField(min_value=0, max_value=2**31)

    def validate(self, attrs):
        if attrs.get("requirement") is None and (
            attrs.get("item") is None or attrs.get("level") is None
        ):
            raise serializers.ValidationError(
                {"item": ["Name a requirement, or an item and a level."]}
            )
        return attrs


class RowSerializer(serializers.Serializer):
    """The leaf's row after the save (or, with a 409, as it is now)."""

    item = serializers.IntegerField()
    level = serializers.IntegerField()
    display = serializers.CharField()
    below_target = serializers.BooleanField()
    cells = serializers.ListField(child=serializers.DictField())


class RatingViewSet(viewsets.GenericViewSet):
    """Autosave of one rating. A stale `version` answers 409 with `current`, the row as it is
    now; nothing is written then."""

    serializer_class = RatingSaveSerializer
    parser_classes = [JSONParser]

    @extend_schema(
        request=RatingSaveSerializer,
        responses={
            200: RowSerializer,
            409: OpenApiResponse(
                inline_serializer(
                    "StaleRating",
                    {"detail": serializers.CharField(), "current": RowSerializer()},
                )
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        found = policy.engagement_with_standing(request.membership, data["engagement"])
        if found is None:
            # An engagement of this body the person may not see is a refusal; any other id —
            # missing, or another body's (invisible in this scope) — does not exist.
            if Engagement.objects.filter(pk=data["engagement"]).exists():
                raise PermissionDenied(_("You may not act on this engagement."))
            raise serializers.ValidationError({"engagement": [_("Unknown engagement.")]})
        engagement, tokens = found
        try:
            row = services.rate(
                engagement=engagement,
                by=request.membership,
                rating=data["rating"],
                version=data["version"],
                item_id=data.get("item"),
                level=data.get("level"),
                requirement_id=data.get("requirement"),
                note=data.get("note"),
                tokens=tokens,
            )
        except services.StaleRating as stale:
            return Response(
                {"detail": stale.message, "current": stale.current.as_json()},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(row.as_json())
