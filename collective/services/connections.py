"""Writes of connections: creation, the status state machine, price negotiation and ratings.

Every change happens under a row lock on the connection (`select_for_update`), so two parallel
requests are serialised: the second sees the first one's result (e.g. "already completed" is a
no-op, not a second `helped_count` increment). The services announce domain events
(collective/events.py); realtime's fan-out subscribes and publishes the socket events in the same
transaction, so they reach sockets only if it commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from collective import events
from collective.errors import CollectiveCode
from collective.models import (
    Ask,
    AskStatus,
    AskType,
    Connection,
    ConnectionStatus,
    ConnectionType,
    Offer,
    OfferStatus,
    OfferType,
    PaymentStatus,
    PointsAction,
    User,
)
from collective.models.connections import FINAL_STATUSES
from collective.selectors.blocks import is_blocked
from collective.services.points import helped_milestone, lock_users, points_award, toast_batch
from core.errors import Conflict, CoreCode, DomainError, NotFound
from core.events import announce

INITIAL_MESSAGE_MAX_LENGTH = 5000
FEEDBACK_MAX_LENGTH = 2000
HELPFUL_RATING_MIN = 4  # a rating of 4 or 5 is "helpful" (seed 001 §8.2; docs/economy.md)
# "Welcome a new member" (§8.2): a newcomer is a member for less than this.
WELCOME_WINDOW = timedelta(days=7)
PRICE_MAX_CENTS = 2_147_483_647  # PositiveIntegerField's ceiling on every backend

S = ConnectionStatus
INITIATOR = "initiator"
RESPONDER = "responder"
EITHER = "either"

# (from, to) -> who may make the move. Everything not listed is illegal; final statuses have no
# way out. Documented as a table in docs/connections.md.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.INITIATED, S.DISCUSSING): EITHER,
    (S.INITIATED, S.ACCEPTED): RESPONDER,
    (S.INITIATED, S.DECLINED): RESPONDER,
    (S.DISCUSSING, S.ACCEPTED): RESPONDER,
    (S.DISCUSSING, S.DECLINED): RESPONDER,
    (S.ACCEPTED, S.IN_PROGRESS): EITHER,
    (S.ACCEPTED, S.COMPLETED): EITHER,
    (S.IN_PROGRESS, S.COMPLETED): EITHER,
    (S.INITIATED, S.CANCELLED): INITIATOR,
    (S.DISCUSSING, S.CANCELLED): INITIATOR,
    (S.ACCEPTED, S.CANCELLED): INITIATOR,
    (S.IN_PROGRESS, S.CANCELLED): INITIATOR,
}

_VERB: dict[str, str] = {
    S.ACCEPTED: "accept",
    S.DECLINED: "decline",
    S.CANCELLED: "cancel",
}


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def connection_helper_id(connection: Connection) -> int:
    """Who gives the help in a connection: for an `ask_response` the initiator (they answered
    the ask; the responder is the one who asked), for an `offer_inquiry` or `direct` connection
    the responder. `helped_count` and the points for helping both follow it."""
    if connection.connection_type == ConnectionType.ASK_RESPONSE:
        return connection.initiator_id
    return connection.responder_id


def connection_helped_id(connection: Connection) -> int:
    """The other participant: the one who receives the help."""
    helper = connection_helper_id(connection)
    return connection.responder_id if helper == connection.initiator_id else connection.initiator_id


def _as_int(value: Any, field: str) -> int:
    try:
        result = int(_pk(value))
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be an id.", code=CoreCode.INVALID, field=field) from None
    if not 1 <= result <= 2**63 - 1:  # bigint keys; never hand the database a number it cannot hold
        raise DomainError(f"{field} must be an id.", code=CoreCode.INVALID, field=field)
    return result


def _visible_offer(offer_id: int, initiator: User) -> Offer:
    """The offer if the initiator may see it. Drafts and archived offers are their owner's alone,
    and an owner who blocked the initiator is hidden behind the same 404 (the block stays secret)."""
    offer = Offer.objects.select_related("user").filter(pk=offer_id).first()
    if offer is None or (offer.user_id != initiator.pk and not offer.is_public):
        raise NotFound("No such offer.", code=CollectiveCode.OFFER_NOT_FOUND, field="offer")
    if not offer.user.is_active or is_blocked(blocker_id=offer.user_id, blocked_id=initiator.pk):
        raise NotFound("No such offer.", code=CollectiveCode.OFFER_NOT_FOUND, field="offer")
    return offer


def _visible_ask(ask_id: int, initiator: User) -> Ask:
    ask = Ask.objects.select_related("user").filter(pk=ask_id).first()
    if ask is None or (ask.user_id != initiator.pk and not ask.is_public):
        raise NotFound("No such ask.", code=CollectiveCode.ASK_NOT_FOUND, field="ask")
    if not ask.user.is_active or is_blocked(blocker_id=ask.user_id, blocked_id=initiator.pk):
        raise NotFound("No such ask.", code=CollectiveCode.ASK_NOT_FOUND, field="ask")
    return ask


def _direct_responder(responder: Any, initiator: User) -> User:
    if responder is None or responder == "":
        raise DomainError("A direct connection needs a responder.", code=CoreCode.REQUIRED, field="responder")
    responder_id = _as_int(responder, "responder")
    user = User.objects.filter(pk=responder_id, is_active=True).first()
    # A blocker looks exactly like an unknown user to the one they blocked.
    if user is None or is_blocked(blocker_id=user.pk, blocked_id=initiator.pk):
        raise DomainError("No such user.", code=CollectiveCode.USER_NOT_FOUND, field="responder")
    return user


def _active_duplicate_exists(*, initiator: User, responder: User, offer: Offer | None, ask: Ask | None) -> bool:
    qs = Connection.objects.filter(initiator_id=initiator.pk, responder_id=responder.pk).exclude(
        status__in=FINAL_STATUSES
    )
    if offer is not None:
        qs = qs.filter(offer_id=offer.pk)
    elif ask is not None:
        qs = qs.filter(ask_id=ask.pk)
    else:
        qs = qs.filter(connection_type=ConnectionType.DIRECT)
    return qs.exists()


def _duplicate() -> Conflict:
    return Conflict(
        "You already have an active connection with this user for this offer or ask.",
        code=CollectiveCode.DUPLICATE_CONNECTION,
    )


@transaction.atomic
def connection_create(
    *,
    initiator: User,
    offer: Offer | int | None = None,
    ask: Ask | int | None = None,
    connection_type: str | None = None,
    responder: User | int | None = None,
    initial_message: str,
) -> Connection:
    """Open a connection from `initiator` about an offer, an ask, or directly to `responder`.

    The responder is the offer's or ask's owner (for `direct`, the given user). Opens or reuses
    the pair's message thread, posts `initial_message` there, bumps the offer's
    `connection_count` / the ask's `response_count`, and publishes `connection.created` to both.
    """
    message = (initial_message or "").strip()
    if not message:
        raise DomainError("Write a first message.", code=CoreCode.REQUIRED, field="initial_message")
    if len(message) > INITIAL_MESSAGE_MAX_LENGTH:
        raise DomainError(
            f"The first message can be at most {INITIAL_MESSAGE_MAX_LENGTH} characters.",
            code=CoreCode.MAX_LENGTH,
            field="initial_message",
        )
    if offer is not None and ask is not None:
        raise DomainError(
            "A connection is about an offer or an ask, not both.", code=CollectiveCode.ASK_AND_OFFER, field="offer"
        )
    if connection_type is not None and connection_type not in ConnectionType.values:
        raise DomainError(
            f"connection_type must be one of: {', '.join(ConnectionType.values)}.",
            code=CoreCode.INVALID_CHOICE,
            field="connection_type",
        )

    offer_obj: Offer | None = None
    ask_obj: Ask | None = None
    if offer is not None:
        inferred = ConnectionType.OFFER_INQUIRY
        offer_obj = _visible_offer(_as_int(offer, "offer"), initiator)
        target = offer_obj.user
    elif ask is not None:
        inferred = ConnectionType.ASK_RESPONSE
        ask_obj = _visible_ask(_as_int(ask, "ask"), initiator)
        target = ask_obj.user
    else:
        if connection_type not in (None, ConnectionType.DIRECT):
            field = "offer" if connection_type == ConnectionType.OFFER_INQUIRY else "ask"
            raise DomainError(f"A {connection_type} connection needs an {field}.", code=CoreCode.REQUIRED, field=field)
        inferred = ConnectionType.DIRECT
        target = _direct_responder(responder, initiator)

    if connection_type is not None and connection_type != inferred:
        raise DomainError(
            f"connection_type {connection_type!r} does not match the request; it would be {inferred!r}.",
            code=CollectiveCode.CONNECTION_TYPE_MISMATCH,
            field="connection_type",
        )
    if inferred != ConnectionType.DIRECT and responder is not None and _pk(responder) != target.pk:
        raise DomainError(
            "The responder is the owner of the offer or ask; leave it out.",
            code=CollectiveCode.RESPONDER_MISMATCH,
            field="responder",
        )
    if target.pk == initiator.pk:
        self_field = "responder" if inferred == ConnectionType.DIRECT else None
        raise DomainError("You cannot connect with yourself.", code=CollectiveCode.SELF_CONNECTION, field=self_field)
    if is_blocked(blocker_id=initiator.pk, blocked_id=target.pk):
        raise DomainError("You have blocked this user; unblock them first.", code=CollectiveCode.USER_BLOCKED)

    if offer_obj is not None and offer_obj.status != OfferStatus.ACTIVE:
        raise DomainError(
            "This offer is not accepting connections right now.", code=CollectiveCode.OFFER_NOT_ACCEPTING, field="offer"
        )
    if ask_obj is not None and (ask_obj.is_archived or ask_obj.status not in (AskStatus.OPEN, AskStatus.IN_PROGRESS)):
        raise DomainError(
            "This ask is not accepting responses any more.", code=CollectiveCode.ASK_NOT_ACCEPTING, field="ask"
        )

    if _active_duplicate_exists(initiator=initiator, responder=target, offer=offer_obj, ask=ask_obj):
        raise _duplicate()

    try:
        # A savepoint: a parallel request may win the partial unique index between our check
        # and this insert; the database decides and the loser gets the same 409.
        with transaction.atomic():
            connection = Connection.objects.create(
                initiator=initiator,
                responder=target,
                offer=offer_obj,
                ask=ask_obj,
                connection_type=inferred,
                initial_message=message,
            )
    except IntegrityError:
        if _active_duplicate_exists(initiator=initiator, responder=target, offer=offer_obj, ask=ask_obj):
            raise _duplicate() from None
        raise

    # The counters count people: only an initiator's first connection about the offer/ask adds
    # one, so a cancel/reconnect loop adds nothing (docs/connections.md).
    first_time = not _earlier_connection_exists(connection, offer=offer_obj, ask=ask_obj)
    if offer_obj is not None and first_time:
        Offer.objects.filter(pk=offer_obj.pk).update(connection_count=F("connection_count") + 1)
    if ask_obj is not None and first_time:
        Ask.objects.filter(pk=ask_obj.pk).update(response_count=F("response_count") + 1)
        # Before the announce below (messaging's subscriber sends the first message): user rows are
        # locked before event streams (docs/economy.md).
        _award_ask_response(connection, ask_obj, initiator=initiator, owner=target)

    _award_welcome(initiator=initiator, newcomer=target)

    # messaging subscribes (messaging/subscribers.py): it opens or reuses the thread between the two,
    # names it on the connection (`dm_thread`) and posts `message` as its first message, all in this
    # transaction and before the `connection.created` event goes out.
    announce(
        events.ConnectionCreated(
            connection_id=connection.pk, initiator_id=initiator.pk, responder_id=target.pk, connection=connection
        )
    )
    return connection


def _earlier_connection_exists(connection: Connection, *, offer: Offer | None, ask: Ask | None) -> bool:
    """Whether the initiator of the just-inserted `connection` had connected about the same offer
    or ask before (in any status).

    Race-safe without a lock on the offer/ask row: an initiator cannot have two active
    connections about one object (the partial unique index), so a parallel first connection of
    the same initiator waits on that index for ours and then fails with the 409 — it never
    reaches this check. Any earlier connection of theirs is final, hence committed, and seen."""
    if offer is None and ask is None:
        return False
    earlier = Connection.objects.filter(initiator_id=connection.initiator_id).exclude(pk=connection.pk)
    earlier = earlier.filter(offer_id=offer.pk) if offer is not None else earlier.filter(ask_id=ask.pk)  # type: ignore[union-attr]
    return earlier.exists()


def _award_ask_response(connection: Connection, ask: Ask, *, initiator: User, owner: User) -> None:
    """§8.2: +15 to whoever responds to an ask (once per ask and responder), +5 to the ask's
    owner. The caller calls it only for a responder's first connection to that ask: cancelling
    and responding again earns nothing more."""
    with toast_batch():
        lock_users([initiator.pk, owner.pk])
        points_award(user=initiator, action=PointsAction.RESPOND_TO_ASK, obj=ask, other=owner)
        points_award(user=owner, action=PointsAction.ASK_RESPONSE_RECEIVED, obj=connection, other=initiator)


def _giving_kind(connection: Connection) -> str | None:
    """§8.2's "Beta test someone's app" (+15) and "Give feedback on a project" (+10), for a help
    session whose subject says it was one: an ask for beta testers, or an ask or offer of
    feedback. Keyed by the person helped (no project or app model here): once per person."""
    if connection.ask_id is not None:
        ask_type = Ask.objects.filter(pk=connection.ask_id).values_list("ask_type", flat=True).first()
        giving: dict[str | None, str] = {
            AskType.BETA_TESTER: PointsAction.BETA_TEST,
            AskType.FEEDBACK: PointsAction.GIVE_FEEDBACK,
        }
        return giving.get(ask_type)
    if connection.offer_id is not None:
        offer_type = Offer.objects.filter(pk=connection.offer_id).values_list("offer_type", flat=True).first()
        return PointsAction.GIVE_FEEDBACK if offer_type == OfferType.FEEDBACK else None
    return None


def _award_welcome(*, initiator: User, newcomer: User) -> None:
    """§8.2's "Welcome a new member" (+5): an established member (joined more than
    WELCOME_WINDOW ago) reaches out to a member who joined within it. Once per newcomer."""
    now = timezone.now()
    if newcomer.date_joined >= now - WELCOME_WINDOW and initiator.date_joined < now - WELCOME_WINDOW:
        with toast_batch():
            points_award(user=initiator, action=PointsAction.WELCOME_MEMBER, obj=newcomer, other=newcomer)


def _award_completion(connection: Connection) -> None:
    """The connection just became completed (exactly once, under its row lock): the helper's
    `helped_count` +1 and §8.2's +25 (complete a help session), +5 to the one helped (help
    received), and the helper's milestone toast."""
    helper_id, helped_id = connection_helper_id(connection), connection_helped_id(connection)
    with toast_batch():
        users = lock_users([helper_id, helped_id])
        helper, helped = users[helper_id], users[helped_id]
        User.objects.filter(pk=helper_id).update(helped_count=F("helped_count") + 1)
        context = {"context": " with their ask"} if connection.connection_type == ConnectionType.ASK_RESPONSE else {}
        points_award(user=helper, action=PointsAction.COMPLETE_HELP, obj=connection, other=helped, context=context)
        kind = _giving_kind(connection)
        if kind is not None:
            points_award(user=helper, action=kind, obj=helped, other=helped)
        helped_milestone(user_id=helper_id)
        points_award(user=helped, action=PointsAction.HELP_RECEIVED, obj=connection, other=helper)


