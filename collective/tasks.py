"""Celery tasks of the collective: thin, idempotent interfaces to services, queued on commit."""

from __future__ import annotations

from celery import shared_task

from collective.services.reputation import reputation_decay_all, reputation_recompute


@shared_task(name="collective.tasks.reputation_recompute", acks_late=True, max_retries=3, default_retry_delay=10)
def reputation_recompute_task(user_id: int) -> int | None:
    """Rebuild one user's reputation (after a rating, a completion or a cancellation)."""
    rep = reputation_recompute(user_id=int(user_id))
    return None if rep is None else rep.score


@shared_task(name="collective.tasks.reputation_decay")
def reputation_decay_task() -> int:
    """Daily: lower the scores of users inactive past the grace period."""
    return reputation_decay_all()
