"""Celery tasks of core: the outbox flush (core/outbox.py), run by beat every OUTBOX_FLUSH_SECONDS."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxTask
from core.outbox import publish

logger = logging.getLogger(__name__)

# A row published up to this long after the broker's restart is counted as published before it:
# the restart time is derived from the broker's uptime and our clock. Err towards a re-publish (a
# duplicate is skipped or harmless) rather than towards losing a message.
RESTART_SKEW = dt.timedelta(seconds=2)


def _conf(name: str) -> Any:
    return settings.OUTBOX[name]


def broker_started_at(now: dt.datetime) -> dt.datetime | None:
    """When the Redis broker last started (None: not Redis, or unreachable). A Redis that restarts
    keeps nothing (docs/deployment.md): every message published to it before is gone."""
    app = current_app  # the project's app (config/celery.py); core does not import config
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    timeout = float(app.conf.broker_connection_timeout or 1)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            uptime = int(client.info("server")["uptime_in_seconds"])
        finally:
            client.close()
    except (redis.RedisError, OSError, KeyError, ValueError):
        return None
    return now - dt.timedelta(seconds=uptime)


def due_rows(now: dt.datetime) -> Q:
    """Rows the flush publishes (again):
    - never published, and the on-commit publish had its chance (created GRACE ago);
    - published to a broker that has restarted since (the message is gone; found by its uptime);
    - published, due (not_before) and still not run REDELIVER later (lost some other way)."""
    grace = now - dt.timedelta(seconds=_conf("GRACE_SECONDS"))
    redeliver = now - dt.timedelta(seconds=_conf("REDELIVER_SECONDS"))
    due = Q(enqueued_at__isnull=True, created_at__lte=grace)
    due |= Q(enqueued_at__lte=redeliver, not_before__lte=redeliver)
    started = broker_started_at(now)
    if started is not None:
        due |= Q(enqueued_at__lte=started + RESTART_SKEW, created_at__lte=grace)
    return due


@shared_task(name="core.tasks.outbox_flush")
def outbox_flush() -> dict[str, int]:
    """Publish due outbox rows; give up (ERROR, delete) on rows published too often or too old.
    Bounded per run (OUTBOX_BATCH). Two flushers never take the same row (SKIP LOCKED)."""
    now = timezone.now()
    too_old = now - dt.timedelta(seconds=_conf("MAX_AGE_SECONDS"))
    given_up = 0
    for row in OutboxTask.objects.filter(Q(attempts__gte=_conf("MAX_ATTEMPTS")) | Q(created_at__lt=too_old))[:500]:
        logger.error(
            "outbox: giving up on %s(args=%s, kwargs=%s) #%s: %s publishes, created %s",
            row.task,
            row.args,
            row.kwargs,
            row.pk,
            row.attempts,
            row.created_at.isoformat(),
        )
        OutboxTask.objects.filter(pk=row.pk).delete()
        given_up += 1

    published = failed = 0
    lock: dict[str, Any] = {"skip_locked": True} if connection.features.has_select_for_update_skip_locked else {}
    with transaction.atomic():
        rows = list(
            OutboxTask.objects.select_for_update(**lock).filter(due_rows(now)).order_by("created_at")[: _conf("BATCH")]
        )
        for row in rows:
            if publish(row):
                published += 1
            else:
                # The broker is away again: the rest would fail the same way; next run.
                failed = len(rows) - published
                break
    if published or failed or given_up:
        logger.info("outbox: %s published, %s not published, %s given up", published, failed, given_up)
    return {"published": published, "failed": failed, "given_up": given_up}
