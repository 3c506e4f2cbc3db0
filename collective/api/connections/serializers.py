"""Serializers of the `connections` API area: request shapes and response representations its views use."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collective.api.common import UserSummarySerializer
from collective.models import Block, ConnectionStatus, ConnectionType, Currency, Follow, PriceProposal
from collective.representations import ConnectionSerializer as ConnectionSerializer  # REST and events share it
from collective.selectors import connections as connection_selectors
from collective.services import connections as connection_services
from collective.services import negotiation as negotiation_services

ID_MAX = 2**63 - 1  # bigint primary keys; larger numbers are a 400, never a database error


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


class ConnectionCreateSerializer(serializers.Serializer):
    offer = _id_field(required=False, allow_null=True)
    ask = _id_field(required=False, allow_null=True)
    connection_type = serializers.ChoiceField(choices=ConnectionType.choices, required=False, allow_null=True)
    responder = _id_field(required=False, allow_null=True)
    initial_message = serializers.CharField(
        max_length=connection_services.INITIAL_MESSAGE_MAX_LENGTH, allow_blank=False, trim_whitespace=True
    )


class ConnectionUpdateSerializer(serializers.Serializer):
    """`{status}`. The price is agreed through proposals (`agreed_price_cents` here is a 400
    `price_set_by_proposal`, refused by the view)."""

    status = serializers.ChoiceField(choices=ConnectionStatus.choices)


class ProposalSerializer(serializers.ModelSerializer):
    """A price proposal's representation. `replaces`: the proposal this one counters or revises;
    `responded_by` / `responded_at`: who closed it (accepted, declined, countered, withdrawn) and when."""

    proposer = UserSummarySerializer(read_only=True)
    connection: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    replaces: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)
    responded_by: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = PriceProposal
        fields = [
            "id",
            "connection",
            "proposer",
            "amount_cents",
            "currency",
            "scope",
            "message",
            "status",
            "replaces",
            "responded_by",
            "responded_at",
            "created_at",
        ]
        read_only_fields = fields


class ProposalCreateSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1, max_value=connection_services.PRICE_MAX_CENTS)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False, default=Currency.USD)
    scope = serializers.CharField(
        required=False, allow_blank=True, max_length=negotiation_services.SCOPE_MAX_LENGTH, default=""
    )
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=negotiation_services.MESSAGE_MAX_LENGTH, default=""
    )


class ProposalDeclineSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=negotiation_services.MESSAGE_MAX_LENGTH, default=""
    )


class ProposalAcceptedSerializer(serializers.Serializer):
    """The answer to an accept: the proposal and the connection with its new agreed price."""

    proposal = ProposalSerializer(read_only=True)
    connection = ConnectionSerializer(read_only=True)


class ConnectionRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    feedback = serializers.CharField(
        required=False, allow_blank=True, max_length=connection_services.FEEDBACK_MAX_LENGTH, default=""
    )


class ConnectionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConnectionStatus.choices, required=False)
    role = serializers.ChoiceField(choices=connection_selectors.ROLES, required=False)
    connection_type = serializers.ChoiceField(choices=ConnectionType.choices, required=False)


class FollowSerializer(serializers.ModelSerializer):
    follower = UserSummarySerializer(read_only=True)
    following = UserSummarySerializer(read_only=True)

    class Meta:
        model = Follow
        fields = ["follower", "following", "created_at"]
        read_only_fields = fields


class FollowCreateSerializer(serializers.Serializer):
    following = _id_field()


class FollowerItemSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="follower", read_only=True)

    class Meta:
        model = Follow
        fields = ["user", "created_at"]
        read_only_fields = fields


class FollowingItemSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="following", read_only=True)

    class Meta:
        model = Follow
        fields = ["user", "created_at"]
        read_only_fields = fields


class BlockSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="blocked", read_only=True)

    class Meta:
        model = Block
        fields = ["user", "created_at"]
        read_only_fields = fields


class BlockCreateSerializer(serializers.Serializer):
    user = _id_field()