def _lock(connection: Connection, actor: User) -> Connection:
    locked = Connection.objects.select_for_update().filter(pk=connection.pk).first()
    if locked is None or not locked.is_participant(actor):
        raise NotFound("No such connection.", code=CoreCode.NOT_FOUND)
    return locked


def _check_transition(connection: Connection, actor: User, status: str) -> None:
    current = connection.status
    if status not in S.values:
        raise DomainError(
            f"status must be one of: {', '.join(S.values)}.", code=CoreCode.INVALID_CHOICE, field="status"
        )
    if current in FINAL_STATUSES:
        raise Conflict(f"The connection is {current}; that is final.", code=CollectiveCode.CONNECTION_FINAL)
    who = TRANSITIONS.get((current, status))
    if who is None:
        raise Conflict(f"A connection cannot go from {current} to {status}.", code=CollectiveCode.ILLEGAL_TRANSITION)
    is_initiator = actor.pk == connection.initiator_id
    if who == RESPONDER and is_initiator:
        raise Conflict(f"Only the responder can {_VERB.get(status, status)}.", code=CollectiveCode.ONLY_RESPONDER)
    if who == INITIATOR and not is_initiator:
        raise Conflict(
            f"Only the initiator can {_VERB.get(status, status)}; the responder declines instead.",
            code=CollectiveCode.ONLY_INITIATOR,
        )


