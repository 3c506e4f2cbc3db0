"""Messaging's domain events: dataclasses announced through `core.events`.

The domain events name what happened by ids, plus what an in-transaction subscriber needs that the
service already holds (the sender, the body, the message or its prebuilt representation), so that
reacting costs no extra query on the send path. On-commit subscribers must reload by id.

The services only announce; realtime's fan-out (`realtime/subscribers.py`) turns the events into
the socket events of the contract (§3), with the payloads of `messaging.representations`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.events import DomainEvent

from .models import Message

# The socket event types these domain events become (realtime/catalogue.py lists them with their data).
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
MESSAGE_DELETED = "message.deleted"
THREAD_READ = "thread.read"

if TYPE_CHECKING:
    from collective.models import User


@dataclass(frozen=True)
class MessageSent(DomainEvent):
    """A new message (not a replay) was stored. Fan-out: `message.created` to `participant_ids`.
    `notify=False`: the caller tells the recipient in its own words (a connection's first
    message), so no "new message" notification.

    `representation` is the message's REST representation when the service already built it
    (the send endpoint's fast path answers with it, so the event and the response share it);
    otherwise `message` is the stored instance and the fan-out builds it."""

    message_id: int
    thread_id: int
    sender_id: int
    recipient_id: int
    body: str = field(repr=False)
    notify: bool
    sender: User = field(compare=False, repr=False)
    participant_ids: tuple[int, int]
    message: Message | None = field(default=None, compare=False, repr=False)
    representation: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MessageEdited(DomainEvent):
    """The sender edited the message. Fan-out: `message.updated` to `participant_ids`."""

    message_id: int
    thread_id: int
    sender_id: int
    participant_ids: tuple[int, int]
    message: Message = field(compare=False, repr=False)


@dataclass(frozen=True)
class MessageDeleted(DomainEvent):
    """The sender deleted the message (soft: emptied). Fan-out: `message.deleted` to `participant_ids`."""

    message_id: int
    thread_id: int
    sender_id: int
    participant_ids: tuple[int, int]
    message: Message = field(compare=False, repr=False)


@dataclass(frozen=True)
class MessageHidden(DomainEvent):
    """A moderator hid the message (`services.message_hide`). Live sessions learn it from the
    `MessageEdited` announced beside it (`message.updated`); this one is for what kept a copy of
    the body elsewhere, e.g. a "new message" notification's preview."""

    message_id: int
    thread_id: int
    moderator_id: int


@dataclass(frozen=True)
class ThreadRead(DomainEvent):
    """`user_id`'s read marker in the thread moved forward to `message_id`; `to_end`: it is now at
    (or past) the thread's last message. Fan-out: `thread.read` to `participant_ids`."""

    thread_id: int
    user_id: int
    message_id: int
    to_end: bool
    participant_ids: tuple[int, int]
