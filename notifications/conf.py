"""Notification settings: `settings.NOTIFICATIONS` (a dict) over the defaults below."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .models import NotificationKind

K = NotificationKind

DEFAULTS: dict[str, Any] = {
    # Seconds between a notification to an offline user and the SMS check (they may come back).
    "SMS_DELAY_SECONDS": 30,
    # At most this many notification SMS per user in any 24 hours (seed 001 §7.2).
    "SMS_DAILY_LIMIT": 5,
    "SMS_MAX_RETRIES": 5,
    "SMS_RETRY_BACKOFF_SECONDS": 30,  # doubled on each retry
    "SMS_RETRY_BACKOFF_MAX_SECONDS": 600,
    # An SMS still "sending" this long after its claim (the worker died mid-call) is marked
    # "unknown" by the beat sweep: never sent again (at most once), but visible as such.
    "SMS_SENDING_TIMEOUT_SECONDS": 600,
    # A repeat (same actor, kind and subject) after the earlier notification was read is a new
    # notification, but texts nobody again within this window if one was sent or queued.
    "REPEAT_SMS_WINDOW_SECONDS": 24 * 3600,
}

# Per-kind SMS defaults. The connection events are what seed 001 §7.2 texts; a direct message
# to someone away is too. Followers and unlocks stay in the app unless the user turns them on.
SMS_DEFAULTS: dict[str, bool] = {
    K.CONNECTION_REQUEST: True,
    K.ASK_RESPONSE: True,
    K.CONNECTION_ACCEPTED: True,
    K.HELP_COMPLETED: True,
    K.NEW_MESSAGE: True,
    K.PRICE_PROPOSAL: True,  # a price to answer, or the answer: a connection event
    K.PAYMENT: True,  # money moved: a receipt, a sale, a declined card, a refund, a dispute
    K.NEW_FOLLOWER: False,
    K.POINTS_UNLOCK: False,
    K.NEW_MATCH: False,  # a suggestion, not a person waiting: in the app unless turned on
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "NOTIFICATIONS", {})}[name]


def site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"
