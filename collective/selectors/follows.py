"""Reads of follows: who follows a user, whom a user follows (newest first, users loaded)."""

from __future__ import annotations

from django.db.models import QuerySet

from collective.models import Follow, User


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def followers_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(following_id=user.pk).select_related("follower").order_by("-created_at", "-pk")


def following_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(follower_id=user.pk).select_related("following").order_by("-created_at", "-pk")


def is_following(*, follower_id: int, following_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, following_id=following_id).exists()
