"""Writes of notifications: creating one (and publishing it live), marking read, preferences.

`notification_create` is the one way a notification is made. It publishes
`notification.created` to the recipient in the caller's transaction and, when the recipient has
no open socket, queues the SMS fallback task on commit (see `delivery.py` for the rules).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import metrics
from core.errors import DEPENDENCY_ERRORS, CoreCode, DomainError, NotFound
from core.outbox import enqueue_on_commit
from notifications.errors import NotificationsCode
from realtime.presence import is_online
from realtime.publish import publish

from . import conf
from .models import Notification, NotificationKind, NotificationPreference, SmsState
from .serializers import NotificationEventSerializer, NotificationUpdatedEventSerializer
from .texts import Texts

logger = logging.getLogger(__name__)

NOTIFICATION_CREATED = "notification.created"
# A repeat consolidated into an existing notification (docs/notifications.md "Repeats").
NOTIFICATION_UPDATED = "notification.updated"


def notification_event(notification: Notification) -> dict[str, Any]:
    return {"notification": dict(NotificationEventSerializer(notification).data)}


def notification_updated_event(notification: Notification) -> dict[str, Any]:
    """`notification.updated`: the created event's fields plus how often and when it last happened."""
    return {"notification": dict(NotificationUpdatedEventSerializer(notification).data)}


def _online(user_id: int) -> bool:
    """Presence for the creation path: an unreachable presence store must not fail the write
    that caused the notification. Counted as offline; the task checks again before sending."""
    try:
        return is_online(user_id)
    except DEPENDENCY_ERRORS as exc:  # an outage: one line, not a traceback per notification
        logger.warning("presence unavailable (%s); treating user %s as offline", exc, user_id)
        return False
    except Exception:
        logger.exception("presence check failed; treating user %s as offline", user_id)
        return False


def _queue_sms_check(notification_id: int) -> None:
    """Queue the SMS check in the caller's transaction (the outbox: a broker outage delays it,
    never loses it, and never fails or slows the request)."""
    # Imported here: the tasks module imports these services (tasks are thin interfaces to them).
    from notifications.tasks import notification_sms

    enqueue_on_commit(notification_sms, args=[notification_id], countdown=conf.get("SMS_DELAY_SECONDS"))


