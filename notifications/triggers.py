"""Which events notify whom, with which words. Called by the services that make the events
(connections, follows, messages, points), inside their transactions, after their own publish.

| kind                | when                                     | to                      |
| connection_request  | a connection about an offer, or direct   | the responder           |
| ask_response        | a connection about an ask                | the ask's owner         |
| connection_accepted | status -> accepted                       | the initiator           |
| help_completed      | status -> completed by the one helped    | the helper              |
| new_follower        | a follow                                 | the followed user       |
| new_message         | a message to someone who is offline      | the other participant   |
| points_unlock       | lifetime points cross an unlock          | the user                |
"""

from __future__ import annotations

import logging
from typing import Any

from . import texts
from .models import Notification, NotificationKind
from .services import _online, notification_create

logger = logging.getLogger(__name__)

K = NotificationKind
DEFAULT_HELP_POINTS = 25  # seed 001 §7.2's text, when the points table is not there to ask


def on_connection_created(*, connection: Any) -> Notification | None:
    initiator = connection.initiator
    if connection.ask_id:
        words = texts.ask_response(
            ask_title=connection.ask.title, message=connection.initial_message, connection_id=connection.pk
        )
        kind = K.ASK_RESPONSE
    else:
        subject = connection.offer.title if connection.offer_id else None
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


def _helper_id(connection: Any) -> int:
    """Who gave the help: the collective's rule (for an ask response, the one who answered)."""
    try:
        from collective.services.connections import connection_helper_id
    except ImportError:
        return connection.responder_id
    return connection_helper_id(connection)


def help_points(connection: Any, helper_id: int) -> int | None:
    """The points the helper earned for this completion, from the ledger (written before this
    runs). None when the ledger has no award (the daily cap was reached): the text then claims
    no points. Without a points system, seed 001's +25."""
    try:
        from collective.models.points import PointsAction, PointsTransaction
    except ImportError:  # the points system is not there
        return DEFAULT_HELP_POINTS
    row = (
        PointsTransaction.objects.filter(user_id=helper_id, action=PointsAction.COMPLETE_HELP, object_id=connection.pk)
        .values_list("amount", flat=True)
        .first()
    )
    if row is not None:
        return int(row)
    return None


def on_connection_status(*, connection: Any, previous_status: str, actor: Any) -> Notification | None:
    from collective.models import ConnectionStatus

    if connection.status == previous_status:
        return None
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
        helper_id = _helper_id(connection)
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


def on_follow_created(*, follower: Any, following_id: int) -> Notification | None:
    return notification_create(
        recipient=following_id,
        actor=follower,
        kind=K.NEW_FOLLOWER,
        texts=texts.new_follower(actor=follower.username),
        data={"follower": follower.pk},
        subject="follow",  # follow/unfollow/follow: one "new follower" while it is unread
    )


def on_message_created(*, message: Any, thread: Any) -> Notification | None:
    """Only for a recipient with no open socket (one online sees the message itself)."""
    recipient_id = thread.other_participant_id(message.sender_id)
    if _online(recipient_id):
        return None
    return notification_create(
        recipient=recipient_id,
        actor=message.sender,
        kind=K.NEW_MESSAGE,
        texts=texts.new_message(actor=message.sender.username, preview=message.body, thread_id=thread.pk),
        thread=thread,
        data={"thread": thread.pk, "message": message.pk},
    )


def on_points_unlock(*, user: Any, unlock: Any) -> Notification | None:
    label = getattr(unlock, "label", str(unlock))
    threshold = getattr(unlock, "threshold", None)
    body = f"You reached {threshold} points." if threshold is not None else ""
    return notification_create(
        recipient=user,
        kind=K.POINTS_UNLOCK,
        texts=texts.points_unlock(title=f"Unlocked: {label}!", body=body),
        data={"unlock": getattr(unlock, "key", label), "threshold": threshold},
    )
