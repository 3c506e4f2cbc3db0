"""Writes of blocks. A block is one-directional: the blocked user can no longer follow, connect
with or message the blocker, and their existing follow of the blocker is removed. The blocked
user is never told: to them the blocker looks like a user who does not exist."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from collective.errors import CollectiveCode
from collective.models import Block, User
from collective.services.follows import follow_remove_if_exists, valid_id
from core.errors import CoreCode, DomainError, NotFound


def _user_id(value: Any, field: str) -> int:
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be a user id.", code=CoreCode.INVALID, field=field) from None


@transaction.atomic
def block_create(*, blocker: User, blocked: User | int) -> Block:
    """`blocker` blocks `blocked`. Removes the blocked user's follow of the blocker (counters
    adjusted); the blocker's own follow of them, connections and threads are left as they are."""
    blocked_id = _user_id(blocked, "user")
    if blocked_id == blocker.pk:
        raise DomainError("You cannot block yourself.", code=CollectiveCode.SELF_BLOCK, field="user")
    target = User.objects.filter(pk=blocked_id).first() if valid_id(blocked_id) else None
    if target is None:
        raise DomainError("No such user.", code=CollectiveCode.USER_NOT_FOUND, field="user")
    if Block.objects.filter(blocker_id=blocker.pk, blocked_id=target.pk).exists():
        raise DomainError("You have already blocked this user.", code=CollectiveCode.ALREADY_BLOCKED, field="user")
    try:
        with transaction.atomic():
            block = Block.objects.create(blocker=blocker, blocked=target)
    except IntegrityError:
        raise DomainError(
            "You have already blocked this user.", code=CollectiveCode.ALREADY_BLOCKED, field="user"
        ) from None
    follow_remove_if_exists(follower_id=target.pk, following_id=blocker.pk)
    return block


@transaction.atomic
def block_delete(*, blocker: User, blocked: User | int) -> None:
    """Unblock. Nothing removed by the block (a follow) comes back by itself."""
    blocked_id = _user_id(blocked, "user")
    if not valid_id(blocked_id):
        raise NotFound("You have not blocked this user.", code=CollectiveCode.NOT_BLOCKED)
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked_id).delete()
    if not deleted:
        raise NotFound("You have not blocked this user.", code=CollectiveCode.NOT_BLOCKED)
