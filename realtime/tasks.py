"""Periodic upkeep of the realtime layer (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from asgiref.sync import async_to_sync
from celery import shared_task
from django.conf import settings

from .models import Event


def events_prune_older_than(cutoff: datetime, *, batch: int = 5000) -> int:
    """Delete logged events created before `cutoff`, in batches (short locks). Returns the count."""
    total = 0
    while True:
        ids = list(Event.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return total
        total += Event.objects.filter(id__in=ids).delete()[0]


@shared_task(name="realtime.tasks.events_prune")
def events_prune() -> int:
    """Drop events past retention (>= 24 h). A client resuming from before the cut gets
    `resync_required`. Idempotent."""
    # Never below 24 h, whatever the setting says: the contract promises a day of resume.
    retention = max(settings.REALTIME["EVENT_RETENTION"], timedelta(hours=24))
    return events_prune_older_than(datetime.now(UTC) - retention)


@shared_task(name="realtime.tasks.presence_sweep")
def presence_sweep() -> list[int]:
    """Declare offline the users whose sockets all stopped refreshing (their process died).
    Every server process also sweeps while it holds sockets; this covers the rest."""
    # Imported here: the consumer module brings the socket machinery (Channels' consumer classes,
    # the layer watcher), which a worker needs only when this task runs.
    from .consumers import sweep_presence

    return async_to_sync(sweep_presence)()
