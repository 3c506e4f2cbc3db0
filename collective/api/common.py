"""Small nested representations shared by every API module (users, offers, asks in summaries)."""

from __future__ import annotations

from typing import cast

from rest_framework import serializers
from rest_framework.request import Request

from collective.models import Ask, Offer, User


def request_user(request: Request) -> User:
    """`request.user` in a view whose permission class (IsAuthenticated) has refused anonymous
    requests before the handler runs: always a `User` there, so only its type is narrowed."""
    return cast(User, request.user)


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
