"""Reads about blocks. Messaging and the collective services ask these before letting two users
interact; the answers never leave the server (a blocked user is told "not found", not "blocked")."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from collective.models import Block


def is_blocked(*, blocker_id: int, blocked_id: int) -> bool:
    """True if `blocker_id` has blocked `blocked_id` (one direction only)."""
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def blocked_between(a_id: int, b_id: int) -> bool:
    """True if either user has blocked the other."""
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def blocks_made_by(*, user) -> QuerySet[Block]:
    """The caller's own blocks, newest first, with the blocked user loaded."""
    return Block.objects.filter(blocker_id=user.pk).select_related("blocked").order_by("-created_at", "-pk")


def hide_blockers_of(qs: QuerySet, viewer: Any, field: str = "user_id") -> QuerySet:
    """`qs` without the rows whose `field` is a user who blocked `viewer`: to a blocked user the
    blocker does not exist (docs/connections.md). One subquery, no extra query; anonymous
    viewers see everything."""
    if viewer is None or not viewer.is_authenticated:
        return qs
    return qs.exclude(**{f"{field}__in": Block.objects.filter(blocked_id=viewer.pk).values("blocker_id")})
