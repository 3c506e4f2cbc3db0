"""Reads of follows: who follows a user, whom a user follows (newest first, users loaded)."""

from __future__ import annotations

from django.db.models import QuerySet

from collective.models import Block, Follow, User


def user_get_by_username(*, username: str, viewer=None) -> User | None:
    """An active user by username; None also when that user blocked `viewer` (to the blocked user
    the blocker does not exist)."""
    qs = User.objects.filter(username=username, is_active=True)
    if viewer is not None and viewer.is_authenticated:
        qs = qs.exclude(pk__in=Block.objects.filter(blocked_id=viewer.pk).values("blocker_id"))
    return qs.first()


def followers_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(following_id=user.pk).select_related("follower").order_by("-created_at", "-pk")


def following_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(follower_id=user.pk).select_related("following").order_by("-created_at", "-pk")


def is_following(*, follower_id: int, following_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, following_id=following_id).exists()
