"""Messaging's domain events (dataclasses announced through `core.events`) and the payload
builders of its realtime events.

The domain events name what happened by ids, plus what an in-transaction subscriber needs that the
service already holds (the sender, the body), so that reacting costs no extra query on the send
path. On-commit subscribers must reload by id.

Payload builders: The `message` in an event is exactly the REST
representation, so a client renders a pushed message and a fetched one the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.events import DomainEvent

from .models import Message, Thread

if TYPE_CHECKING:
    from collective.models import User


@dataclass(frozen=True)
class MessageSent(DomainEvent):
    """A new message (not a replay) was stored and `message.created` published to both
    participants. `notify=False`: the caller tells the recipient in its own words (a
    connection's first message), so no "new message" notification."""

    message_id: int
    thread_id: int
    sender_id: int
    recipient_id: int
    body: str = field(repr=False)
    notify: bool
    sender: User = field(compare=False, repr=False)


@dataclass(frozen=True)
class MessageEdited(DomainEvent):
    message_id: int
    thread_id: int
    sender_id: int


@dataclass(frozen=True)
class MessageDeleted(DomainEvent):
    message_id: int
    thread_id: int
    sender_id: int


@dataclass(frozen=True)
class ThreadRead(DomainEvent):
    """`user_id`'s read marker in the thread moved forward to `message_id`; `to_end`: it is now at
    (or past) the thread's last message."""

    thread_id: int
    user_id: int
    message_id: int
    to_end: bool


def message_data(message: Message) -> dict[str, Any]:
    # Imported here: the API serializers import the services, which import this module (the
    # payload builders are to move to representations.py, a KNOWN entry of the layering test).
    from .api.serializers import MessageSerializer  # the one representation of a message

    return dict(MessageSerializer(message).data)


def message_event(message: Message) -> dict[str, Any]:
    return {"thread": message.thread_id, "message": message_data(message)}


def thread_read_event(*, thread: Thread, user_id: int, message_id: int) -> dict[str, Any]:
    return {"thread": thread.pk, "user": user_id, "message": message_id}
