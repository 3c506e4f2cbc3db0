"""Reads of follows: who follows a user, whom a user follows (newest first, users loaded)."""

from __future__ import annotations

from django.db.models import QuerySet

from collective.models import Follow, User
from collective.selectors.blocks import hide_blockers_of
from collective.selectors.users import users_named


def user_get_by_username(*, username: str, viewer=None) -> User | None:
    """An active user by username; None also when that user blocked `viewer` (to the blocked user
    the blocker does not exist)."""
    return hide_blockers_of(users_named(username).filter(is_active=True), viewer, field="pk").first()


def followers_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(following_id=user.pk).select_related("follower").order_by("-created_at", "-pk")


def following_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(follower_id=user.pk).select_related("following").order_by("-created_at", "-pk")


def is_following(*, follower_id: int, following_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, following_id=following_id).exists()