# Work on a paid connection starts, or is delivered, only once the buyer has paid (issue 14).
_NEEDS_PAYMENT = (S.IN_PROGRESS, S.COMPLETED)


def _apply_status(connection: Connection, actor: User, status: str) -> list[str]:
    """Move `connection` (locked by the caller) to `status`; returns the fields changed."""
    if status == connection.status:
        return []
    _check_transition(connection, actor, status)
    if status in _NEEDS_PAYMENT and connection.needs_payment and connection.payment_status != PaymentStatus.PAID:
        raise Conflict(
            f"This connection has an agreed price of {connection.agreed_price_cents} {connection.currency} cents "
            f"and is not paid (payment: {connection.payment_status}); the buyer pays first "
            f"(POST /api/v1/connections/{connection.pk}/pay/).",
            code=CollectiveCode.PAYMENT_REQUIRED,
        )
    connection.status = status
    changed = ["status"]
    if status == S.COMPLETED:
        connection.completed_at = timezone.now()
        changed.append("completed_at")
        # Exactly once per connection: only the request that holds the lock and finds the
        # connection not yet completed gets here.
        _award_completion(connection)
    return changed


def _apply_price(connection: Connection, agreed_price_cents: int | None, currency: str | None = None) -> list[str]:
    currency = currency or connection.currency
    if agreed_price_cents == connection.agreed_price_cents and currency == connection.currency:
        return []
    if connection.status in FINAL_STATUSES:
        raise Conflict(
            f"The connection is {connection.status}; its price can no longer change.",
            code=CollectiveCode.CONNECTION_FINAL,
        )
    if connection.payment_status not in (PaymentStatus.NONE, PaymentStatus.FAILED):
        raise Conflict(
            f"The connection's payment is {connection.payment_status}; its price can no longer change.",
            code=CollectiveCode.PRICE_LOCKED,
        )
    if agreed_price_cents is not None and (
        isinstance(agreed_price_cents, bool)
        or not isinstance(agreed_price_cents, int)
        or not 0 <= agreed_price_cents <= PRICE_MAX_CENTS
    ):
        raise DomainError(
            f"agreed_price_cents must be a whole number from 0 to {PRICE_MAX_CENTS}.",
            code=CoreCode.INVALID,
            field="agreed_price_cents",
        )
    connection.agreed_price_cents = agreed_price_cents
    connection.currency = currency
    return ["agreed_price_cents", "currency"]


