"""The transactional outbox (core/outbox.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    """A Celery task queued on commit, recorded in the same transaction as the change that queued
    it, and deleted once a worker has run it. Until then the outbox flush (core/tasks.py)
    publishes it again if the broker never got it or lost it."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    # When the task may run (countdown / ETA); the message carries it as its ETA.
    not_before = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # Last time a publish to the broker succeeded; null: the broker never got it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Successful publishes so far (the first one included).
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="core_outbox_created_idx")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} #{self.pk}"
