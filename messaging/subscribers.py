"""messaging's subscriptions to other apps' domain events, registered from `MessagingConfig.ready()`.

A connection is the one place a thread is opened for another app: collective announces
`ConnectionCreated` and messaging opens (or reuses) the private thread between the two people,
names it on the connection (`dm_thread`) and posts the initial message as the thread's first
message. So collective never imports messaging (docs/architecture.md: no cycle between apps)."""

from __future__ import annotations

from collective.events import ConnectionCreated
from collective.models import Connection
from core.events import subscribe

from .services import message_send, thread_get_or_create

# Before realtime's fan-out (-100, realtime/subscribers.py): the `connection.created` payload names
# the thread, and the first `message.created` precedes `connection.created` in both streams.
OPEN_THREAD_ORDER = -200


def on_connection_created(event: ConnectionCreated) -> None:
    """In the connection's transaction: a failure here rolls the connection back."""
    connection = event.connection
    thread, _ = thread_get_or_create(user_a=connection.initiator, user_b=connection.responder)
    Connection.objects.filter(pk=connection.pk).update(dm_thread=thread)
    connection.dm_thread = thread
    # notify=False: the responder hears of the connection (notifications), not of its first message too.
    message_send(thread=thread, sender=connection.initiator, body=connection.initial_message, notify=False)


def register() -> None:
    subscribe(ConnectionCreated, on_connection_created, order=OPEN_THREAD_ORDER)
