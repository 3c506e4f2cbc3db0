"""Representations of offers, asks, people, storefront and home.

Relations are written by slug and read as nested summaries:
`"category": "development"` in, `"category": {"id", "slug", "name", ...}` out; `tags` and
`tools` likewise take lists of slugs. The serializers only parse and resolve; the rules (which
taxonomy types are allowed, pricing consistency, ...) live in `collective.services.offers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db.models import Model, QuerySet
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from collective.api.common import AskSummarySerializer, OfferSummarySerializer, UserSummarySerializer
from collective.api.economy.views import storefront_economy_data
from collective.models import Ask, AskStatus, Connection, Offer, Taxonomy, Tool, User
from collective.services.offers import ASK_WRITABLE, OFFER_WRITABLE


class TaxonomySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Taxonomy
        fields = ["id", "slug", "name", "taxonomy_type", "color"]
        read_only_fields = fields


class ToolSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Tool
        fields = ["id", "slug", "name", "tagline", "logo_url", "website_url"]
        read_only_fields = fields


class SlugRelationField(serializers.Field):
    """One related object: written as its slug (or null), read as a nested summary."""

    def __init__(self, *, model: type[Model], summary: type[serializers.Serializer], **kwargs: Any) -> None:
        self.model = model
        self.summary = summary
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str) or not data:
            raise serializers.ValidationError("Expected a slug (string).")
        obj = self.model._default_manager.filter(slug=data).first()
        if obj is None:
            raise serializers.ValidationError(f"Unknown slug '{data}'.")
        return obj

    def to_representation(self, value: Model) -> dict[str, Any]:
        return self.summary(value).data


class SlugListField(serializers.Field):
    """Many related objects: written as a list of slugs, resolved in one query; read as summaries."""

    def __init__(
        self,
        *,
        model: type[Taxonomy] | type[Tool],
        summary: type[serializers.Serializer],
        max_length: int,
        **kwargs: Any,
    ):
        self.model = model
        self.summary = summary
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Model]:
        if not isinstance(data, list) or not all(isinstance(s, str) and s for s in data):
            raise serializers.ValidationError("Expected a list of slugs (strings).")
        slugs = list(dict.fromkeys(data))
        if len(slugs) > self.max_length:
            raise serializers.ValidationError(f"At most {self.max_length} entries.")
        found = {o.slug: o for o in self.model._default_manager.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown slugs: {', '.join(missing)}.")
        return [found[s] for s in slugs]

    def to_representation(self, value: QuerySet | Iterable[Model]) -> list[dict[str, Any]]:
        items = value.all() if hasattr(value, "all") else value  # .all() reads the prefetch cache
        return cast(list[dict[str, Any]], self.summary(items, many=True).data)  # many=True: a ReturnList


def _require_object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected a JSON object.")
    return value


class OfferSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    category = SlugRelationField(model=Taxonomy, summary=TaxonomySummarySerializer, allow_null=True, required=False)
    tags = SlugListField(model=Taxonomy, summary=TaxonomySummarySerializer, max_length=20, required=False)
    tools = SlugListField(model=Tool, summary=ToolSummarySerializer, max_length=20, required=False)

    class Meta:
        model = Offer
        fields = [
            "id",
            "user",
            "slug",
            "title",
            "description",
            "offer_type",
            "featured_image_url",
            "banner_url",
            "external_url",
            "body",
            "body_html",
            "content",
            "source_type",
            "source_url",
            "source_metadata",
            "category",
            "tags",
            "tools",
            "is_paid",
            "price_cents",
            "currency",
            "pricing_type",
            "stripe_product_id",
            "stripe_price_id",
            "status",
            "is_featured",
            "is_archived",
            "view_count",
            "connection_count",
            "created_at",
            "updated_at",
            "published_at",
        ]
        # Everything a client may not write: the service layer's whitelist decides (one list).
        read_only_fields = [f for f in fields if f not in OFFER_WRITABLE]

    def validate_content(self, value: Any) -> Any:
        return _require_object(value)

    def validate_source_metadata(self, value: Any) -> Any:
        return _require_object(value)


class AskSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    category = SlugRelationField(model=Taxonomy, summary=TaxonomySummarySerializer, allow_null=True, required=False)
    tags = SlugListField(model=Taxonomy, summary=TaxonomySummarySerializer, max_length=20, required=False)
    tools = SlugListField(model=Tool, summary=ToolSummarySerializer, max_length=20, required=False)

    class Meta:
        model = Ask
        fields = [
            "id",
            "user",
            "slug",
            "title",
            "description",
            "ask_type",
            "featured_image_url",
            "category",
            "tags",
            "tools",
            "is_paid_opportunity",
            "budget_min_cents",
            "budget_max_cents",
            "currency",
            "status",
            "is_archived",
            "view_count",
            "response_count",
            "created_at",
            "updated_at",
            "fulfilled_at",
            "expires_at",
        ]
        # Everything a client may not write: the service layer's whitelist decides (one list).
        read_only_fields = [f for f in fields if f not in ASK_WRITABLE]


class AskStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AskStatus.choices)


class ViewCountSerializer(serializers.Serializer):
    view_count = serializers.IntegerField()
    counted = serializers.BooleanField()


class PersonSerializer(serializers.ModelSerializer):
    """A creator card in people discovery."""

    public_offer_count = serializers.IntegerField(read_only=True)
    open_ask_count = serializers.IntegerField(read_only=True)
    reputation_score = serializers.IntegerField(read_only=True)
    reputation_tier = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "role",
            "tagline",
            "avatar_url",
            "avatar_frame",
            "total_points",
            "helped_count",
            "followers_count",
            "following_count",
            "date_joined",
            "public_offer_count",
            "open_ask_count",
            "reputation_score",
            "reputation_tier",
        ]
        read_only_fields = fields


class StorefrontHeaderSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "role",
            "tagline",
            "bio",
            "avatar_url",
            "avatar_frame",
            "total_points",
            "helped_count",
            "followers_count",
            "following_count",
            "date_joined",
        ]
        read_only_fields = fields


def storefront_data(page: dict[str, Any], *, context: Mapping[str, Any]) -> dict[str, Any]:
    header = StorefrontHeaderSerializer(page["user"]).data
    header["is_following"] = page["is_following"]
    return {
        "user": header,
        "is_owner": page["is_owner"],
        "offer_sections": [
            {
                "key": s["key"],
                "title": s["title"],
                "offer_types": s["offer_types"],
                "count": len(s["offers"]),
                "offers": OfferSerializer(s["offers"], many=True, context=context).data,
            }
            for s in page["offer_sections"]
        ],
        "asks": AskSerializer(page["asks"], many=True, context=context).data,
        "agent_courses": OfferSerializer(page["agent_courses"], many=True, context=context).data,
        # endorsements, peer_badges, reputation, unlocks (docs/economy.md)
        **storefront_economy_data(page["economy"]),
    }


class HomeConnectionSerializer(serializers.ModelSerializer):
    """One of the caller's connections, seen from the caller's side."""

    role = serializers.SerializerMethodField()
    other_party = serializers.SerializerMethodField()
    offer = OfferSummarySerializer(read_only=True)
    ask = AskSummarySerializer(read_only=True)

    class Meta:
        model = Connection
        fields = ["id", "connection_type", "status", "role", "other_party", "offer", "ask", "created_at", "updated_at"]
        read_only_fields = fields

    def _me(self) -> int:
        return self.context["user"].pk

    def get_role(self, obj: Connection) -> str:
        return "initiator" if obj.initiator_id == self._me() else "responder"

    def get_other_party(self, obj: Connection) -> dict[str, Any]:
        other = obj.responder if obj.initiator_id == self._me() else obj.initiator
        return UserSummarySerializer(other).data


class OfferMatchSerializer(serializers.Serializer):
    """An offer for an ask (`GET /asks/{id}/matches/`): the offer's summary, score, reasons."""

    offer = OfferSummarySerializer(read_only=True)
    score = serializers.FloatField(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class AskMatchSerializer(serializers.Serializer):
    """An ask for an offer (`GET /offers/{id}/matches/`)."""

    ask = AskSummarySerializer(read_only=True)
    score = serializers.FloatField(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class HomeMatchSerializer(OfferMatchSerializer):
    """ "Matches for you" on home: an offer for one of the caller's open asks (`ask`)."""

    ask = AskSummarySerializer(read_only=True)


def home_data(page: dict[str, Any]) -> dict[str, Any]:
    offer_counts = page["offer_counts"]
    ask_counts = page["ask_counts"]
    return {
        "user": UserSummarySerializer(page["user"]).data,
        "offers": {"counts": offer_counts, "total": sum(offer_counts.values())},
        "asks": {"counts": ask_counts, "total": sum(ask_counts.values())},
        "recent_connections": HomeConnectionSerializer(
            page["recent_connections"], many=True, context={"user": page["user"]}
        ).data,
        # The best offers for the caller's open asks (docs/matching.md).
        "matches": HomeMatchSerializer(page["matches"], many=True).data,
    }


class _SlugRelationFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: a slug when written, the nested summary when read."""

    target_class = SlugRelationField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            return {"type": "string", "nullable": True, "description": "slug"}
        return {**auto_schema._map_serializer(self.target.summary, direction), "nullable": True}


class _SlugListFieldSchema(OpenApiSerializerFieldExtension):
    target_class = SlugListField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            return {"type": "array", "items": {"type": "string", "description": "slug"}}
        return {"type": "array", "items": auto_schema._map_serializer(self.target.summary, direction)}
