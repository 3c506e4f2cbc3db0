"""Celery tasks of the notifications app: thin interfaces over notifications/delivery.py.

Their names are still `messaging.tasks.*` (where they were first defined): queued messages, outbox
rows and the beat schedule name them so, and a name is what a worker looks a task up by.

Queued only on commit (through the outbox, core/outbox.py), loaded by id, idempotent: a retried or
duplicated task never sends a second SMS (the SMS record's unique key and its queued -> sending claim see to it)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from core.models import OutboxTask
from core.outbox import enqueue
from notifications import conf
from notifications.delivery import sms_deliver, sms_expire_stuck, sms_fallback_decide, sms_give_up
from notifications.models import Notification, SmsState
from notifications.sms import SmsTransientError

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    return min(conf.get("SMS_RETRY_BACKOFF_SECONDS") * 2**retries, conf.get("SMS_RETRY_BACKOFF_MAX_SECONDS"))


def _eager(task: Any) -> bool:
    return bool(task.request.is_eager or task.app.conf.task_always_eager)


def _deliver(task: Any, sms_id: int) -> str:
    """Deliver with retries: on a worker, `task.retry` with exponential backoff; run eagerly
    (the embedded default, no worker), the same number of attempts inline, without waiting."""
    limit = conf.get("SMS_MAX_RETRIES")
    retries = task.request.retries or 0
    while True:
        try:
            return sms_deliver(sms_id=sms_id)
        except SmsTransientError as exc:
            if retries >= limit:
                sms_give_up(sms_id=sms_id, reason=f"gave up after {retries + 1} attempts: {exc.message}")
                return "failed"
            logger.info("SMS %s: transient error %s, retry %s", sms_id, exc.code, retries + 1)
            if not _eager(task):
                raise task.retry(countdown=_backoff(retries), exc=exc) from exc
            retries += 1


@shared_task(bind=True, name="messaging.tasks.notification_sms", max_retries=None, acks_late=True)
def notification_sms(self: Any, notification_id: int) -> dict[str, Any]:
    """The SMS fallback of one notification (rules: notifications/delivery.py)."""
    decision = sms_fallback_decide(notification_id=notification_id)
    if decision.action == "hold":
        if _eager(self):
            # No worker to hold a delayed task: the beat sweep (sms_release_held) picks it up.
            logger.info("SMS for notification %s held until %s", notification_id, decision.hold_until)
        else:
            # Through the outbox: an ETA message lives in the worker and the broker only, and a
            # broker restart loses it (sms_release_held would catch it too, a minute late).
            enqueue(notification_sms, args=[notification_id], eta=decision.hold_until)
        return {"action": "hold", "until": decision.hold_until.isoformat() if decision.hold_until else None}
    if decision.action != "send" or decision.sms_id is None:
        return {"action": "skip", "reason": decision.reason}
    return {"action": "send", "sms": decision.sms_id, "status": _deliver(self, decision.sms_id)}


@shared_task(bind=True, name="messaging.tasks.sms_send", max_retries=None, acks_late=True)
def sms_send(self: Any, sms_id: int) -> str:
    """Deliver one recorded SMS (verification codes)."""
    return _deliver(self, sms_id)


@shared_task(name="messaging.tasks.sms_release_held")
def sms_release_held() -> int:
    """Re-queue SMS held for quiet hours whose hold has ended (covers holds queued before the
    outbox, and the embedded default, where no worker holds them). Duplicates are harmless, but a
    hold that still has its outbox row is left to it: while the broker is away this sweep would
    otherwise add a row per held SMS every minute, all published together when it is back."""
    due = list(
        Notification.objects.filter(sms_state=SmsState.HELD, sms_hold_until__lte=timezone.now()).values_list(
            "pk", flat=True
        )[:500]
    )
    if not due:
        return 0
    pending = {
        args[0]
        for args in OutboxTask.objects.filter(task=notification_sms.name).values_list("args", flat=True)
        if isinstance(args, list) and args
    }
    queued = 0
    for notification_id in due:
        if notification_id not in pending:
            enqueue(notification_sms, args=[notification_id])
            queued += 1
    return queued


@shared_task(name="messaging.tasks.sms_expire_stuck")
def sms_expire_stuck_task() -> int:
    """Mark SMS whose worker died mid-send as `unknown` (notifications/delivery.py)."""
    return sms_expire_stuck()
