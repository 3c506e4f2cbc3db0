"""Small nested representations shared by every API module (users, offers, asks in summaries)."""

from __future__ import annotations

from rest_framework import serializers

from collective.models import Ask, Offer, User


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "role", "avatar_url", "avatar_frame", "tagline"]
        read_only_fields = fields


class OfferSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["id", "slug", "title", "offer_type", "status", "user_id"]
        read_only_fields = fields


class AskSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Ask
        fields = ["id", "slug", "title", "ask_type", "status", "user_id"]
        read_only_fields = fields
