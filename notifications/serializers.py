"""Representations of notifications: the event payload (contract §3) and the REST item."""

from __future__ import annotations

from rest_framework import serializers

from collective.representations import UserSummarySerializer

from .models import Notification, NotificationKind


class NotificationEventSerializer(serializers.ModelSerializer):
    """`notification.created`'s `data.notification`: exactly the fields of contract §3."""

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at"]
        read_only_fields = fields


class NotificationUpdatedEventSerializer(serializers.ModelSerializer):
    """`notification.updated`'s `data.notification`: the created event's fields, plus
    `repeat_count` and `updated_at` (a repeat folded into it; docs/notifications.md)."""

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "repeat_count", "updated_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True)
    connection = serializers.IntegerField(source="connection_id", read_only=True, allow_null=True)
    thread = serializers.IntegerField(source="thread_id", read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "actor",
            "connection",
            "thread",
            "data",
            "created_at",
            "updated_at",
            "repeat_count",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class KindPreferenceSerializer(serializers.Serializer):
    sms = serializers.BooleanField()


# `{"<kind>": {"sms": bool}}` for every kind (the schema of GET and PATCH).
PreferencesSerializer = type(
    "PreferencesSerializer",
    (serializers.Serializer,),
    {kind: KindPreferenceSerializer(required=False) for kind in NotificationKind.values},
)
