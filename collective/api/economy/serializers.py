"""Serializers of the `economy` API area: request shapes and response representations its views use."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collective.api.common import UserSummarySerializer
from collective.models import (
    CreditCost,
    CreditTransaction,
    Endorsement,
    PeerBadgeAward,
    PeerBadgeType,
    PointsTransaction,
)
from collective.models.rewards import ENDORSEMENT_MAX_LENGTH, MESSAGE_MAX_LENGTH
from collective.services import credits as credit_services

INT_MAX = 2_147_483_647


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


class PointsTransactionSerializer(serializers.ModelSerializer):
    related_user = UserSummarySerializer(read_only=True)

    class Meta:
        model = PointsTransaction
        fields = ["id", "action", "amount", "reason", "balance_after", "related_user", "created_at"]
        read_only_fields = fields


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user = UserSummarySerializer()
    points = serializers.IntegerField()
    helped = serializers.IntegerField(required=False, allow_null=True)


class CreditTransactionSerializer(serializers.ModelSerializer):
    related_user = UserSummarySerializer(read_only=True)

    class Meta:
        model = CreditTransaction
        fields = [
            "id",
            "amount",
            "transaction_type",
            "description",
            "balance_after",
            "points_converted",
            "feature",
            "client_id",
            "related_user",
            "created_at",
        ]
        read_only_fields = fields


class CreditCostSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditCost
        fields = ["slug", "name", "cost"]
        read_only_fields = fields


class ConvertSerializer(serializers.Serializer):
    points = serializers.IntegerField(min_value=1, max_value=INT_MAX)


class SpendSerializer(serializers.Serializer):
    feature = serializers.CharField(max_length=50)
    client_id = serializers.CharField(max_length=credit_services.CLIENT_ID_MAX, required=False, allow_blank=True)


class GiftCreateSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="User id or username.")
    points = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False)
    credits = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False)
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, required=False, allow_blank=True)
    connection = _id_field(required=False, allow_null=True)


class GiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    sender = UserSummarySerializer()
    recipient = UserSummarySerializer()
    amount = serializers.IntegerField()
    message = serializers.CharField()
    connection = serializers.IntegerField(source="connection_id", allow_null=True)
    created_at = serializers.DateTimeField()


class EndorsementSerializer(serializers.ModelSerializer):
    endorser = UserSummarySerializer(read_only=True)
    endorsee = UserSummarySerializer(read_only=True)

    class Meta:
        model = Endorsement
        fields = ["id", "endorser", "endorsee", "content", "connection", "is_featured", "is_flagged", "created_at"]
        read_only_fields = fields


class EndorsementCreateSerializer(serializers.Serializer):
    endorsee = serializers.CharField(max_length=150, help_text="User id or username.")
    content = serializers.CharField(max_length=ENDORSEMENT_MAX_LENGTH)
    connection = _id_field(required=False, allow_null=True)


class EndorsementUpdateSerializer(serializers.Serializer):
    is_featured = serializers.BooleanField()


class PeerBadgeTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PeerBadgeType
        fields = ["slug", "name", "description", "icon", "category"]
        read_only_fields = fields


class BadgeAwardCreateSerializer(serializers.Serializer):
    recipient = serializers.CharField(max_length=150, help_text="User id or username.")
    badge = serializers.CharField(max_length=50, help_text="A badge type slug.")
    connection = _id_field(required=False, allow_null=True)


class BadgeAwardSerializer(serializers.ModelSerializer):
    badge = PeerBadgeTypeSerializer(source="badge_type", read_only=True)
    awarder = UserSummarySerializer(read_only=True)
    recipient = UserSummarySerializer(read_only=True)

    class Meta:
        model = PeerBadgeAward
        fields = ["id", "badge", "awarder", "recipient", "connection", "created_at"]
        read_only_fields = fields


class StorefrontEndorsementSerializer(serializers.ModelSerializer):
    endorser = UserSummarySerializer(read_only=True)

    class Meta:
        model = Endorsement
        fields = ["id", "endorser", "content", "connection", "is_featured", "created_at"]
        read_only_fields = fields
