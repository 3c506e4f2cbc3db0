"""The SMS channel: the fallback rules for notifications, and delivering an SMS record exactly once.

`sms_fallback_decide` runs at send time (in the Celery task, a short delay after the
notification) and re-checks everything, in this order, recording the first reason not to send
on the notification (`sms_state`, `sms_reason`):

  read -> online -> no_verified_phone -> sms_disabled -> kind_disabled -> opted_out
  -> quiet hours (held until they end, not dropped) -> daily_limit (5 in any 24 h)

The daily count and the creation of the SmsMessage row happen under a lock on the user's row,
so parallel tasks for one user never pass the limit together. The row's unique `key`
(`notification:<id>`) makes a retried or duplicated task find it instead of making another.

`sms_deliver` claims a queued row (queued -> sending, a conditional UPDATE only one caller wins),
calls the provider once, and records sent (with the provider's SID) or failed. A transient
error puts it back to queued for the task's retry; a row left in `sending` (a worker died during
the call) is never sent again: at most once, never twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from collective.models import User
from core import metrics
from notifications.links import tracked_sms_text
from notifications.sms import SmsPermanentError, SmsTransientError, get_backend
from realtime.presence import is_online

from . import conf
from .models import Notification, SmsMessage, SmsOptOut, SmsPurpose, SmsState, SmsStatus
from .quiet import quiet_until
from .services import sms_kind_enabled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    action: str  # "send", "hold", "skip"
    reason: str = ""
    sms_id: int | None = None
    hold_until: dt.datetime | None = None


def _skip(notification: Notification, reason: str) -> Decision:
    Notification.objects.filter(pk=notification.pk).update(
        sms_state=SmsState.SKIPPED, sms_reason=reason, sms_hold_until=None
    )
    metrics.SMS_SKIPPED.labels(reason).inc()
    return Decision("skip", reason)


def sms_opted_out(phone_number: str) -> bool:
    return SmsOptOut.objects.filter(phone_number=phone_number).exists()


def daily_count(user_id: int, now: dt.datetime) -> int:
    """Notification SMS of the user in the last 24 h that were (or may still be) sent."""
    return (
        SmsMessage.objects.filter(
            user_id=user_id, purpose=SmsPurpose.NOTIFICATION, created_at__gt=now - dt.timedelta(hours=24)
        )
        .exclude(status__in=[SmsStatus.FAILED])
        .count()
    )


@transaction.atomic
def sms_fallback_decide(*, notification_id: int, now: dt.datetime | None = None) -> Decision:
    """Decide, at send time, whether this notification goes out as SMS. Idempotent: a decided
    notification keeps its decision, and one with an SMS record returns that record."""
    now = now or timezone.now()
    notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
    if notification is None:
        return Decision("skip", "gone")
    existing = SmsMessage.objects.filter(key=f"notification:{notification.pk}").values_list("pk", flat=True).first()
    if existing is not None:
        return Decision("send", "already_recorded", sms_id=existing)
    if notification.sms_state == SmsState.SKIPPED:
        return Decision("skip", notification.sms_reason)
    if notification.read_at is not None:
        return _skip(notification, "read")
    if is_online(notification.recipient_id):
        return _skip(notification, "online")

    # The user's row is locked from here: the daily count and the new record are one step for
    # every task of this user (PostgreSQL; SQLite serialises write transactions anyway).
    user = User.objects.select_for_update().filter(pk=notification.recipient_id).first()
    if user is None or not user.is_active:
        return _skip(notification, "inactive")
    if not user.phone_verified:
        return _skip(notification, "no_verified_phone")
    if not user.sms_enabled:
        return _skip(notification, "sms_disabled")
    if not sms_kind_enabled(user_id=user.pk, kind=notification.kind):
        return _skip(notification, "kind_disabled")
    if sms_opted_out(user.phone_number):
        return _skip(notification, "opted_out")
    until = quiet_until(start=user.quiet_hours_start, end=user.quiet_hours_end, time_zone=user.time_zone, now=now)
    if until is not None:
        Notification.objects.filter(pk=notification.pk).update(
            sms_state=SmsState.HELD, sms_reason="quiet_hours", sms_hold_until=until
        )
        metrics.SMS_SKIPPED.labels("quiet_hours").inc()  # held: sent when the quiet hours end
        return Decision("hold", "quiet_hours", hold_until=until)
    limit = conf.get("SMS_DAILY_LIMIT")
    if daily_count(user.pk, now) >= limit:
        return _skip(notification, "daily_limit")
    sms = SmsMessage.objects.create(
        key=f"notification:{notification.pk}",
        purpose=SmsPurpose.NOTIFICATION,
        user=user,
        notification=notification,
        to=user.phone_number,
        body=tracked_sms_text(notification),  # the link is the tracked /n/<token> (links.py)
        created_at=now,
    )
    Notification.objects.filter(pk=notification.pk).update(sms_state=SmsState.SENT, sms_reason="", sms_hold_until=None)
    return Decision("send", sms_id=sms.pk)


def sms_verification_record(*, user: Any, verification_id: int, body: str) -> SmsMessage:
    """The SMS record of a verification code (not subject to the notification rules)."""
    return SmsMessage.objects.create(
        key=f"verification:{verification_id}",
        purpose=SmsPurpose.VERIFICATION,
        user=user,
        to=user.phone_number,
        body=body,
    )


def sms_deliver(*, sms_id: int) -> str:
    """Send one recorded SMS through the configured backend, at most once. Returns the row's
    status afterwards. Raises SmsTransientError (the row is queued again) for the caller to retry."""
    claimed = SmsMessage.objects.filter(pk=sms_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        status = SmsMessage.objects.filter(pk=sms_id).values_list("status", flat=True).first()
        return status or "missing"
    sms = SmsMessage.objects.get(pk=sms_id)
    backend = get_backend()
    try:
        result = backend.send(to=sms.to, body=sms.body)
    except SmsTransientError as exc:
        SmsMessage.objects.filter(pk=sms_id, status=SmsStatus.SENDING).update(
            status=SmsStatus.QUEUED, provider=backend.name, error_code=exc.code[:16], error_message=exc.message[:500]
        )
        metrics.SMS_FAILED.labels("transient").inc()
        raise
    except SmsPermanentError as exc:
        logger.warning("SMS %s refused by %s: %s %s", sms_id, backend.name, exc.code, exc.message)
        metrics.SMS_FAILED.labels("permanent").inc()
        SmsMessage.objects.filter(pk=sms_id).update(
            status=SmsStatus.FAILED, provider=backend.name, error_code=exc.code[:16], error_message=exc.message[:500]
        )
        return SmsStatus.FAILED
    SmsMessage.objects.filter(pk=sms_id).update(
        status=SmsStatus.SENT,
        provider=backend.name,
        provider_sid=result.sid,
        provider_status=result.status,
        error_code="",
        error_message="",
        sent_at=timezone.now(),
    )
    metrics.SMS_SENT.labels(sms.purpose).inc()
    return SmsStatus.SENT


def sms_give_up(*, sms_id: int, reason: str) -> None:
    """Retries exhausted: record the failure."""
    if SmsMessage.objects.filter(pk=sms_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.FAILED, error_message=reason[:500]
    ):
        metrics.SMS_FAILED.labels("gave_up").inc()


def sms_expire_stuck(*, now: dt.datetime | None = None) -> int:
    """Mark SMS left in `sending` longer than SMS_SENDING_TIMEOUT_SECONDS as `unknown`: their
    worker died between the claim and the provider's answer. The provider may have sent them, so
    they are not retried (at most once) and still count toward the daily limit."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=conf.get("SMS_SENDING_TIMEOUT_SECONDS"))
    stuck = SmsMessage.objects.filter(status=SmsStatus.SENDING, updated_at__lt=cutoff)
    count = stuck.update(
        status=SmsStatus.UNKNOWN,
        error_code="worker_lost",
        error_message=(
            "The worker stopped while handing this SMS to the provider; not retried, as it may have been sent."
        ),
        updated_at=now,
    )
    if count:
        logger.warning("%s SMS left in 'sending' marked 'unknown'", count)
    return count


