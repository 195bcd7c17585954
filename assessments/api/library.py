"""API of the model library: models, versions, domains, items, requirements; tenant admins
upload YAML models, publish drafts and delete them; anyone who sees a version reads its tree,
exports it and compares it with another. The same services and selectors as the web pages."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments.model_format import MAX_MODEL_BYTES, ModelFormatError, read_model_file
from assessments.models import CapabilityItem, Domain, LevelRequirement, MaturityModel, ModelVersion
from assessments.selectors import library as selectors
from assessments.services import library as services
from portal.api import FilterSet, ModelChoiceFilter


class MaturityModelSerializer(serializers.ModelSerializer):
    is_global = serializers.BooleanField(read_only=True)

    class Meta:
        model = MaturityModel
        fields = ["id", "code", "name_en", "name_zh", "is_global", "created_at"]


class ModelVersionSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="model.code", read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "code",
            "version",
            "status",
            "levels",
            "notice_en",
            "notice_zh",
            "description_en",
            "description_zh",
            "item_count",
            "requirement_count",
            "created_at",
            "published_at",
        ]


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["id", "version", "parent", "code", "name_en", "name_zh", "depth", "position"]


class CapabilityItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapabilityItem
        fields = [
            "id",
            "version",
            "domain",
            "code",
            "name_en",
            "name_zh",
            "description_en",
            "description_zh",
            "tags",
            "position",
        ]


class LevelRequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = LevelRequirement
        fields = ["id", "version", "item", "code", "level", "text_en", "text_zh", "position"]


class ModelProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    path = serializers.CharField()
    message = serializers.CharField()


class ModelUploadErrorSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.CharField())
    problems = ModelProblemSerializer(many=True, required=False)


class _YamlParser(parsers.BaseParser):
    """A YAML model sent as the request body: handed on as bytes, read by read_model_file (which
    reports problems with their lines). At most MAX_MODEL_BYTES are read."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_MODEL_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_MODEL_BYTES:
            raise serializers.ValidationError({"file": [_("The file is larger than 2 MB.")]})
        return data


YAML_PARSERS = [
    type(f"YamlParser{n}", (_YamlParser,), {"media_type": media_type})
    for n, media_type in enumerate(("application/yaml", "application/x-yaml", "text/yaml"))
]


def _uploaded_model(request) -> bytes:
    """The model file's bytes from a multipart `file` or a YAML body; 400 naming `file`."""
    data = request.data
    if isinstance(data, bytes):
        if not data.strip():
            raise serializers.ValidationError({"file": [_("The YAML body is empty.")]})
        return data
    upload = request.FILES.get("file")
    if upload is None and "file" in getattr(request._request, "upload_errors", {}):
        # Skipped by the upload handler past its own limit (assessments/uploads.py).
        raise serializers.ValidationError({"file": [_("The file is larger than 2 MB.")]})
    if upload is None:
        raise serializers.ValidationError(
            {"file": [_("Send the model as a multipart “file” or as a YAML body.")]}
        )
    if upload.size > MAX_MODEL_BYTES:
        raise serializers.ValidationError({"file": [_("The file is larger than 2 MB.")]})
    return upload.read()


class TreeRequirementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    level = serializers.IntegerField()
    text_en = serializers.CharField()
    text_zh = serializers.CharField()


class TreeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name_en = serializers.CharField(source="row.name_en")
    name_zh = serializers.CharField(source="row.name_zh")
    description_en = serializers.CharField(source="row.description_en")
    description_zh = serializers.CharField(source="row.description_zh")
    tags = serializers.ListField(child=serializers.CharField(), source="row.tags")
    requirements = TreeRequirementSerializer(many=True)


class TreeDomainSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name_en = serializers.CharField(source="row.name_en")
    name_zh = serializers.CharField(source="row.name_zh")
    depth = serializers.IntegerField()
    items = TreeItemSerializer(many=True)


# Sub-domains nest to any depth: the field refers to its own serializer (the schema shows it
# as a reference to the same component).
TreeDomainSerializer._declared_fields["domains"] = TreeDomainSerializer(many=True)


class VersionTreeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="version.pk")
    code = serializers.CharField(source="version.model.code")
    version = serializers.CharField(source="version.version")
    status = serializers.CharField(source="version.status")
    levels = serializers.JSONField(source="version.levels")
    domains = TreeDomainSerializer(many=True)


class VersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    version = serializers.CharField()
    status = serializers.CharField()


