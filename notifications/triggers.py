"""Which domain events notify whom, with which words. Subscribed in `notifications.subscribers`
to the events that collective and messaging announce, in their transactions, after their own
publish (so `notification.created` follows the event that caused it in the recipient's stream).

| kind                | when                                     | to                      |
| connection_request  | a connection about an offer, or direct   | the responder           |
| ask_response        | a connection about an ask                | the ask's owner         |
| connection_accepted | status -> accepted                       | the initiator           |
| help_completed      | status -> completed by the one helped    | the helper              |
| new_follower        | a follow                                 | the followed user       |
| new_message         | a message to someone who is offline      | the other participant   |
| points_unlock       | lifetime points cross an unlock          | the user                |
| price_proposal      | a step of price negotiation (proposed,   | the other participant   |
|                     | countered, revised, accepted, declined,  |                         |
|                     | withdrawn)                               |                         |
| payment             | a payment succeeded, was declined,       | the buyer and/or the    |
|                     | refunded, disputed or refused (mismatch) | seller (texts.payment)  |
| new_match           | a new ask or offer matches one of theirs | the matched side's owner|
|                     | (capped per day by collective; folded)   | (docs/matching.md)      |
"""

from __future__ import annotations

import logging
from typing import Any

from collective.errors import CollectiveCode
from collective.events import (
    ConnectionCreated,
    ConnectionStatusChanged,
    FollowCreated,
    MatchCreated,
    PhoneVerificationRequested,
    PointsUnlocked,
    ProposalChanged,
)
from collective.models import ConnectionStatus
from collective.models.points import PointsAction, PointsTransaction
from collective.services.connections import connection_helper_id
from collective.services.negotiation import money_text
from core.errors import DomainError
from core.outbox import enqueue_on_commit
from messaging.events import MessageHidden, MessageSent, ThreadRead
from payments.events import PaymentChanged

from . import texts
from .delivery import sms_opted_out, sms_verification_record
from .models import Notification, NotificationKind
from .services import _online, notification_create, notification_mark_thread_read
from .tasks import sms_send

logger = logging.getLogger(__name__)

K = NotificationKind


def on_connection_created(event: ConnectionCreated) -> Notification | None:
    connection = event.connection
    initiator = connection.initiator
    if connection.ask is not None:  # no query when ask_id is None
        words = texts.ask_response(
            ask_title=connection.ask.title, message=connection.initial_message, connection_id=connection.pk
        )
        kind = K.ASK_RESPONSE
    else:
        subject = connection.offer.title if connection.offer is not None else None
        words = texts.connection_request(
            actor=initiator.username, subject=subject, message=connection.initial_message, connection_id=connection.pk
        )
        kind = K.CONNECTION_REQUEST
    return notification_create(
        recipient=connection.responder_id,
        actor=initiator,
        kind=kind,
        texts=words,
        connection=connection,
        thread=connection.dm_thread_id,
        data={"connection": connection.pk},
        # A cancel/reconnect loop about the same offer or ask is one request to its owner.
        subject=_connection_subject(connection),
    )


def _connection_subject(connection: Any) -> str:
    if connection.ask_id:
        return f"ask:{connection.ask_id}"
    if connection.offer_id:
        return f"offer:{connection.offer_id}"
    return "direct"


def help_points(connection: Any, helper_id: int) -> int | None:
    """The points the helper earned for this completion, from the ledger (written before this
    runs: the points are awarded by the service before it announces). None when the ledger has
    no award (the daily cap was reached): the text then claims no points."""
    row = (
        PointsTransaction.objects.filter(user_id=helper_id, action=PointsAction.COMPLETE_HELP, object_id=connection.pk)
        .values_list("amount", flat=True)
        .first()
    )
    if row is not None:
        return int(row)
    return None


def on_connection_status(event: ConnectionStatusChanged) -> Notification | None:
    connection, actor = event.connection, event.actor
    if connection.status == ConnectionStatus.ACCEPTED:
        return notification_create(
            recipient=connection.initiator_id,
            actor=actor,
            kind=K.CONNECTION_ACCEPTED,
            texts=texts.connection_accepted(
                actor=actor.username, thread_id=connection.dm_thread_id, connection_id=connection.pk
            ),
            connection=connection,
            thread=connection.dm_thread_id,
            data={"connection": connection.pk},
        )
    if connection.status == ConnectionStatus.COMPLETED:
        # The helper hears that the person they helped closed it; a helper who completes it
        # themselves gets no notification about their own act (notification_create skips it).
        helper_id = connection_helper_id(connection)
        points = help_points(connection, helper_id)
        return notification_create(
            recipient=helper_id,
            actor=actor,
            kind=K.HELP_COMPLETED,
            texts=texts.help_completed(actor=actor.username, points=points, connection_id=connection.pk),
            connection=connection,
            thread=connection.dm_thread_id,
            data={"connection": connection.pk, "points": points},
        )
    return None


def on_proposal_changed(event: ProposalChanged) -> Notification | None:
    """Every step tells the other participant. Steps by one actor on one connection while the
    notification is unread fold into it (`subject`: a revise loop is one item and one SMS at most;
    docs/notifications.md, "Repeats"); the SMS follows the kind's preference like any other."""
    proposal, connection, actor = event.proposal, event.connection, event.actor
    return notification_create(
        recipient=event.other_id,
        actor=actor,
        kind=K.PRICE_PROPOSAL,
        texts=texts.price_proposal(
            actor=actor.username,
            action=event.action,
            amount=money_text(proposal.amount_cents, proposal.currency),
            scope=proposal.scope,
            message=event.message,
            connection_id=connection.pk,
        ),
        connection=connection,
        thread=connection.dm_thread_id,
        data={"connection": connection.pk, "proposal": proposal.pk, "action": event.action},
        subject=f"proposal:{connection.pk}",
    )


