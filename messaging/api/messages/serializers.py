from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from collective.representations import UserSummarySerializer
from core.errors import DomainError

from ... import conf, validation
from ...models import Message, Thread
from ...representations import AttachmentSerializer
from ...representations import MessageSerializer as MessageSerializer  # re-exported: the views answer with it


class MessageCreateSerializer(serializers.Serializer):
    """The request of a send that `validation.plain_send_input` did not take as it is: the rules
    are messaging.validation's, their errors given as this serializer's field errors."""

    body = serializers.CharField(trim_whitespace=False, allow_blank=False)
    client_id = serializers.CharField(
        max_length=validation.CLIENT_ID_MAX_CHARS, required=False, allow_null=True, allow_blank=False
    )
    attachments = AttachmentSerializer(many=True, required=False)

    def validate_body(self, value: str) -> str:
        try:
            return validation.body_clean(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.detail, code=exc.code) from None

    def validate_attachments(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            validation.attachments_count_check(len(value))
        except DomainError as exc:
            raise serializers.ValidationError(exc.detail, code=exc.code) from None
        return value


class MessageEditSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False, allow_blank=False)

    validate_body = MessageCreateSerializer.validate_body


class ReadMarkerSerializer(serializers.Serializer):
    message = serializers.IntegerField(min_value=1)


class ThreadOpenSerializer(serializers.Serializer):
    # An id, not a related field: an unknown user and one who blocked the caller answer alike.
    user = serializers.IntegerField(min_value=1)


class LastMessagePreviewSerializer(serializers.ModelSerializer):
    sender = serializers.IntegerField(source="sender_id", read_only=True)
    preview = serializers.SerializerMethodField()
    is_deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "preview", "created_at", "edited_at", "is_deleted"]
        read_only_fields = fields

    def get_preview(self, obj: Message) -> str:
        limit = conf.get("PREVIEW_CHARS")
        body = " ".join(obj.body.split())
        return body if len(body) <= limit else body[: limit - 1] + "…"


class ThreadSerializer(serializers.ModelSerializer):
    """A thread as its caller sees it. Expects the queryset of `selectors.threads_annotated`."""

    other_user = serializers.SerializerMethodField()
    last_message = LastMessagePreviewSerializer(read_only=True, allow_null=True)
    last_activity_at = serializers.DateTimeField(read_only=True)
    unread_count = serializers.IntegerField(read_only=True)
    archived = serializers.SerializerMethodField()
    last_read_message = serializers.IntegerField(source="my_last_read_id", read_only=True, allow_null=True)
    other_last_read_message = serializers.IntegerField(source="other_last_read_id", read_only=True, allow_null=True)

    class Meta:
        model = Thread
        fields = [
            "id",
            "other_user",
            "last_message",
            "last_activity_at",
            "unread_count",
            "archived",
            "last_read_message",
            "other_last_read_message",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UserSummarySerializer)
    def get_other_user(self, obj: Thread) -> dict[str, Any]:
        me = self.context["request"].user.pk
        other = obj.user_high if obj.user_low_id == me else obj.user_low
        return UserSummarySerializer(other).data

    def get_archived(self, obj: Thread) -> bool:
        return getattr(obj, "my_archived_at", None) is not None
