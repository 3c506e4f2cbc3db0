"""Writes of follows. The denormalised counters (`followers_count`, `following_count`) change here
only, with atomic `F()` updates in the same transaction as the row, so they stay exact under
parallel follows and unfollows."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from collective import events
from collective.errors import CollectiveCode
from collective.models import Follow, PointsAction, User
from collective.selectors.blocks import is_blocked
from collective.services.points import points_award
from core.errors import CoreCode, DomainError, NotFound
from core.events import announce

ID_MAX = 2**63 - 1  # bigint keys: a larger number names no row, and must not reach the database


def _user_id(value: Any, field: str) -> int:
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be a user id.", code=CoreCode.INVALID, field=field) from None


def valid_id(value: int) -> bool:
    return 1 <= value <= ID_MAX


def _bump_counts(*, follower_id: int, following_id: int, delta: int) -> None:
    # Rows are updated in ascending id order: two users following each other at the same time
    # then take their row locks in the same order and cannot deadlock.
    updates = {
        follower_id: {"following_count": F("following_count") + delta},
        following_id: {"followers_count": F("followers_count") + delta},
    }
    for user_id in sorted(updates):
        User.objects.filter(pk=user_id).update(**updates[user_id])


@transaction.atomic
def follow_create(*, follower: User, following: User | int) -> Follow:
    """`follower` follows `following` (any active user, agents included) and the followed user
    hears `follow.created`. Self-follow and duplicates are 400s, as the contract says."""
    following_id = _user_id(following, "following")
    if following_id == follower.pk:
        raise DomainError("You cannot follow yourself.", code=CollectiveCode.SELF_FOLLOW, field="following")
    target = User.objects.filter(pk=following_id, is_active=True).first() if valid_id(following_id) else None
    # A user who blocked the follower is indistinguishable from one that does not exist.
    if target is None or is_blocked(blocker_id=target.pk, blocked_id=follower.pk):
        raise DomainError("No such user.", code=CollectiveCode.USER_NOT_FOUND, field="following")
    if is_blocked(blocker_id=follower.pk, blocked_id=target.pk):
        raise DomainError(
            "You have blocked this user; unblock them first.", code=CollectiveCode.USER_BLOCKED, field="following"
        )
    if Follow.objects.filter(follower_id=follower.pk, following_id=target.pk).exists():
        raise DomainError("You already follow this user.", code=CollectiveCode.ALREADY_FOLLOWING, field="following")
    try:
        with transaction.atomic():  # the unique constraint settles a race between two requests
            follow = Follow.objects.create(follower=follower, following=target)
    except IntegrityError:
        raise DomainError(
            "You already follow this user.", code=CollectiveCode.ALREADY_FOLLOWING, field="following"
        ) from None
    _bump_counts(follower_id=follower.pk, following_id=target.pk, delta=1)
    # §8.2 "Get followed" +2, once per (followed, follower) ever: the ledger's unique key makes
    # a follow/unfollow/follow loop award nothing the second time. Daily-capped.
    points_award(user=target, action=PointsAction.GET_FOLLOWED, obj=follower, other=follower)
    announce(events.FollowCreated(follower_id=follower.pk, following_id=target.pk, follower=follower))
    return follow


def follow_remove_if_exists(*, follower_id: int, following_id: int) -> bool:
    """Delete the follow if present and fix both counters; True if a row was removed. The
    DELETE's row count decides, so of two parallel unfollows only one decrements."""
    deleted, _ = Follow.objects.filter(follower_id=follower_id, following_id=following_id).delete()
    if deleted:
        _bump_counts(follower_id=follower_id, following_id=following_id, delta=-1)
    return bool(deleted)


@transaction.atomic
def follow_delete(*, follower: User, following: User | int) -> None:
    """Unfollow. Not following is a 404 (there is nothing to delete). No event."""
    following_id = _user_id(following, "following")
    if not valid_id(following_id) or not follow_remove_if_exists(follower_id=follower.pk, following_id=following_id):
        raise NotFound("You do not follow this user.", code=CollectiveCode.NOT_FOLLOWING)
