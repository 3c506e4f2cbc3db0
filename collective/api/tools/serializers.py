"""Serializers of the `tools` API area: request shapes and response representations its views use."""

from __future__ import annotations

from rest_framework import serializers

from collective.models import Ask, Offer, Taxonomy, Tool
from collective.models.offers import OfferStatus

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
