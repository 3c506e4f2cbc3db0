"""Reputation (seed 003's ideas, adapted): aggregates of the ratings a user received, their
completed and cancelled connections, a score, a tier, and decay for inactivity.

Recomputed from the connections (the source of truth) by `reputation_recompute`, which the
Celery task `collective.tasks.reputation_recompute_task` calls after a rating, a completion or a
cancellation commits (queued by `collective.subscribers`, which subscribes to the connection events);
`reputation_decay_all` (beat) lowers the scores of inactive users.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from collective.models import Connection, ConnectionStatus, ReputationTier, User, UserReputation

# Score weights: completed help counts, good ratings count more, bad ratings and cancellations
# cost more than the good ones earn (a trust score must be hard to launder).
W_COMPLETED = 10
W_POSITIVE = 20
W_NEUTRAL = 5
W_NEGATIVE = -30
W_CANCELLED = -10
# Decay: no loss during the grace period after the last activity, then the score halves every
# DECAY_HALF_LIFE_DAYS.
DECAY_GRACE_DAYS = 30
DECAY_HALF_LIFE_DAYS = 90
# (minimum score, tier), highest first. "new" until a user has both a completion and a rating.
TIERS: tuple[tuple[int, str], ...] = (
    (500, ReputationTier.EXEMPLARY),
    (200, ReputationTier.ESTABLISHED),
    (80, ReputationTier.TRUSTED),
    (0, ReputationTier.RISING),
)


def decay_factor(last_activity_at: dt.datetime | None, now: dt.datetime) -> float:
    if last_activity_at is None:
        return 1.0
    idle_days = (now - last_activity_at).total_seconds() / 86400 - DECAY_GRACE_DAYS
    return 1.0 if idle_days <= 0 else math.pow(0.5, idle_days / DECAY_HALF_LIFE_DAYS)


def tier_for(*, score: int, ratings_count: int, completed_count: int) -> str:
    if ratings_count == 0 or completed_count == 0:
        return ReputationTier.NEW
    return next(tier for minimum, tier in TIERS if score >= minimum)


def _apply_score(rep: UserReputation, now: dt.datetime) -> None:
    raw = (
        W_COMPLETED * rep.completed_count
        + W_POSITIVE * rep.positive_count
        + W_NEUTRAL * rep.neutral_count
        + W_NEGATIVE * rep.negative_count
        + W_CANCELLED * rep.cancelled_count
    )
    rep.raw_score = max(0, raw)
    rep.score = min(rep.raw_score, round(rep.raw_score * decay_factor(rep.last_activity_at, now)))
    rep.tier = tier_for(score=rep.score, ratings_count=rep.ratings_count, completed_count=rep.completed_count)


@transaction.atomic
def reputation_recompute(*, user_id: int) -> UserReputation | None:
    """Rebuild one user's reputation from their connections. Idempotent (a pure function of the
    data), so a task retry or a duplicate queue entry is harmless."""
    if not User.objects.filter(pk=user_id).exists():
        return None
    mine = Q(initiator_id=user_id) | Q(responder_id=user_id)
    completed = Connection.objects.filter(mine, status=ConnectionStatus.COMPLETED)
    # The rating a user RECEIVED is the one given by the other side: as initiator, the
    # responder's rating of them; as responder, the initiator's.
    received = [
        completed.filter(initiator_id=user_id, responder_rating__isnull=False).aggregate(
            n=Count("pk"),
            total=Sum("responder_rating"),
            pos=Count("pk", filter=Q(responder_rating__gte=4)),
            neu=Count("pk", filter=Q(responder_rating=3)),
            neg=Count("pk", filter=Q(responder_rating__lte=2)),
        ),
        completed.filter(responder_id=user_id, initiator_rating__isnull=False).aggregate(
            n=Count("pk"),
            total=Sum("initiator_rating"),
            pos=Count("pk", filter=Q(initiator_rating__gte=4)),
            neu=Count("pk", filter=Q(initiator_rating=3)),
            neg=Count("pk", filter=Q(initiator_rating__lte=2)),
        ),
    ]
    agg = completed.aggregate(n=Count("pk"), last=Max("updated_at"))
    rep, _ = UserReputation.objects.select_for_update().get_or_create(user_id=user_id)
    rep.ratings_count = sum(r["n"] for r in received)
    total = sum(r["total"] or 0 for r in received)
    rep.rating_average = (
        (Decimal(total) / Decimal(rep.ratings_count)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if rep.ratings_count
        else None
    )
    rep.positive_count = sum(r["pos"] for r in received)
    rep.neutral_count = sum(r["neu"] for r in received)
    rep.negative_count = sum(r["neg"] for r in received)
    rep.completed_count = agg["n"]
    # Only the initiator can cancel (see the connection state machine): these are the user's own.
    rep.cancelled_count = Connection.objects.filter(initiator_id=user_id, status=ConnectionStatus.CANCELLED).count()
    rep.last_activity_at = agg["last"]
    _apply_score(rep, timezone.now())
    rep.save()
    return rep


@transaction.atomic
def reputation_decay_all(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Re-apply the decay to every user idle past the grace period (beat, daily). Returns the
    number of rows whose score changed."""
    now = now or timezone.now()
    idle = UserReputation.objects.filter(
        raw_score__gt=0, last_activity_at__lt=now - dt.timedelta(days=DECAY_GRACE_DAYS)
    ).order_by("pk")
    changed: list[UserReputation] = []
    for rep in idle.iterator(chunk_size=batch_size):
        before = (rep.score, rep.tier)
        _apply_score(rep, now)
        if (rep.score, rep.tier) != before:
            changed.append(rep)
    UserReputation.objects.bulk_update(changed, ["score", "tier"], batch_size=batch_size)
    return len(changed)


def reputation_summary(rep: UserReputation | None) -> dict:
    """The public shape (/me/, storefront, people discovery)."""
    if rep is None:
        return {
            "score": 0,
            "tier": ReputationTier.NEW,
            "ratings_count": 0,
            "rating_average": None,
            "positive": 0,
            "neutral": 0,
            "negative": 0,
            "completed": 0,
            "cancelled": 0,
        }
    return {
        "score": rep.score,
        "tier": rep.tier,
        "ratings_count": rep.ratings_count,
        "rating_average": float(rep.rating_average) if rep.rating_average is not None else None,
        "positive": rep.positive_count,
        "neutral": rep.neutral_count,
        "negative": rep.negative_count,
        "completed": rep.completed_count,
        "cancelled": rep.cancelled_count,
    }
