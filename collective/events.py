"""The collective's domain events (dataclasses announced through `core.events`) and the payload
builders of its durable realtime events.

Domain events name what happened by ids; they also carry the instances the service already holds
(`compare=False`), so that in-transaction subscribers read them without another query. An
on-commit subscriber must reload by id: the instance may have changed since.

Payload builders: the data of The data of `connection.*` events is the
connection's REST representation (contract §3), so it is built by the same serializer the API
answers with; a client can replace its copy with the event's without another request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collective.api.common import UserSummarySerializer
from collective.models import Connection, User
from core.events import DomainEvent

CONNECTION_CREATED = "connection.created"
CONNECTION_UPDATED = "connection.updated"
FOLLOW_CREATED = "follow.created"


# --- domain events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionCreated(DomainEvent):
    """A connection was made (its first message already sent, `connection.created` published)."""

    connection_id: int
    initiator_id: int
    responder_id: int
    connection: Connection = field(compare=False, repr=False)


@dataclass(frozen=True)
class ConnectionStatusChanged(DomainEvent):
    """A participant moved a connection to another status (`connection.updated` published)."""

    connection_id: int
    previous_status: str
    status: str
    actor_id: int
    connection: Connection = field(compare=False, repr=False)
    actor: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class ConnectionRated(DomainEvent):
    """A participant rated the other (`rated_id`) on a completed connection."""

    connection_id: int
    rater_id: int
    rated_id: int
    rating: int


@dataclass(frozen=True)
class FollowCreated(DomainEvent):
    """`follower_id` follows `following_id` (`follow.created` published to the followed user)."""

    follower_id: int
    following_id: int
    follower: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class PointsUnlocked(DomainEvent):
    """A user's lifetime points crossed an unlock threshold (its toast already published).
    Announced in the recipient order of the open `toast_batch`, as every publish to the user."""

    user_id: int
    unlock_key: str
    label: str
    threshold: int | None
    user: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class PhoneVerificationRequested(DomainEvent):
    """A new phone-verification code was issued (`PhoneVerification` `verification_id`, whose row
    holds only the code's hash); a subscriber sends it to `phone_number`, in the transaction, and
    may refuse (a DomainError: the code is then not issued at all).

    `code` is the code in clear, for the message only: it is kept out of `repr` (so out of logs)
    and is never published or written to the event log."""

    user_id: int
    verification_id: int
    phone_number: str
    code: str = field(repr=False)
    ttl_seconds: int
    user: User = field(compare=False, repr=False)


def connection_data(connection: Connection) -> dict[str, Any]:
    # Imported here: the API module imports the services, which import this module.
    from collective.api.connections import ConnectionSerializer

    return dict(ConnectionSerializer(connection).data)


def connection_created_payload(connection: Connection) -> dict[str, Any]:
    return {"connection": connection_data(connection)}


def connection_updated_payload(connection: Connection, *, previous_status: str) -> dict[str, Any]:
    return {"connection": connection_data(connection), "previous_status": previous_status}


def follow_created_payload(follower: User) -> dict[str, Any]:
    return {"follower": dict(UserSummarySerializer(follower).data)}