_UNSET: Any = object()


@transaction.atomic
def connection_update(
    *,
    connection: Connection,
    actor: User,
    status: str | None = None,
    agreed_price_cents: Any = _UNSET,
    currency: str | None = None,
) -> Connection:
    """Apply a participant's PATCH: a new price (while not final) and/or a status move, as one
    change with one `connection.updated` event. A PATCH that changes nothing emits nothing."""
    locked = _lock(connection, actor)
    previous_status = locked.status
    changed: list[str] = []
    if agreed_price_cents is not _UNSET:
        changed += _apply_price(locked, agreed_price_cents, currency)
    if status is not None:
        changed += _apply_status(locked, actor, status)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        announce(events.ConnectionUpdated(connection_id=locked.pk, previous_status=previous_status, connection=locked))
        if locked.status != previous_status:
            announce(
                events.ConnectionStatusChanged(
                    connection_id=locked.pk,
                    previous_status=previous_status,
                    status=locked.status,
                    actor_id=actor.pk,
                    connection=locked,
                    actor=actor,
                )
            )
    return locked


def connection_transition(*, connection: Connection, actor: User, status: str) -> Connection:
    """Move the connection along the state machine (see TRANSITIONS). The same status again is
    a no-op without an event; an illegal move is a 409 naming the rule; an outsider gets 404."""
    return connection_update(connection=connection, actor=actor, status=status)


