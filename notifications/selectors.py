"""Reads of notifications, always scoped to the recipient."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Notification


def notifications_for_user(*, user: Any, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=user.pk).select_related("actor").order_by("-id")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
