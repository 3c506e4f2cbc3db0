"""Celery tasks of payments: thin interfaces over payments/services.py.

Queued on commit through the outbox (core/outbox.py), loaded by id, idempotent: processing applies
the provider's current state, so a duplicated or retried task writes nothing twice. A provider
that does not answer is retried with backoff on a worker; run eagerly (the embedded default), the
error is recorded on the event and a redelivery of the webhook (Stripe retries for three days)
processes it."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from payments import services
from payments.providers import PaymentTransientError

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


def _backoff(retries: int) -> int:
    return min(5 * 2**retries, 600)


def _eager(task: Any) -> bool:
    return bool(task.request.is_eager or task.app.conf.task_always_eager)


@shared_task(bind=True, name="payments.tasks.stripe_event_process", max_retries=MAX_RETRIES, acks_late=True)
def stripe_event_process(self: Any, event_row_id: int) -> str:
    try:
        return services.stripe_event_process(event_row_id=event_row_id)
    except PaymentTransientError as exc:
        services.stripe_event_failed(event_row_id=event_row_id, error=f"transient: {exc.code} {exc.message}")
        if _eager(self):
            logger.warning("payments: event row %s not processed (provider unavailable)", event_row_id)
            return "provider unavailable"
        raise self.retry(countdown=_backoff(self.request.retries or 0), exc=exc) from exc


@shared_task(bind=True, name="payments.tasks.payment_refund", max_retries=MAX_RETRIES, acks_late=True)
def payment_refund(self: Any, payment_id: int) -> str:
    try:
        payment = services.payment_refund(payment_id=payment_id)
    except PaymentTransientError as exc:
        if _eager(self):
            logger.warning("payments: refund of payment %s not made (provider unavailable)", payment_id)
            return "provider unavailable"
        raise self.retry(countdown=_backoff(self.request.retries or 0), exc=exc) from exc
    return payment.status
