"""The transactional outbox: Celery work queued on commit that a broker outage cannot lose.

`enqueue_on_commit(task, args=..., kwargs=..., countdown=...)` is the one way code queues a task
when a change commits (../shared/architecture.md, convention 7):

- embedded default (`CELERY_TASK_ALWAYS_EAGER`): no row; the task runs on commit, in-process, as
  `transaction.on_commit(task.apply_async)` did before;
- with a broker: an `OutboxTask` row is inserted in the caller's transaction (a rollback queues
  nothing), and on commit it is published once, without kombu's retry loop and with a short connect
  timeout, so a broker outage costs the request a failed connect (~ms when refused, at most
  `CELERY_BROKER_CONNECTION_TIMEOUT` when unreachable) and one WARNING line. The message carries
  the row's id in its headers.
- a worker deletes the row when the task has succeeded (a task that retries or fails keeps it).
  Until then `core.tasks.outbox_flush` (beat) publishes the row again when the broker never got
  it, lost it in a restart, or never ran it (docs/background.md).

Delivered once: a message whose row is already gone (its work was done; a duplicate from a
restored message or a re-publish) is skipped by `OutboxAwareTask` (core/task.py). Two copies that
run at the same time are possible in rare races; the tasks are idempotent for that.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from celery import current_app, signals
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxTask

logger = logging.getLogger(__name__)

HEADER = "outbox_id"


def enqueue_on_commit(
    task: Any,
    *,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    countdown: float = 0,
    eta: dt.datetime | None = None,
    using: str | None = None,
) -> OutboxTask | None:
    """Queue `task` to run once the current transaction commits (at once outside a transaction).
    JSON-serialisable arguments only. Returns the outbox row (None on the embedded default)."""
    args = list(args)
    kwargs = dict(kwargs or {})
    if task.app.conf.task_always_eager:
        # No broker to lose it: run in-process on commit, as before the outbox. robust: an error in
        # the task is logged, never turned into an error for the committed request.
        transaction.on_commit(
            lambda: task.apply_async(args=args, kwargs=kwargs, countdown=countdown or None, eta=eta),
            using=using,
            robust=True,
        )
        return None
    now = timezone.now()
    not_before = eta if eta is not None else now + dt.timedelta(seconds=countdown or 0)
    row = OutboxTask.objects.using(using).create(
        task=task.name, args=args, kwargs=kwargs, not_before=not_before, created_at=now
    )
    transaction.on_commit(lambda: publish(row, using=using), using=using, robust=True)
    return row


def enqueue(
    task: Any,
    *,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    countdown: float = 0,
    eta: dt.datetime | None = None,
) -> OutboxTask | None:
    """Queue `task` from code that runs on its own, not inside a caller's change (a beat sweep, a
    task re-queueing itself). With a broker this is `enqueue_on_commit` (in autocommit: at once);
    on the embedded default the task runs now, there being no change to wait for."""
    if task.app.conf.task_always_eager:
        task.apply_async(args=list(args), kwargs=dict(kwargs or {}), countdown=countdown or None, eta=eta)
        return None
    return enqueue_on_commit(task, args=args, kwargs=kwargs, countdown=countdown, eta=eta)


def publish(row: OutboxTask, *, using: str | None = None) -> bool:
    """Hand one outbox row to the broker, once. True when the broker took it (and the row says so).
    A failure is one WARNING line; the row stays for the flush."""
    eta = row.not_before if row.not_before > timezone.now() else None
    try:
        # send_task by name: the flush may run where the task's module was never imported.
        # The project's Celery app (config/celery.py) is the current one in every process that loads
        # the settings; core does not import config.
        current_app.send_task(
            row.task,
            args=row.args,
            kwargs=row.kwargs,
            eta=eta,
            headers={HEADER: row.pk},
            # One attempt: kombu's default retry policy (3 retries, ~1 s apart, each after a
            # connect timeout) held the request that committed for seconds during an outage.
            retry=False,
        )
    except Exception as exc:  # the broker is away (kombu OperationalError, redis ConnectionError, ...)
        logger.warning(
            "outbox: task %s #%s not published (%s: %s); the flush will retry",
            row.task,
            row.pk,
            type(exc).__name__,
            exc,
        )
        return False
    now = timezone.now()
    OutboxTask.objects.using(using).filter(pk=row.pk).update(enqueued_at=now, attempts=F("attempts") + 1)
    row.enqueued_at = now
    row.attempts += 1
    return True


def outbox_id_of(request: Any) -> int | None:
    """The outbox row id a task's message carries, if any."""
    headers = getattr(request, "headers", None) or {}
    value = headers.get(HEADER) if isinstance(headers, dict) else None
    if value is None:
        value = getattr(request, HEADER, None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@signals.task_postrun.connect(dispatch_uid="core.outbox.done")
def _task_done(sender: Any = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    """The task has succeeded: its outbox row is done with. A retry (state RETRY) keeps the row
    (the retry's message may be lost like any other; it carries the same header), and so does a
    failure (a database or Redis blip in the worker): the flush runs it again, REDELIVER later,
    until MAX_ATTEMPTS publishes."""
    if task is None or state != "SUCCESS":
        return
    outbox_id = outbox_id_of(task.request)
    if outbox_id is None:
        return
    try:
        OutboxTask.objects.filter(pk=outbox_id).delete()
    except DatabaseError:
        # The row stays; the flush publishes it again later and the task, idempotent, runs again.
        logger.warning("outbox: could not delete done row #%s", outbox_id, exc_info=True)