# Twilio's statuses, in the order a message moves through them; a late callback never moves
# a record back (callbacks can arrive out of order).
_TWILIO_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
    "canceled": 4,
}
_OURS = {
    "sent": SmsStatus.SENT,
    "delivered": SmsStatus.DELIVERED,
    "undelivered": SmsStatus.UNDELIVERED,
    "failed": SmsStatus.FAILED,
    "read": SmsStatus.DELIVERED,
}


@transaction.atomic
def sms_status_update(*, sid: str, status: str, error_code: str = "", error_message: str = "") -> SmsMessage | None:
    """A provider status callback. Unknown SIDs are ignored (None); statuses only move forward."""
    sms = SmsMessage.objects.select_for_update().filter(provider_sid=sid).first()
    if sms is None:
        return None
    status = (status or "").strip().lower()
    if status not in _TWILIO_RANK:
        return sms
    if _TWILIO_RANK.get(sms.provider_status, 0) > _TWILIO_RANK[status]:
        return sms
    sms.provider_status = status
    fields = ["provider_status", "updated_at"]
    if status in _OURS:
        sms.status = _OURS[status]
        fields.append("status")
    if error_code:
        sms.error_code, sms.error_message = error_code[:16], (error_message or "")[:500]
        fields += ["error_code", "error_message"]
    sms.save(update_fields=fields)
    return sms


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP", "OPTIN"})


@transaction.atomic
def sms_inbound_receive(*, from_number: str, body: str) -> str:
    """An SMS reply. STOP (and Twilio's other opt-out words) opts the number out and turns SMS off
    for its users; START opts it back in and turns SMS on again for users who verified it.
    Returns "opt_out", "opt_in" or "ignored"."""
    word = (body or "").strip().upper()
    if not from_number:
        return "ignored"
    if word in STOP_WORDS:
        SmsOptOut.objects.get_or_create(phone_number=from_number)
        User.objects.filter(phone_number=from_number).update(sms_enabled=False)
        return "opt_out"
    if word in START_WORDS:
        SmsOptOut.objects.filter(phone_number=from_number).delete()
        User.objects.filter(phone_number=from_number, phone_verified_at__isnull=False).update(sms_enabled=True)
        return "opt_in"
    return "ignored"
