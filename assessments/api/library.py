"""Read-only API of the model library: models, versions, domains, items, requirements."""

import django_filters
from django_scopes import scopes_disabled
from rest_framework import serializers, viewsets

from assessments.models import CapabilityItem, Domain, LevelRequirement, MaturityModel, ModelVersion
from assessments.selectors import library as selectors
from portal.api import FilterSet


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
            "position",
        ]


class LevelRequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = LevelRequirement
        fields = ["id", "version", "item", "code", "level", "text_en", "text_zh", "position"]


with scopes_disabled():

    class MaturityModelFilter(FilterSet):
        is_global = django_filters.BooleanFilter(field_name="tenant", lookup_expr="isnull")

        class Meta:
            model = MaturityModel
            fields = ["code"]

    class ModelVersionFilter(FilterSet):
        code = django_filters.CharFilter(field_name="model__code")

        class Meta:
            model = ModelVersion
            fields = ["model", "status", "version"]

    class DomainFilter(FilterSet):
        class Meta:
            model = Domain
            fields = ["version", "parent", "depth", "code"]

    class CapabilityItemFilter(FilterSet):
        class Meta:
            model = CapabilityItem
            fields = ["version", "domain", "code"]

    class LevelRequirementFilter(FilterSet):
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


class ModelVersionViewSet(_LibraryViewSet):
    queryset_model = ModelVersion
    serializer_class = ModelVersionSerializer
    filterset_class = ModelVersionFilter
    ordering = ["model__code", "-created_at", "id"]

    def scoped_queryset(self):
        return self.visible_versions()


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