@transaction.atomic
def notification_create(
    *,
    recipient: Any,
    kind: str,
    texts: Texts,
    actor: Any = None,
    connection: Any = None,
    thread: Any = None,
    data: dict[str, Any] | None = None,
    subject: str = "",
) -> Notification | None:
    """Make a notification for `recipient`, publish it live, and consider the SMS fallback.

    Returns None (and does nothing) when the recipient is the actor or inactive, and, for a new
    message, when an unread notification for that thread already exists: one per thread while
    messages pile up, decided by a partial unique constraint also under parallel sends.

    With a `subject`, a repeat — same recipient, actor, kind and subject while the earlier one is
    unread — updates that notification (texts, targets, `repeat_count` + 1, `updated_at`),
    publishes `notification.updated` and queues no SMS. A new one after the earlier was read
    queues no SMS either if one for the same key was sent or queued within
    `REPEAT_SMS_WINDOW_SECONDS` (a loop of undo/redo texts someone once a day at most)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipient_id = getattr(recipient, "pk", recipient)
    actor_id = getattr(actor, "pk", actor)
    if recipient_id is None or recipient_id == actor_id:
        return None
    if hasattr(recipient, "is_active") and not recipient.is_active:
        return None
    online = _online(recipient_id)
    fields: dict[str, Any] = {
        "recipient_id": recipient_id,
        "actor_id": actor_id,
        "kind": kind,
        "connection_id": getattr(connection, "pk", connection),
        "thread_id": getattr(thread, "pk", thread),
        "title": texts.title,
        "body": texts.body,
        "url": texts.url,
        "sms_text": texts.sms,
        "data": data or {},
        "sms_state": SmsState.SKIPPED if online else SmsState.PENDING,
        "sms_reason": "online" if online else "",
    }
    if subject:
        fields["subject"] = subject
        repeat = _repeat_of(fields)
        if repeat is not None:
            return _consolidate(repeat, fields)
        if not online and _recent_sms_for(fields):
            fields.update(sms_state=SmsState.SKIPPED, sms_reason="repeat")
        try:
            with transaction.atomic():
                notification = Notification.objects.create(**fields)
        except IntegrityError:  # a parallel repeat made it first: join it
            repeat = _repeat_of(fields)
            return _consolidate(repeat, fields) if repeat is not None else None
    elif kind == NotificationKind.NEW_MESSAGE:
        if Notification.objects.filter(
            recipient_id=recipient_id, thread_id=fields["thread_id"], kind=kind, read_at__isnull=True
        ).exists():
            return None
        try:
            with transaction.atomic():
                notification = Notification.objects.create(**fields)
        except IntegrityError:  # a parallel send made it first
            return None
    else:
        notification = Notification.objects.create(**fields)
    if notification.sms_state == SmsState.SKIPPED:  # "online" or "repeat", decided here
        metrics.SMS_SKIPPED.labels(notification.sms_reason).inc()
    publish([recipient_id], NOTIFICATION_CREATED, notification_event(notification))
    if not online and notification.sms_state == SmsState.PENDING:
        _queue_sms_check(notification.pk)
    return notification


def _repeat_key(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: fields[k] for k in ("recipient_id", "actor_id", "kind", "subject")}


def _repeat_of(fields: dict[str, Any]) -> Notification | None:
    """The unread notification a repeat joins, locked (parallel repeats update it one by one)."""
    return Notification.objects.select_for_update().filter(**_repeat_key(fields), read_at__isnull=True).first()


def _recent_sms_for(fields: dict[str, Any]) -> bool:
    since = timezone.now() - dt.timedelta(seconds=conf.get("REPEAT_SMS_WINDOW_SECONDS"))
    return Notification.objects.filter(
        **_repeat_key(fields),
        updated_at__gte=since,
        sms_state__in=[SmsState.PENDING, SmsState.HELD, SmsState.SENT],
    ).exists()


def _consolidate(notification: Notification, fields: dict[str, Any]) -> Notification:
    """Fold a repeat into `notification` (locked by the caller): the newest words and targets (the
    link goes to the latest connection), one more in the count. Its SMS state is left alone: the
    SMS already queued, if any, sends the newest text; no second one is queued."""
    for name in ("title", "body", "url", "sms_text", "data", "connection_id", "thread_id"):
        setattr(notification, name, fields[name])
    notification.repeat_count += 1
    notification.updated_at = timezone.now()
    notification.save(
        update_fields=[
            "title",
            "body",
            "url",
            "sms_text",
            "data",
            "connection_id",
            "thread_id",
            "repeat_count",
            "updated_at",
        ]
    )
    publish([notification.recipient_id], NOTIFICATION_UPDATED, notification_updated_event(notification))
    return notification


def _parse_id(value: Any) -> int:
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise NotFound("No such notification.", code=CoreCode.NOT_FOUND) from None
    if not 1 <= result <= 2**63 - 1:
        raise NotFound("No such notification.", code=CoreCode.NOT_FOUND)
    return result


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: Any) -> Notification:
    """Mark one of the user's notifications read. Idempotent; someone else's is a 404."""
    notification = (
        Notification.objects.select_for_update().filter(pk=_parse_id(notification_id), recipient_id=user.pk).first()
    )
    if notification is None:
        raise NotFound("No such notification.", code=CoreCode.NOT_FOUND)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


def notification_mark_thread_read(*, user_id: int, thread_id: int) -> int:
    """The user has read a thread to its end: its "new message" notification is read too, so the
    next message notifies again."""
    return Notification.objects.filter(
        recipient_id=user_id, thread_id=thread_id, kind=NotificationKind.NEW_MESSAGE, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- preferences -------------------------------------------------------------------------------


def preferences_get(*, user: Any) -> dict[str, dict[str, bool]]:
    saved = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "sms"))
    return {kind: {"sms": saved.get(kind, conf.SMS_DEFAULTS[kind])} for kind in NotificationKind.values}


def sms_kind_enabled(*, user_id: int, kind: str) -> bool:
    saved = NotificationPreference.objects.filter(user_id=user_id, kind=kind).values_list("sms", flat=True).first()
    return conf.SMS_DEFAULTS.get(kind, False) if saved is None else saved


@transaction.atomic
def preferences_update(*, user: Any, data: Any) -> dict[str, dict[str, bool]]:
    """`{"<kind>": {"sms": bool}, ...}`: set the given kinds, leave the others."""
    if not isinstance(data, dict):
        raise DomainError("Send an object of {kind: {sms: true|false}}.", code=CoreCode.INVALID)
    for kind, value in data.items():
        if kind not in NotificationKind.values:
            raise DomainError(
                f"Unknown notification kind; one of: {', '.join(NotificationKind.values)}.",
                code=NotificationsCode.INVALID_KIND,
                field=str(kind)[:64],
            )
        if not isinstance(value, dict) or set(value) - {"sms"} or not isinstance(value.get("sms"), bool):
            raise DomainError("Each kind takes {sms: true|false}.", code=CoreCode.INVALID, field=kind)
    for kind, value in data.items():
        NotificationPreference.objects.update_or_create(user_id=user.pk, kind=kind, defaults={"sms": value["sms"]})
    return preferences_get(user=user)
