"""Points: the one writer of `User.total_points` (`points_award`), the toasts, milestones,
giving streaks and unlocks (seed 001 §8.2, §8.3, §8.6, §8.9).

Lock order, to stay deadlock-free next to the other services: user rows (ascending id) first,
then event streams (ascending user id). A service that awards several users locks them all
first with `lock_users`, and opens a `toast_batch()` so the toasts are published together,
sorted by recipient, when the batch closes (still inside the transaction: they are durable
events, pushed after commit like every other).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Sum
from django.utils import timezone

from collective.errors import CollectiveCode
from collective.events import POINTS_AWARDED as POINTS_AWARDED  # re-exported: the toast's event type
from collective.events import PointsAwarded, PointsUnlocked
from collective.models import Offer, PointsAccount, PointsTransaction, User
from collective.models.points import (
    EARNING_ACTIONS,
    GIVING_ACTIONS,
    POINTS_RULES,
    REVERSALS,
    SELF_EARNED_ACTIONS,
    PointsAction,
)
from collective.models.users import AvatarFrame
from core.errors import Conflict, DomainError
from core.events import announce

MILESTONE = "milestone"
STREAK = "streak"
UNLOCK = "unlock"

# helped_count values that earn a milestone toast (§8.3 "You've helped 10 people! 🌟").
HELPED_MILESTONES: tuple[int, ...] = (1, 5, 10, 25, 50, 100, 250, 500, 1000)
# A giving streak toast from this many consecutive UTC days with a giving award (§8.3).
STREAK_MIN_DAYS = 3


@dataclass(frozen=True)
class Unlock:
    key: str
    kind: str  # "avatar_frame" | "feature" | "social"
    threshold: int
    label: str


# Seed 001 §8.9, as data. Thresholds are lifetime (earned) points.
UNLOCKS: tuple[Unlock, ...] = (
    Unlock("priority_discover", "feature", 50, "Priority placement in Discover"),
    Unlock(AvatarFrame.BRONZE, "avatar_frame", 100, "Bronze avatar frame"),
    Unlock("pin_featured_offers", "feature", 150, "Pin featured offers on your profile"),
    Unlock("top_helpers_featured", "social", 200, "Featured in Top Helpers"),
    Unlock(AvatarFrame.SILVER, "avatar_frame", 250, "Silver avatar frame"),
    Unlock("offer_analytics", "feature", 300, "Analytics on your offers"),
    Unlock("givers_circle", "social", 400, "Invitation to the Givers Circle"),
    Unlock(AvatarFrame.GOLD, "avatar_frame", 500, "Gold avatar frame"),
    Unlock("early_access", "feature", 500, "Early access to new features"),
    Unlock("host_events", "social", 600, "Host community events"),
    Unlock(AvatarFrame.DIAMOND, "avatar_frame", 1000, "Diamond avatar frame + animated effects"),
)
_FRAME_RANK = {f: i for i, f in enumerate(AvatarFrame.values)}


def unlocks_for(lifetime_points: int) -> dict[str, Any]:
    """What `lifetime_points` unlocks, and what comes next: the /me/ and storefront shape."""
    reached = [u for u in UNLOCKS if lifetime_points >= u.threshold]
    frames = [u.key for u in reached if u.kind == "avatar_frame"]
    upcoming = next((u for u in UNLOCKS if lifetime_points < u.threshold), None)
    return {
        "lifetime_points": lifetime_points,
        "avatar_frame": frames[-1] if frames else AvatarFrame.NONE,
        "features": [u.key for u in reached if u.kind == "feature"],
        "social": [u.key for u in reached if u.kind == "social"],
        "next": None
        if upcoming is None
        else {"key": upcoming.key, "kind": upcoming.kind, "label": upcoming.label, "threshold": upcoming.threshold},
    }


# --- toasts ------------------------------------------------------------------------------------

_batch: contextvars.ContextVar[list[tuple[int, Callable[[], Any]]] | None] = contextvars.ContextVar(
    "points_toast_batch", default=None
)


@contextlib.contextmanager
def toast_batch() -> Iterator[None]:
    """Collect the toasts of the block and publish them at its end, recipients in ascending id
    order (each recipient's own toasts in the order they happened). Nested batches join the
    outer one. Nothing is published if the block raises."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set([])
    try:
        yield
        pending = _batch.get() or []
    finally:
        _batch.reset(token)
    for _, (_user_id, send) in sorted(enumerate(pending), key=lambda item: (item[1][0], item[0])):
        send()


def defer_publish(user_id: int, send: Callable[[], Any]) -> None:
    """Run `send` (which publishes to `user_id` only) now, or at the end of the open
    `toast_batch`, in the batch's recipient order. For anything published to a user while
    points are awarded (toasts, the unlock notification), so that streams stay locked in
    ascending user order."""
    pending = _batch.get()
    if pending is None:
        send()
    else:
        pending.append((user_id, send))


def _toast(user_id: int, *, amount: int, action: str, reason: str, total_points: int) -> None:
    # Announced, not published: realtime's fan-out publishes `points.awarded` (realtime/subscribers.py).
    event = PointsAwarded(user_id=user_id, amount=amount, action=action, reason=reason, total_points=total_points)
    defer_publish(user_id, lambda: announce(event))


# --- the ledger --------------------------------------------------------------------------------


def lock_users(user_ids: Iterable[int]) -> dict[int, User]:
    """Lock the given user rows in ascending id order (the global lock order); returns them."""
    ids = sorted({int(u) for u in user_ids})
    return {u.pk: u for u in User.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def daily_cap(action: str) -> int | None:
    overrides: dict[str, int | None] = getattr(settings, "POINTS_DAILY_CAPS", {}) or {}
    if action in overrides:
        return overrides[action]
    return POINTS_RULES[action].daily_cap


def _utc_day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _object_id(action: str, obj: Model | None) -> int:
    rule = POINTS_RULES[action]
    if rule.object_model is None:
        if obj is not None:
            raise ValueError(f"{action} is once per user; it takes no object")
        return 0
    if obj is None or obj.pk is None:
        raise ValueError(f"{action} needs a saved {rule.object_model}")
    if obj._meta.label_lower != rule.object_model:
        raise ValueError(f"{action} is keyed by {rule.object_model}, not {obj._meta.label_lower}")
    return int(obj.pk)


def _reason(action: str, *, other: User | None, amount: int, context: dict[str, Any]) -> str:
    values = {"other": other.username if other is not None else "someone", "amount": abs(amount), "context": ""}
    values.update(context)
    return POINTS_RULES[action].reason.format(**values)[:300]


@transaction.atomic
def points_award(
    *,
    user: User | int,
    action: str,
    obj: Model | None = None,
    amount: int | None = None,
    other: User | None = None,
    context: dict[str, Any] | None = None,
) -> PointsTransaction | None:
    """Write one ledger row and move `total_points` by its amount; publish the toast.

    Idempotent per (user, action, object): a second call for the same key changes nothing and
    returns None (no second toast). Over the action's daily cap: no row, no toast, None.
    Amounts come from POINTS_RULES; only transfer actions take a caller's signed `amount`. A
    debit larger than the balance is a 409 `insufficient_points`. Locks the user row.
    """
    rule = POINTS_RULES.get(action)
    if rule is None:
        raise ValueError(f"unknown points action {action!r}")
    if rule.amount is None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise ValueError(f"{action} needs a non-zero integer amount")
    elif amount is not None and amount != rule.amount:
        raise ValueError(f"{action} is worth {rule.amount} points (seed 001 §8.2)")
    value = rule.amount if rule.amount is not None else cast(int, amount)  # an int: checked above
    object_id = _object_id(action, obj)
    user_id = int(user.pk if isinstance(user, User) else user)

    locked = lock_users([user_id]).get(user_id)
    if locked is None:
        return None
    if PointsTransaction.objects.filter(user_id=user_id, action=action, object_id=object_id).exists():
        return None
    now = timezone.now()
    cap = daily_cap(action)
    if cap is not None:
        today = PointsTransaction.objects.filter(user_id=user_id, action=action, created_at__gte=_utc_day_start(now))
        if today.count() >= cap:
            return None
    if locked.total_points + value < 0:
        raise Conflict(
            f"You have {locked.total_points} points; that needs {-value}.", code=CollectiveCode.INSUFFICIENT_POINTS
        )
    reason = _reason(action, other=other, amount=value, context=context or {})
    try:
        with transaction.atomic():  # the unique key is the last word on idempotency
            row = PointsTransaction.objects.create(
                user_id=user_id,
                action=action,
                amount=value,
                object_id=object_id,
                related_user=other,
                reason=reason,
                balance_after=locked.total_points + value,
            )
    except IntegrityError:
        if PointsTransaction.objects.filter(user_id=user_id, action=action, object_id=object_id).exists():
            return None
        raise
    User.objects.filter(pk=user_id).update(total_points=F("total_points") + value)
    total = locked.total_points + value
    if isinstance(user, User):
        user.total_points = total

    if value > 0:
        _toast(user_id, amount=value, action=action, reason=reason, total_points=total)
    if action in EARNING_ACTIONS:
        _after_earning(locked, action=action, value=value, total=total, today=now.date())
    return row


def _after_earning(user: User, *, action: str, value: int, total: int, today: dt.date) -> None:
    account, _ = PointsAccount.objects.get_or_create(user_id=user.pk)
    before = account.lifetime_points
    # A reversal (negative) takes back at most what was earned; never below zero.
    account.lifetime_points = max(0, before + value)
    # Unlocks fire only above the highest lifetime ever reached: after a reversal, earning the
    # same points again does not announce the same unlock twice.
    peak_before = max(account.lifetime_peak, before)
    account.lifetime_peak = max(peak_before, account.lifetime_points)
    fields = ["lifetime_points", "lifetime_peak", "updated_at"]
    streak: int | None = None
    if value > 0 and action in GIVING_ACTIONS and account.streak_last_day != today:
        yesterday = today - dt.timedelta(days=1)
        account.streak_days = account.streak_days + 1 if account.streak_last_day == yesterday else 1
        account.streak_last_day = today
        account.longest_streak_days = max(account.longest_streak_days, account.streak_days)
        fields += ["streak_days", "streak_last_day", "longest_streak_days"]
        if account.streak_days >= STREAK_MIN_DAYS:
            streak = account.streak_days
    account.save(update_fields=fields)
    if streak is not None:
        _toast(user.pk, amount=0, action=STREAK, reason=f"{streak} days of giving! 🔥", total_points=total)
    for unlock in UNLOCKS:
        if peak_before < unlock.threshold <= account.lifetime_points:
            _on_unlock(user, unlock, total_points=total)


def _on_unlock(user: User, unlock: Unlock, *, total_points: int | None = None) -> None:
    """A user crossed an unlock threshold. Sets the avatar frame (never lowered) and publishes
    the toast. Announces `PointsUnlocked` (notifications subscribes: the
    `notification.created` for the unlock)."""
    if unlock.kind == "avatar_frame" and _FRAME_RANK[unlock.key] > _FRAME_RANK.get(user.avatar_frame, 0):
        User.objects.filter(pk=user.pk).update(avatar_frame=unlock.key)
        user.avatar_frame = unlock.key
    if total_points is None:
        total_points = User.objects.values_list("total_points", flat=True).get(pk=user.pk)
    _toast(user.pk, amount=0, action=UNLOCK, reason=f"Unlocked: {unlock.label}! 🎁", total_points=total_points)
    # Deferred like the toast: subscribers publish to the user (the unlock notification).
    event = PointsUnlocked(
        user_id=user.pk, unlock_key=unlock.key, label=unlock.label, threshold=unlock.threshold, user=user
    )
    defer_publish(user.pk, lambda: announce(event))


def helped_milestone(*, user_id: int) -> None:
    """Called after `helped_count` grew by one: a milestone toast when it reached one of
    HELPED_MILESTONES. The caller holds the user's row lock."""
    helped, total = User.objects.values_list("helped_count", "total_points").get(pk=user_id)
    if helped in HELPED_MILESTONES:
        reason = "You've helped your first person! 🌟" if helped == 1 else f"You've helped {helped} people! 🌟"
        _toast(user_id, amount=0, action=MILESTONE, reason=reason, total_points=total)


@transaction.atomic
def onboarding_complete(*, user: User) -> PointsTransaction | None:
    """+25 once per user (§8.2 "Complete onboarding"). Repeating it changes nothing."""
    return points_award(user=user, action=PointsAction.COMPLETE_ONBOARDING)


def points_amount_validate(value: Any, *, field: str = "points") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DomainError(f"{field} must be a positive whole number.", code=CollectiveCode.INVALID_AMOUNT, field=field)
    if value > 2_147_483_647:
        raise DomainError(f"{field} is too large.", code=CollectiveCode.INVALID_AMOUNT, field=field)
    return value


# --- reversals -----------------------------------------------------------------------------------


def reversal_window() -> dt.timedelta:
    """How long after an award deleting its object takes the award back
    (`settings.POINTS_REVERSAL_WINDOW_DAYS`, 7 by default)."""
    return dt.timedelta(days=getattr(settings, "POINTS_REVERSAL_WINDOW_DAYS", 7))


def points_reverse(*, user: User | int, action: str, obj: Model | None = None) -> PointsTransaction | None:
    """Take back the award (user, action, obj) if it was made within `reversal_window()`: append
    its reversal row (negative, its own action, keyed like the award, so idempotent by the
    ledger's unique key) through `points_award`, which moves `total_points` and lifetime points.

    No toast: the user deleted the object themselves, and `points.awarded` announces gains.
    Points already spent (converted, gifted) are not clawed into a negative balance: the reversal
    takes what is left, at most the award. Returns None when there is nothing to take back.
    The caller's transaction; locks the user row."""
    reversal = REVERSALS[action]
    user_id = int(user.pk if isinstance(user, User) else user)
    locked = lock_users([user_id]).get(user_id)
    if locked is None:
        return None
    award = PointsTransaction.objects.filter(user_id=user_id, action=action, object_id=_object_id(action, obj)).first()
    if award is None or award.amount <= 0 or award.created_at < timezone.now() - reversal_window():
        return None
    amount = min(award.amount, locked.total_points)
    if amount <= 0:
        return None
    return points_award(user=user, action=reversal, obj=obj, amount=-amount, context={"days": reversal_window().days})


def offer_points_reverse(*, offer: Model) -> None:
    """An offer was just deleted (archived). Points it earned within the reversal window are taken
    back: its `add_offer` award, and the once-per-user `first_offer` bonus when no other offer of
    the owner that was ever published is left standing (the bonus is for having an offer out
    there). The bonus is keyed once per user, so once taken back it is not earned again: a
    create/delete/create loop nets nothing (docs/economy.md)."""
    user_id = offer.user_id  # type: ignore[attr-defined]
    lock_users([user_id])
    points_reverse(user=user_id, action=PointsAction.ADD_OFFER, obj=offer)
    others = Offer.objects.filter(user_id=user_id, is_archived=False, published_at__isnull=False).exclude(pk=offer.pk)
    if not others.exists():
        points_reverse(user=user_id, action=PointsAction.FIRST_OFFER)


def points_giftable(user_id: int) -> int:
    """How many of the user's points they may gift: what they hold, but not more than they got
    through other people (helping, being helped, rated, followed, welcomed, gifted) minus what
    they gifted on. Self-earned points (onboarding, their own offers) stay spendable by
    themselves but are not giftable, so throwaway accounts cannot farm points into another.
    Conversions are not counted against the pool (the balance already caps it). One query."""
    pool = (
        PointsTransaction.objects.filter(user_id=user_id)
        .exclude(action__in=SELF_EARNED_ACTIONS | {PointsAction.POINTS_CONVERSION})
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    balance = User.objects.values_list("total_points", flat=True).get(pk=user_id)
    return max(0, min(balance, pool))