def on_payment_changed(event: PaymentChanged) -> list[Notification]:
    """Money moved: a receipt to the buyer, "you've been paid" to the seller, a declined card,
    refunds to both, a dispute to the seller. The actor of the seller's is the buyer; the buyer's
    have no actor (their own payment, told by the platform)."""
    payment = event.payment
    made: list[Notification] = []
    amount = money_text(payment.amount_cents, payment.currency)
    detail = payment.failure_message if event.status == "failed" else ""
    for to, recipient in (("buyer", event.buyer_id), ("seller", event.seller_id)):
        if recipient is None:
            continue
        words = texts.payment(
            status=event.status,
            to=to,
            amount=amount,
            what=payment.description,
            buyer=payment.buyer.username,
            detail=detail,
            payment_id=payment.pk,
        )
        if words is None:
            continue
        notification = notification_create(
            recipient=recipient,
            actor=payment.buyer_id if to == "seller" else None,
            kind=K.PAYMENT,
            texts=words,
            connection=payment.connection_id,
            data={"payment": payment.pk, "status": event.status},
        )
        if notification is not None:
            made.append(notification)
    return made


MATCH_SUBJECT = "matches"


def on_match_created(event: MatchCreated) -> Notification | None:
    """One unread `new_match` item per recipient: later matches fold into it while it is unread
    (no actor, subject "matches": docs/notifications.md, "Repeats"), its title counting them. The
    daily cap is collective's (MATCHING["DAILY_NOTIFICATIONS"]): beyond it nothing is announced."""
    match = event.match
    unread = (
        Notification.objects.filter(
            recipient_id=event.recipient_id,
            actor__isnull=True,
            kind=K.NEW_MATCH,
            subject=MATCH_SUBJECT,
            read_at__isnull=True,
        )
        .values_list("repeat_count", flat=True)
        .first()
    )
    words = texts.new_match(
        side=event.side,
        ask_title=match.ask.title,
        offer_title=match.offer.title,
        ask_id=event.ask_id,
        offer_id=event.offer_id,
        count=(unread or 0) + 1,
    )
    return notification_create(
        recipient=event.recipient_id,
        kind=K.NEW_MATCH,
        texts=words,
        data={"match": event.match_id, "ask": event.ask_id, "offer": event.offer_id, "side": event.side},
        subject=MATCH_SUBJECT,
    )


def on_follow_created(event: FollowCreated) -> Notification | None:
    follower = event.follower
    return notification_create(
        recipient=event.following_id,
        actor=follower,
        kind=K.NEW_FOLLOWER,
        texts=texts.new_follower(actor=follower.username),
        data={"follower": follower.pk},
        subject="follow",  # follow/unfollow/follow: one "new follower" while it is unread
    )


def on_message_sent(event: MessageSent) -> Notification | None:
    """Only for a recipient with no open socket (one online sees the message itself), and not
    when the sender's caller notifies in its own words (`notify=False`)."""
    if not event.notify or _online(event.recipient_id):
        return None
    return notification_create(
        recipient=event.recipient_id,
        actor=event.sender,
        kind=K.NEW_MESSAGE,
        texts=texts.new_message(actor=event.sender.username, preview=event.body, thread_id=event.thread_id),
        thread=event.thread_id,
        data={"thread": event.thread_id, "message": event.message_id},
    )


def on_message_hidden(event: MessageHidden) -> int:
    """A moderator hid the message: its "new message" notification keeps no preview of it."""
    return Notification.objects.filter(
        kind=K.NEW_MESSAGE, thread_id=event.thread_id, data__message=event.message_id
    ).update(body="")


def on_thread_read(event: ThreadRead) -> int:
    """Read to the end: the thread's "new message" notification is read too."""
    if not event.to_end:
        return 0
    return notification_mark_thread_read(user_id=event.user_id, thread_id=event.thread_id)


def on_points_unlock(event: PointsUnlocked) -> Notification | None:
    threshold = event.threshold
    body = f"You reached {threshold} points." if threshold is not None else ""
    return notification_create(
        recipient=event.user,
        kind=K.POINTS_UNLOCK,
        texts=texts.points_unlock(title=f"Unlocked: {event.label}!", body=body),
        data={"unlock": event.unlock_key, "threshold": threshold},
    )


def on_phone_verification_requested(event: PhoneVerificationRequested) -> None:
    """Text the code: an SMS record (not subject to the notification rules) and its send, queued
    through the outbox on commit. A number that replied STOP is refused: the DomainError rolls
    the verification back."""
    if sms_opted_out(event.phone_number):
        raise DomainError(
            "This number replied STOP; reply START to it before verifying.",
            code=CollectiveCode.PHONE_OPTED_OUT,  # the verification flow's code (collective.errors)
            field="phone_number",
        )
    sms = sms_verification_record(
        user=event.user,
        verification_id=event.verification_id,
        body=texts.verification_code(event.code, event.ttl_seconds),
    )
    enqueue_on_commit(sms_send, args=[sms.pk])