class LocalizedTextSerializer(serializers.Serializer):
    en = serializers.CharField(allow_null=True)
    zh = serializers.CharField(allow_null=True)


class ChangeSideSerializer(serializers.Serializer):
    """An item (name, description) or a requirement (level, text) as it was or became."""

    name = LocalizedTextSerializer(required=False)
    description = LocalizedTextSerializer(required=False, allow_null=True)
    level = serializers.IntegerField(required=False)
    text = LocalizedTextSerializer(required=False)

    def to_representation(self, instance):
        if hasattr(instance, "level"):
            return {"level": instance.level, "text": _text(instance.text)}
        return {"name": _text(instance.name), "description": _text(instance.description)}


def _text(text):
    return None if text is None else {"en": text.en, "zh": text.zh}


CHANGE_KINDS = ("item", "requirement")
CHANGE_WHATS = ("added", "removed", "changed")


class ChangeSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=CHANGE_KINDS)
    what = serializers.ChoiceField(choices=CHANGE_WHATS)
    fields = serializers.ListField(child=serializers.CharField())
    old = ChangeSideSerializer(allow_null=True)
    new = ChangeSideSerializer(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    changes = ChangeSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: declared here rather than as a class attribute.
        fields["from"] = VersionRefSerializer()
        fields["to"] = VersionRefSerializer()
        return fields


def _versions(request):
    return (
        selectors.versions_visible_to(request.membership)
        if request
        else ModelVersion.objects.none()
    )


def _models(request):
    if request is None:
        return MaturityModel.objects.none()
    return MaturityModel.objects.filter(pk__in=_versions(request).values("model_id"))


def _domains(request):
    return Domain.objects.filter(version__in=_versions(request).values("pk"))


def _items(request):
    return CapabilityItem.objects.filter(version__in=_versions(request).values("pk"))


# Class creation inspects the default managers, outside any scope; the choices of each foreign-
# key filter come from a callable run per request, inside the tenant scope and the caller's
# visibility, so another body's id is refused like a missing one (docs/architecture.md).
with scopes_disabled():

    class MaturityModelFilter(FilterSet):
        is_global = django_filters.BooleanFilter(field_name="tenant", lookup_expr="isnull")

        class Meta:
            model = MaturityModel
            fields = ["code"]

    class ModelVersionFilter(FilterSet):
        code = django_filters.CharFilter(field_name="model__code")
        model = ModelChoiceFilter(queryset=_models)

        class Meta:
            model = ModelVersion
            fields = ["model", "status", "version"]

    class VersionContentFilter(FilterSet):
        version = ModelChoiceFilter(queryset=_versions)

    class DomainFilter(VersionContentFilter):
        parent = ModelChoiceFilter(queryset=_domains)

        class Meta:
            model = Domain
            fields = ["version", "parent", "depth", "code"]

    class CapabilityItemFilter(VersionContentFilter):
        domain = ModelChoiceFilter(queryset=_domains)

        class Meta:
            model = CapabilityItem
            fields = ["version", "domain", "code"]

    class LevelRequirementFilter(VersionContentFilter):
        item = ModelChoiceFilter(queryset=_items)

        class Meta:
            model = LevelRequirement
            fields = ["version", "item", "level", "code"]


class _LibraryViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d+"

    def visible_versions(self):
        return selectors.versions_visible_to(self.request.membership)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset_model.objects.none()
        return self.scoped_queryset()


class MaturityModelViewSet(_LibraryViewSet):
    """Models visible in this assessment body: global ones and its own."""

    queryset_model = MaturityModel
    serializer_class = MaturityModelSerializer
    filterset_class = MaturityModelFilter
    search_fields = ["code", "name_en", "name_zh"]
    ordering = ["code", "id"]

    def scoped_queryset(self):
        return MaturityModel.objects.filter(pk__in=self.visible_versions().values("model_id"))


class ModelVersionViewSet(mixins.DestroyModelMixin, _LibraryViewSet):
    """Versions visible in this assessment body: published global ones and its own (drafts to
    tenant admins only). Tenant admins upload a YAML model as a draft, publish it (it never
    changes afterwards) or delete it while it is a draft."""

    queryset_model = ModelVersion
    serializer_class = ModelVersionSerializer
    filterset_class = ModelVersionFilter
    ordering = ["model__code", "-created_at", "id"]

    def scoped_queryset(self):
        return self.visible_versions()

    def _require_manager(self):
        if not selectors.may_manage_models(self.request.membership, self.request.tenant):
            raise PermissionDenied(_("Your role does not allow managing models."))

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ModelUpload", {"file": serializers.FileField()}
            ),
            "application/yaml": OpenApiTypes.BINARY,
        },
        responses={201: ModelVersionSerializer, 400: ModelUploadErrorSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[parsers.MultiPartParser, *YAML_PARSERS],
    )
    def upload(self, request):
        """Store a YAML model as a new draft version of the body's own model: Assay's format or
        a CISO Assistant framework library (docs/model-format.md), told apart by the content;
        a multipart `file`, or the YAML itself as the body (`Content-Type: application/yaml`).
        A refused file answers 400 with every problem found (line, path, message); nothing is
        stored unless everything is."""
        self._require_manager()  # before reading the file: a refused role is 403, never 400
        text = _uploaded_model(request)
        try:
            document = read_model_file(text)
        except ModelFormatError as error:
            problems = error.problems
            return Response(
                {
                    "file": [
                        _(
                            "The file was refused: %(count)d problem(s), listed below. "
                            "Nothing was stored."
                        )
                        % {"count": len(problems)}
                    ],
                    "problems": [
                        {"line": p.line, "path": p.path, "message": p.message} for p in problems
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        version = services.import_model_document(
            document=document, tenant=request.tenant, by=request.membership
        )
        version = self.get_queryset().get(pk=version.pk)
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ModelVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft: from now on it never changes and engagements may use it (409 if it
        is published already)."""
        version = self.get_object()  # 404 before any 403
        services.publish_version(version=version, by=request.membership)
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)

    def perform_destroy(self, instance):
        """Delete a draft uploaded by mistake; a published version is never deleted (409)."""
        services.delete_draft(version=instance, by=self.request.membership)

    @extend_schema(responses=VersionTreeSerializer)
    @action(detail=True, methods=["get"])
    def tree(self, request, pk=None):
        """The version's whole tree: domains (nested) → capability items → level requirements,
        in their order. Three queries whatever the model's size."""
        version = self.get_object()
        tree = selectors.version_tree(version)
        return Response(VersionTreeSerializer(tree, context=self.get_serializer_context()).data)

    @extend_schema(responses={(200, "application/yaml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The version as a YAML file in the documented format (importing it gives the same
        model)."""
        version = self.get_object()
        response = HttpResponse(
            services.export_version(version), content_type="application/yaml; charset=utf-8"
        )
        filename = f"{version.model.code}-{version.version}.yaml"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "with",
                OpenApiTypes.INT,
                required=True,
                description="The id of the earlier version of the same model to compare with.",
            )
        ],
        responses=ComparisonSerializer,
    )
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        """What changed from version `with` to this one: items and requirements added, removed
        or changed (with the fields that changed), by code."""
        version = self.get_object()
        other_id = request.query_params.get("with", "")
        others = self.get_queryset().filter(model_id=version.model_id)
        other = others.filter(pk=int(other_id)).first() if other_id.isdigit() else None
        if other is None:
            # The same answer for a missing id and one the caller may not see.
            raise serializers.ValidationError(
                {
                    "with": [
                        _("Give the id of another version of %(code)s that you can see.")
                        % {"code": version.model.code}
                    ]
                }
            )
        changes = services.compare_versions(other, version)
        counts = {f"{kind}_{what}": 0 for kind in CHANGE_KINDS for what in CHANGE_WHATS}
        for change in changes:
            counts[f"{change.kind}_{change.what}"] += 1
        return Response(
            ComparisonSerializer(
                {"from": other, "to": version, "counts": counts, "changes": changes}
            ).data
        )


class _VersionContentViewSet(_LibraryViewSet):
    def scoped_queryset(self):
        return self.queryset_model.objects.filter(version__in=self.visible_versions())


class DomainViewSet(_VersionContentViewSet):
    queryset_model = Domain
    serializer_class = DomainSerializer
    filterset_class = DomainFilter
    ordering = ["version", "position", "id"]


class CapabilityItemViewSet(_VersionContentViewSet):
    queryset_model = CapabilityItem
    serializer_class = CapabilityItemSerializer
    filterset_class = CapabilityItemFilter
    search_fields = ["code", "name_en", "name_zh"]
    ordering = ["version", "position", "id"]


class LevelRequirementViewSet(_VersionContentViewSet):
    queryset_model = LevelRequirement
    serializer_class = LevelRequirementSerializer
    filterset_class = LevelRequirementFilter
    search_fields = ["code", "text_en", "text_zh"]
    ordering = ["version", "position", "id"]
