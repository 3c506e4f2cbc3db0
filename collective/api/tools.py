"""Read API of the tools directory and of the taxonomy (categories, skills, topics...). Public."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from collective.models import Ask, Offer, Taxonomy, TaxonomyType, Tool
from collective.models.offers import OfferStatus
from collective.models.tools import ToolPricing

# What "public" means for the counts: the same rule as Offer.is_public / Ask.is_public.
PUBLIC_OFFER_STATUSES = (OfferStatus.ACTIVE, OfferStatus.PAUSED)


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Taxonomy
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ToolSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    taxonomy: serializers.PrimaryKeyRelatedField[Taxonomy] = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="id of the tool's 1:1 taxonomy entry"
    )

    class Meta:
        model = Tool
        fields = [
            "id",
            "slug",
            "name",
            "tagline",
            "description",
            "category",
            "website_url",
            "logo_url",
            "pricing_model",
            "has_free_tier",
            "usage_tips",
            "best_for",
            "is_featured",
            "taxonomy",
        ]
        read_only_fields = fields


class ToolDetailSerializer(ToolSerializer):
    offers_count = serializers.SerializerMethodField(help_text="public offers (active or paused) using this tool")
    asks_count = serializers.SerializerMethodField(help_text="public (not archived) asks about this tool")

    class Meta(ToolSerializer.Meta):
        fields = [*ToolSerializer.Meta.fields, "offers_count", "asks_count"]
        read_only_fields = fields

    def get_offers_count(self, tool: Tool) -> int:
        return Offer.objects.filter(tools=tool, status__in=PUBLIC_OFFER_STATUSES, is_archived=False).count()

    def get_asks_count(self, tool: Tool) -> int:
        return Ask.objects.filter(tools=tool, is_archived=False).count()


class TaxonomySerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="taxonomy_type", read_only=True)
    # A declared field named like Field.parent: the metaclass takes it off the class, so no clash.
    parent: serializers.SlugRelatedField[Taxonomy] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Taxonomy
        fields = [
            "id",
            "slug",
            "name",
            "type",
            "description",
            "parent",
            "color",
            "website_url",
            "logo_url",
            "usage_tips",
            "best_for",
        ]
        read_only_fields = fields


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
