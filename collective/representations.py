"""The collective's representations: the payloads shared by REST responses and socket events.

One place builds each shape, and both the API serializers (`collective/api/`) and the realtime
fan-out (`realtime/subscribers.py`, through the builders below) use it, so a pushed connection and
a fetched one are the same bytes (contract §3: a client replaces its copy with the event's without
another request). The shapes are typed in the event catalogue (`realtime/catalogue.py`:
`UserSummary`, `OfferSummary`, `AskSummary`, `ConnectionRepresentation`), which
`tests/realtime/test_catalogue.py` holds field for field against these serializers.

No import of an `api` package: the API imports this module, not the other way round.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collective.models import Ask, Connection, Match, Offer, User


class UserSummarySerializer(serializers.ModelSerializer):
    """The public user shape (`UserSummary`): nested in every representation that names a user."""

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


class ConnectionSerializer(serializers.ModelSerializer):
    """The connection's representation: the REST answer and the data of `connection.*` events.
    `initiator_rating` is the rating given BY the initiator, `responder_rating` BY the responder."""

    initiator = UserSummarySerializer(read_only=True)
    responder = UserSummarySerializer(read_only=True)
    offer = OfferSummarySerializer(read_only=True)
    ask = AskSummarySerializer(read_only=True)
    dm_thread: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "initiator",
            "responder",
            "ask",
            "offer",
            "connection_type",
            "initial_message",
            "dm_thread",
            "status",
            "agreed_price_cents",
            "currency",
            "payment_status",
            "stripe_payment_intent_id",
            "paid_at",
            "initiator_rating",
            "responder_rating",
            "initiator_feedback",
            "responder_feedback",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = fields


class MatchSerializer(serializers.ModelSerializer):
    """A match record (docs/matching.md): `GET /matches/` and the data of `match.created`.
    `outcome` is read from the connection made from it: none, connected, completed, declined or
    cancelled."""

    ask = AskSummarySerializer(read_only=True)
    offer = OfferSummarySerializer(read_only=True)
    outcome = serializers.CharField(read_only=True)
    connection: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Match
        fields = ["id", "ask", "offer", "score", "reasons", "connection", "outcome", "created_at", "notified_at"]
        read_only_fields = fields


# --- builders: the data of the collective's durable events ----------------------------------------


def user_summary(user: User) -> dict[str, Any]:
    """`UserSummary`."""
    return dict(UserSummarySerializer(user).data)


def connection_data(connection: Connection) -> dict[str, Any]:
    """`ConnectionRepresentation`."""
    return dict(ConnectionSerializer(connection).data)


def connection_created_payload(connection: Connection) -> dict[str, Any]:
    """`ConnectionCreatedData`."""
    return {"connection": connection_data(connection)}


def connection_updated_payload(connection: Connection, *, previous_status: str) -> dict[str, Any]:
    """`ConnectionUpdatedData`."""
    return {"connection": connection_data(connection), "previous_status": previous_status}


def follow_created_payload(follower: User) -> dict[str, Any]:
    """`FollowCreatedData`."""
    return {"follower": user_summary(follower)}


def match_created_payload(match: Match, *, side: str) -> dict[str, Any]:
    """`MatchCreatedData`: `side` is what the recipient owns ("offer" or "ask")."""
    return {"match": dict(MatchSerializer(match).data), "side": side}
