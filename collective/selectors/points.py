"""Reads of the generosity economy: leaderboards, the caller's ledgers, and the economy parts
of a profile (unlocks, reputation, endorsements, peer badges). Each is a constant number of
indexed queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from collective.models import (
    CreditCost,
    CreditTransaction,
    Endorsement,
    PeerBadgeAward,
    PointsAccount,
    PointsAction,
    PointsTransaction,
    User,
    UserReputation,
)
from collective.models.points import GIVING_ACTIONS
from collective.services.points import unlocks_for
from collective.services.reputation import reputation_summary

LEADERBOARD_WEEK = dt.timedelta(days=7)
STOREFRONT_MAX_ENDORSEMENTS = 20


def leaderboard_week(*, now: dt.datetime | None = None) -> QuerySet:
    """ "Top Helpers This Week": points from giving actions (§8.2 GIVING: responding to asks,
    completing help, helpful ratings, …) in the rolling 7 days before `now`, per active user;
    rows are dicts {user, points, helped}. Uses the (action, created_at) index."""
    since = (now or timezone.now()) - LEADERBOARD_WEEK
    return (
        PointsTransaction.objects.filter(action__in=GIVING_ACTIONS, created_at__gt=since, user__is_active=True)
        .values("user")
        .annotate(points=Sum("amount"), helped=Count("pk", filter=Q(action=PointsAction.COMPLETE_HELP)))
        .order_by("-points", "user")
    )


def leaderboard_all() -> QuerySet[PointsAccount]:
    """All time: lifetime (earned) points, so converting or gifting points costs no rank."""
    return (
        PointsAccount.objects.filter(lifetime_points__gt=0, user__is_active=True)
        .select_related("user")
        .order_by("-lifetime_points", "user_id")
    )


def users_by_id(ids: list[int]) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids)}


def points_transactions_of(*, user: User) -> QuerySet[PointsTransaction]:
    return PointsTransaction.objects.filter(user=user).select_related("related_user").order_by("-created_at", "-pk")


def credit_transactions_of(*, user: User) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(user=user).select_related("related_user").order_by("-created_at", "-pk")


def credit_costs() -> QuerySet[CreditCost]:
    return CreditCost.objects.filter(is_active=True).order_by("cost", "slug")


def lifetime_points_of(user_id: int) -> int:
    return PointsAccount.objects.filter(user_id=user_id).values_list("lifetime_points", flat=True).first() or 0


def economy_of(*, user: User) -> dict[str, Any]:
    """Unlocks and reputation of one user (/me/, storefront): one query."""
    row = User.objects.select_related("points_account", "reputation").filter(pk=user.pk).first()
    account: PointsAccount | None = getattr(row, "points_account", None) if row is not None else None
    reputation: UserReputation | None = getattr(row, "reputation", None) if row is not None else None
    return {
        "unlocks": unlocks_for(account.lifetime_points if account is not None else 0),
        "reputation": reputation_summary(reputation),
    }


def endorsements_shown(*, user: User) -> QuerySet[Endorsement]:
    """What a storefront shows: approved, not flagged, featured first, newest first."""
    return (
        Endorsement.objects.filter(endorsee=user, is_approved=True, is_flagged=False, endorser__is_active=True)
        .select_related("endorser")
        .order_by("-is_featured", "-created_at", "-pk")
    )


def badge_counts(*, user: User) -> list[dict[str, Any]]:
    """Peer badges received, counted by type, most received first."""
    rows = (
        PeerBadgeAward.objects.filter(recipient=user)
        .values("badge_type__slug", "badge_type__name", "badge_type__icon", "badge_type__category")
        .annotate(count=Count("pk"))
        .order_by("-count", "badge_type__slug")
    )
    return [
        {
            "slug": r["badge_type__slug"],
            "name": r["badge_type__name"],
            "icon": r["badge_type__icon"],
            "category": r["badge_type__category"],
            "count": r["count"],
        }
        for r in rows
    ]


def storefront_economy(*, user: User) -> dict[str, Any]:
    """The economy part of a storefront: endorsements, peer badges, reputation, unlocks."""
    return {
        "endorsements": list(endorsements_shown(user=user)[:STOREFRONT_MAX_ENDORSEMENTS]),
        "peer_badges": badge_counts(user=user),
        **economy_of(user=user),
    }
