"""What notifications does when the domain announces: every registration in one place, loaded by
`NotificationsConfig.ready()`.

All in the transaction (phase "in_transaction"): a notification row is atomic with the write that
caused it, and `notification_create` publishes `notification.created` through the event log, which
pushes to sockets and queues the SMS on commit itself (realtime.publish, the outbox).

Order: each handler runs where the service announces, which is after the service's own publish,
so a recipient's stream reads "connection.created, notification.created" as before. A points
unlock is announced from inside the open `toast_batch` (collective.services.points), so its
notification is published in the batch's ascending user order: user rows are locked before event
streams, and streams in ascending user order (docs/economy.md).
"""

from __future__ import annotations

from collective.events import (
    ConnectionCreated,
    ConnectionStatusChanged,
    FollowCreated,
    MatchCreated,
    PhoneVerificationRequested,
    PointsUnlocked,
    ProposalChanged,
)
from core.events import subscribe
from messaging.events import MessageHidden, MessageSent, ThreadRead
from payments.events import PaymentChanged

from . import triggers


def register() -> None:
    subscribe(ConnectionCreated, triggers.on_connection_created)
    subscribe(ConnectionStatusChanged, triggers.on_connection_status)
    subscribe(ProposalChanged, triggers.on_proposal_changed)
    subscribe(PaymentChanged, triggers.on_payment_changed)
    subscribe(FollowCreated, triggers.on_follow_created)
    subscribe(MatchCreated, triggers.on_match_created)
    subscribe(PointsUnlocked, triggers.on_points_unlock)
    subscribe(MessageSent, triggers.on_message_sent)
    subscribe(ThreadRead, triggers.on_thread_read)
    subscribe(MessageHidden, triggers.on_message_hidden)
    # The code's SMS record is written in the verification's transaction (and a number that
    # opted out is refused there, rolling the code back); the send is queued on commit (outbox).
    subscribe(PhoneVerificationRequested, triggers.on_phone_verification_requested)