def connection_set_price(
    *, connection: Connection, actor: User, agreed_price_cents: int | None, currency: str | None = None
) -> Connection:
    """Set the agreed price: called by accepting a price proposal (collective.services.negotiation),
    the only way a price is agreed. Refused once the connection is final or paid."""
    return connection_update(
        connection=connection, actor=actor, agreed_price_cents=agreed_price_cents, currency=currency
    )


@transaction.atomic
def connection_payment_changed(
    *, connection_id: int, payment_status: str, payment_intent_id: str = "", paid_at: Any = None
) -> Connection | None:
    """Record where the connection's money is (called by the payments app when a payment of this
    connection changes); announces `connection.updated` to both participants when it changed."""
    locked = Connection.objects.select_for_update().filter(pk=connection_id).first()
    if locked is None:
        return None
    changed: list[str] = []
    if locked.payment_status != payment_status:
        locked.payment_status = payment_status
        changed.append("payment_status")
    if payment_intent_id and locked.stripe_payment_intent_id != payment_intent_id:
        locked.stripe_payment_intent_id = payment_intent_id
        changed.append("stripe_payment_intent_id")
    if paid_at is not None and locked.paid_at is None:
        locked.paid_at = paid_at
        changed.append("paid_at")
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        announce(events.ConnectionUpdated(connection_id=locked.pk, previous_status=locked.status, connection=locked))
    return locked


