"""Read API of the tools directory and of the taxonomy (categories, skills, topics...). Public."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from collective.models import Taxonomy, TaxonomyType, Tool
from collective.models.tools import ToolPricing

from .serializers import TaxonomySerializer, ToolDetailSerializer, ToolSerializer


class StrictBooleanFilter(filters.ChoiceFilter):
    """'true' or 'false'; anything else is a 400 naming the parameter (django-filter's
    BooleanFilter silently ignores a value it cannot read, which returns the unfiltered list)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in ("", None):
            return qs
        return qs.filter(**{self.field_name: value == "true"})


class ToolFilter(filters.FilterSet):
    category = filters.CharFilter(field_name="category__slug", help_text="offer-category slug")
    pricing_model = filters.ChoiceFilter(choices=ToolPricing.choices)
    featured = StrictBooleanFilter(field_name="is_featured")
    has_free_tier = StrictBooleanFilter(field_name="has_free_tier")

    class Meta:
        model = Tool
        fields = ["category", "pricing_model", "featured", "has_free_tier"]


class TaxonomyFilter(filters.FilterSet):
    type = filters.ChoiceFilter(field_name="taxonomy_type", choices=TaxonomyType.choices)
    parent = filters.CharFilter(field_name="parent__slug", help_text="slug of the parent entry")

    class Meta:
        model = Taxonomy
        fields = ["type", "parent"]


@extend_schema_view(
    list=extend_schema(summary="The tools directory: search (?search=), filter, paginated."),
    retrieve=extend_schema(summary="One tool, with counts of public offers and asks using it."),
)
class ToolViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    lookup_field = "slug"
    filterset_class = ToolFilter
    search_fields = ["name", "tagline", "description", "best_for"]
    ordering_fields = ["name", "created_at", "is_featured"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Tool]:
        return Tool.objects.filter(is_active=True).select_related("category")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ToolDetailSerializer if self.action == "retrieve" else ToolSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Active taxonomy entries, filtered by type.",
        parameters=[OpenApiParameter("type", OpenApiTypes.STR, enum=TaxonomyType.values)],
    ),
)
class TaxonomyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    serializer_class = TaxonomySerializer
    lookup_field = "slug"
    filterset_class = TaxonomyFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    ordering = ["taxonomy_type", "name"]

    def get_queryset(self) -> QuerySet[Taxonomy]:
        return Taxonomy.objects.filter(is_active=True).select_related("parent")
