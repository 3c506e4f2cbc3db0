"""Messaging's representations: the payloads shared by REST responses and socket events.

The `message` of a `message.*` event is exactly the REST representation (`MessageSerializer`), so
a client renders a pushed message and a fetched one the same way. Both the API
(`messaging/api/messages/serializers.py`) and the realtime fan-out (`realtime/subscribers.py`, through the
builders below) use this module. The shapes are typed in the event catalogue
(`realtime/catalogue.py`: `MessageRepresentation`, `Attachment`, `MessageData`, `ThreadReadData`),
which `tests/realtime/test_catalogue.py` holds field for field against these serializers.

The send path's fast twin of `MessageSerializer` (`messaging.services.message_representation`) is
held equal to it by tests/messaging/test_send_fast_path.py.

No import of an `api` package: the API imports this module, not the other way round.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import AttachmentType, Message


class AttachmentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=AttachmentType.choices)
    id = serializers.IntegerField(min_value=1)


class MessageSerializer(serializers.ModelSerializer):
    """The one representation of a message (`MessageRepresentation`)."""

    thread = serializers.IntegerField(source="thread_id", read_only=True)
    sender = serializers.IntegerField(source="sender_id", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    is_deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "thread",
            "sender",
            "body",
            "body_html",
            "attachments",
            "actions",
            "client_id",
            "created_at",
            "edited_at",
            "deleted_at",
            "is_deleted",
        ]
        read_only_fields = fields


# --- builders: the data of messaging's durable events ---------------------------------------------


def message_data(message: Message) -> dict[str, Any]:
    """`MessageRepresentation`."""
    return dict(MessageSerializer(message).data)


def message_event(message: Message) -> dict[str, Any]:
    """`MessageData`: of `message.created`, `message.updated` and `message.deleted`."""
    return {"thread": message.thread_id, "message": message_data(message)}


def thread_read_event(*, thread_id: int, user_id: int, message_id: int) -> dict[str, Any]:
    """`ThreadReadData`."""
    return {"thread": thread_id, "user": user_id, "message": message_id}
