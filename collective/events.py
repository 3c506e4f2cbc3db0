"""The collective's domain events: dataclasses announced through `core.events`, and the type
names of the socket events they become.

Domain events name what happened by ids; they also carry the instances the service already holds
(`compare=False`), so that in-transaction subscribers read them without another query. An
on-commit subscriber must reload by id: the instance may have changed since.

The services only announce; realtime's fan-out (`realtime/subscribers.py`) turns the events into
the socket events of the contract (§3), with the payloads of `collective.representations`."""

from __future__ import annotations

from dataclasses import dataclass, field

from collective.models import Connection, Match, PriceProposal, User
from core.events import DomainEvent

CONNECTION_CREATED = "connection.created"
CONNECTION_UPDATED = "connection.updated"
FOLLOW_CREATED = "follow.created"
POINTS_AWARDED = "points.awarded"
MATCH_CREATED = "match.created"


# --- domain events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionCreated(DomainEvent):
    """A connection was made (its first message already sent). Fan-out: `connection.created` to
    both participants."""

    connection_id: int
    initiator_id: int
    responder_id: int
    connection: Connection = field(compare=False, repr=False)


@dataclass(frozen=True)
class ConnectionUpdated(DomainEvent):
    """A connection changed: its status, its price or a rating (`previous_status` is its status
    before the change; the same as now when only the price or a rating changed). Fan-out:
    `connection.updated` to both participants. A status move is also a `ConnectionStatusChanged`,
    announced after this one."""

    connection_id: int
    previous_status: str
    connection: Connection = field(compare=False, repr=False)


@dataclass(frozen=True)
class ConnectionStatusChanged(DomainEvent):
    """A participant moved a connection to another status (after its `ConnectionUpdated`)."""

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
class ProposalChanged(DomainEvent):
    """A step of price negotiation (collective.services.negotiation): `action` is `proposed`,
    `countered` (a proposal answering the other's pending one), `revised` (replacing one's own),
    `accepted`, `declined` or `withdrawn`; `proposal_id` is the proposal made, accepted, declined
    or withdrawn. `message` is the step's words (the proposal's message; a decline's reason).
    Announced after the step's `ConnectionUpdated` (the fan-out's `connection.updated` to both);
    messaging posts the step in the connection's thread, notifications tells `other_id`."""

    connection_id: int
    proposal_id: int
    action: str
    actor_id: int
    other_id: int
    message: str
    proposal: PriceProposal = field(compare=False, repr=False)
    connection: Connection = field(compare=False, repr=False)
    actor: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class FollowCreated(DomainEvent):
    """`follower_id` follows `following_id`. Fan-out: `follow.created` to the followed user."""

    follower_id: int
    following_id: int
    follower: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class PointsAwarded(DomainEvent):
    """A toast for `user_id`: points earned or gifted (`amount` > 0), or a streak, an unlock or a
    milestone (`amount` 0; `action` says which). Fan-out: `points.awarded` to the user. Announced in
    the recipient order of the open `toast_batch` (user rows are locked before event streams)."""

    user_id: int
    amount: int
    action: str
    reason: str
    total_points: int


@dataclass(frozen=True)
class PointsUnlocked(DomainEvent):
    """A user's lifetime points crossed an unlock threshold (its `PointsAwarded` toast announced).
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


@dataclass(frozen=True)
class AskCreated(DomainEvent):
    """A new ask (`ask_create`). Matching (collective.subscribers, on commit) looks for the offers
    that answer it and tells their owners."""

    ask_id: int
    user_id: int


@dataclass(frozen=True)
class OfferPublished(DomainEvent):
    """An offer became active for the first time (`published_at` set now: created as active, or
    a draft published). Matching (on commit) tells the owners of the open asks it answers."""

    offer_id: int
    user_id: int


@dataclass(frozen=True)
class MatchCreated(DomainEvent):
    """A match was recorded and announced to `recipient_id`: the owner of the side that already
    existed (`side` is what they own: "offer" for a new ask's match, "ask" for a new offer's).
    Fan-out: `match.created` to the recipient; notifications: a `new_match` notification.
    Announced at most `MATCHING["DAILY_NOTIFICATIONS"]` times per recipient per 24 hours."""

    match_id: int
    ask_id: int
    offer_id: int
    recipient_id: int
    side: str
    match: Match = field(compare=False, repr=False)
