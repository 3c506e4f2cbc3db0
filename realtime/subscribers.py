"""Realtime's fan-out: the domain announces what happened, this module turns each domain event into
the socket events of the contract (§3). Every registration in one place, loaded by
`RealtimeConfig.ready()`; the domain apps never import realtime.

In the transaction (phase "in_transaction"), through `realtime.publish`: the event-log rows are
written in the service's transaction (atomic with the write: a rolled-back change leaves no row
and reaches no socket), and `publish` itself pushes them through the channel layer only after the
commit. Stream ids are handed out under the stream rows' locks, so they stay strictly increasing
per user in commit order.

Order: `order=FAN_OUT_ORDER` runs each handler before the event's other subscribers, whatever
order the apps' `ready()` run in, so a recipient's stream reads the write's own event first and
then what the reactions publish ("connection.created, notification.created", "message.created,
notification.created"), as when the services published themselves. Toasts (`PointsAwarded`) are
announced from inside the open `toast_batch` (collective.services.points), so they are published
in the batch's ascending user order: user rows are locked before event streams, and streams in
ascending user order (docs/economy.md).

Payloads are built by the domain apps' representations (`collective.representations`,
`messaging.representations`), the same the REST API answers with; the send path's event may carry
its representation already built (`MessageSent.representation`).
"""

from __future__ import annotations

from collective import representations as collective_repr
from collective.events import (
    CONNECTION_CREATED,
    CONNECTION_UPDATED,
    FOLLOW_CREATED,
    MATCH_CREATED,
    POINTS_AWARDED,
    ConnectionCreated,
    ConnectionUpdated,
    FollowCreated,
    MatchCreated,
    PointsAwarded,
)
from core.events import subscribe
from messaging import representations as messaging_repr
from messaging.events import (
    MESSAGE_CREATED,
    MESSAGE_DELETED,
    MESSAGE_UPDATED,
    THREAD_READ,
    MessageDeleted,
    MessageEdited,
    MessageSent,
    ThreadRead,
)
from payments import representations as payments_repr
from payments.events import PAYMENT_UPDATED, PaymentChanged

from .publish import publish

# Before the other subscribers of an event (core.events: lower runs first; the default is 0).
FAN_OUT_ORDER = -100


def on_connection_created(event: ConnectionCreated) -> None:
    publish(
        [event.initiator_id, event.responder_id],
        CONNECTION_CREATED,
        collective_repr.connection_created_payload(event.connection),
    )


def on_connection_updated(event: ConnectionUpdated) -> None:
    connection = event.connection
    publish(
        [connection.initiator_id, connection.responder_id],
        CONNECTION_UPDATED,
        collective_repr.connection_updated_payload(connection, previous_status=event.previous_status),
    )


def on_follow_created(event: FollowCreated) -> None:
    publish([event.following_id], FOLLOW_CREATED, collective_repr.follow_created_payload(event.follower))


def on_match_created(event: MatchCreated) -> None:
    publish([event.recipient_id], MATCH_CREATED, collective_repr.match_created_payload(event.match, side=event.side))


def on_points_awarded(event: PointsAwarded) -> None:
    data = {"amount": event.amount, "action": event.action, "reason": event.reason, "total_points": event.total_points}
    publish([event.user_id], POINTS_AWARDED, data)


def on_payment_changed(event: PaymentChanged) -> None:
    recipients = [event.buyer_id] if event.seller_id is None else sorted({event.buyer_id, event.seller_id})
    publish(
        recipients,
        PAYMENT_UPDATED,
        payments_repr.payment_updated_payload(event.payment, previous_status=event.previous_status),
    )


def on_message_sent(event: MessageSent) -> None:
    representation = event.representation
    if representation is None:
        assert event.message is not None, "MessageSent carries the message or its representation"
        representation = messaging_repr.message_data(event.message)
    publish(event.participant_ids, MESSAGE_CREATED, {"thread": event.thread_id, "message": representation})


def on_message_edited(event: MessageEdited) -> None:
    publish(event.participant_ids, MESSAGE_UPDATED, messaging_repr.message_event(event.message))


def on_message_deleted(event: MessageDeleted) -> None:
    publish(event.participant_ids, MESSAGE_DELETED, messaging_repr.message_event(event.message))


def on_thread_read(event: ThreadRead) -> None:
    publish(
        event.participant_ids,
        THREAD_READ,
        messaging_repr.thread_read_event(thread_id=event.thread_id, user_id=event.user_id, message_id=event.message_id),
    )


def register() -> None:
    subscribe(ConnectionCreated, on_connection_created, order=FAN_OUT_ORDER)
    subscribe(ConnectionUpdated, on_connection_updated, order=FAN_OUT_ORDER)
    subscribe(FollowCreated, on_follow_created, order=FAN_OUT_ORDER)
    subscribe(PointsAwarded, on_points_awarded, order=FAN_OUT_ORDER)
    subscribe(MatchCreated, on_match_created, order=FAN_OUT_ORDER)
    subscribe(PaymentChanged, on_payment_changed, order=FAN_OUT_ORDER)
    subscribe(MessageSent, on_message_sent, order=FAN_OUT_ORDER)
    subscribe(MessageEdited, on_message_edited, order=FAN_OUT_ORDER)
    subscribe(MessageDeleted, on_message_deleted, order=FAN_OUT_ORDER)
    subscribe(ThreadRead, on_thread_read, order=FAN_OUT_ORDER)
