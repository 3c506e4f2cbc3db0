"""Payload builders for messaging events. The `message` in an event is exactly the REST
representation, so a client renders a pushed message and a fetched one the same way."""

from __future__ import annotations

from typing import Any

from .models import Message, Thread


def message_data(message: Message) -> dict[str, Any]:
    from .api.serializers import MessageSerializer  # the one representation of a message

    return dict(MessageSerializer(message).data)


def message_event(message: Message) -> dict[str, Any]:
    return {"thread": message.thread_id, "message": message_data(message)}


def thread_read_event(*, thread: Thread, user_id: int, message_id: int) -> dict[str, Any]:
    return {"thread": thread.pk, "user": user_id, "message": message_id}