@transaction.atomic
def connection_rate(*, connection: Connection, actor: User, rating: int, feedback: str = "") -> Connection:
    """A participant rates the other once the connection is completed. `initiator_rating` is the
    rating given BY the initiator (of the responder), `responder_rating` the one given BY the
    responder. Once per participant; a second attempt is a 409."""
    locked = _lock(connection, actor)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(
            "rating must be a whole number from 1 to 5.", code=CollectiveCode.INVALID_RATING, field="rating"
        )
    feedback = (feedback or "").strip()
    if len(feedback) > FEEDBACK_MAX_LENGTH:
        raise DomainError(
            f"feedback can be at most {FEEDBACK_MAX_LENGTH} characters.", code=CoreCode.MAX_LENGTH, field="feedback"
        )
    if locked.status != S.COMPLETED:
        raise Conflict("A connection can be rated only once it is completed.", code=CollectiveCode.NOT_COMPLETED)
    side = "initiator" if actor.pk == locked.initiator_id else "responder"
    if getattr(locked, f"{side}_rating") is not None:
        raise Conflict("You have already rated this connection.", code=CollectiveCode.ALREADY_RATED)
    setattr(locked, f"{side}_rating", rating)
    setattr(locked, f"{side}_feedback", feedback)
    locked.save(update_fields=[f"{side}_rating", f"{side}_feedback", "updated_at"])
    rated_id = locked.responder_id if side == "initiator" else locked.initiator_id
    # The toast is published when the batch closes, after connection.updated: event streams
    # are then locked in ascending user order, as every other publisher does.
    with toast_batch():
        # §8.2 "Receive a helpful rating": +20 to the helper when the one helped rates them 4-5.
        if rating >= HELPFUL_RATING_MIN and rated_id == connection_helper_id(locked):
            lock_users([locked.initiator_id, locked.responder_id])
            points_award(
                user=rated_id, action=PointsAction.HELPFUL_RATING, obj=locked, other=actor, context={"rating": rating}
            )
        announce(events.ConnectionUpdated(connection_id=locked.pk, previous_status=locked.status, connection=locked))
    announce(events.ConnectionRated(connection_id=locked.pk, rater_id=actor.pk, rated_id=rated_id, rating=rating))
    return locked
