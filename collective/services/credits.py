"""Credits: the one writer of `User.credit_balance` (`credits_apply`), conversion of points,
spending on features priced by `CreditCost` rows, refunds and bonuses (seed 001 §8.7, §8.11)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from collective.errors import CollectiveCode
from collective.models import CreditCost, CreditTransaction, CreditTransactionType, PeerBadgeType, PointsAction, User
from collective.models.credits import DEBIT_TYPES, DEFAULT_CREDIT_COSTS
from collective.models.rewards import PEER_BADGES
from collective.services.points import lock_users, points_amount_validate, points_award
from core.errors import Conflict, CoreCode, DomainError, NotFound

T = CreditTransactionType

# Seed 001 §8.7: 100 points = 10 credits, one way. Whole blocks of 100 points only, so no
# points are lost to rounding.
POINTS_PER_BLOCK = 100
CREDITS_PER_BLOCK = 10
CLIENT_ID_MAX = 64

# Credits that may be gifted on: those paid for and those got from other people, less those
# gifted on (docs/economy.md, "What can be gifted"). Not conversions of points (a way to spend
# one's own points), not platform bonuses. Usage is not counted against the pool and refunds
# are not added to it: the balance caps the pool, so spending draws on the credits that cannot
# be gifted first, and a refund gives back whatever the usage took.
GIFTABLE_CREDIT_TYPES: frozenset[str] = frozenset({T.PURCHASE, T.GIFT_RECEIVED, T.GIFT_SENT})


@transaction.atomic
def credits_apply(
    *,
    user: User | int,
    amount: int,
    transaction_type: str,
    description: str = "",
    related_user: User | None = None,
    related_transaction: CreditTransaction | None = None,
    points_converted: int | None = None,
    feature: str = "",
    client_id: str = "",
    stripe_payment_intent_id: str = "",
    metadata: dict[str, Any] | None = None,
) -> CreditTransaction:
    """Append one ledger row and move the balance by `amount` (signed; the sign must match the
    type). Locks the user row first, so parallel debits are serialised and none can overdraw:
    a debit beyond the balance is a 409 `insufficient_credits`. The database's check on the
    balance is the second line of defence."""
    if transaction_type not in T.values:
        raise ValueError(f"unknown credit transaction type {transaction_type!r}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValueError("amount must be a non-zero integer")
    if (transaction_type in DEBIT_TYPES) != (amount < 0):
        raise ValueError(f"{transaction_type} must be {'negative' if transaction_type in DEBIT_TYPES else 'positive'}")
    user_id = int(user.pk if isinstance(user, User) else user)
    locked = lock_users([user_id]).get(user_id)
    if locked is None:
        raise NotFound("No such user.", code=CollectiveCode.USER_NOT_FOUND)
    balance = locked.credit_balance + amount
    if balance < 0:
        raise Conflict(
            f"You have {locked.credit_balance} credits; that needs {-amount}.", code=CollectiveCode.INSUFFICIENT_CREDITS
        )
    row = CreditTransaction.objects.create(
        user_id=user_id,
        amount=amount,
        transaction_type=transaction_type,
        description=description[:255],
        related_user=related_user,
        related_transaction=related_transaction,
        points_converted=points_converted,
        feature=feature,
        client_id=client_id,
        stripe_payment_intent_id=stripe_payment_intent_id,
        metadata=metadata or {},
        balance_after=balance,
    )
    User.objects.filter(pk=user_id).update(credit_balance=F("credit_balance") + amount)
    if isinstance(user, User):
        user.credit_balance = balance
    return row


@transaction.atomic
def credits_convert_points(*, user: User, points: Any) -> CreditTransaction:
    """Convert points to credits: 100 points -> 10 credits, in whole blocks of 100, one way."""
    points = points_amount_validate(points)
    if points < POINTS_PER_BLOCK or points % POINTS_PER_BLOCK:
        raise DomainError(
            f"Convert at least {POINTS_PER_BLOCK} points, in multiples of {POINTS_PER_BLOCK}.",
            code=CollectiveCode.INVALID_CONVERSION,
            field="points",
        )
    locked = lock_users([user.pk])[user.pk]
    if locked.total_points < points:
        raise Conflict(f"You have {locked.total_points} points.", code=CollectiveCode.INSUFFICIENT_POINTS)
    credits = points // POINTS_PER_BLOCK * CREDITS_PER_BLOCK
    row = credits_apply(
        user=user,
        amount=credits,
        transaction_type=T.POINTS_CONVERSION,
        points_converted=points,
        description=f"Converted {points} points to {credits} credits",
    )
    points_award(user=user, action=PointsAction.POINTS_CONVERSION, obj=row, amount=-points, context={})
    return row


def credits_giftable(user_id: int) -> int:
    """How many of the user's credits they may gift: what they hold, but not more than they
    bought or got from other people minus what they gifted on. Credits converted from points
    (even giftable ones: gift the points instead) and bonuses stay spendable by the user but
    are not giftable, so throwaway accounts cannot farm points into another account through
    credits. Call it under the user's row lock (`lock_users`), as `gift_send` does."""
    pool = (
        CreditTransaction.objects.filter(user_id=user_id, transaction_type__in=GIFTABLE_CREDIT_TYPES).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    balance = User.objects.values_list("credit_balance", flat=True).get(pk=user_id)
    return max(0, min(balance, pool))


def _client_id(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or len(value) > CLIENT_ID_MAX:
        raise DomainError(
            f"client_id must be a string of at most {CLIENT_ID_MAX} characters.",
            code=CoreCode.INVALID,
            field="client_id",
        )
    return value


@transaction.atomic
def credits_spend(*, user: User, feature: Any, client_id: Any = None) -> tuple[CreditTransaction, bool]:
    """Debit the cost of `feature` (a CreditCost slug). With a `client_id`, a repeated request
    returns the first debit instead of charging twice. Returns (row, created)."""
    if not isinstance(feature, str) or not feature:
        raise DomainError("Name the feature to pay for.", code=CoreCode.REQUIRED, field="feature")
    client_id = _client_id(client_id)
    cost = CreditCost.objects.filter(slug=feature, is_active=True).first()
    if cost is None:
        raise DomainError(f"Unknown feature {feature[:50]!r}.", code=CollectiveCode.UNKNOWN_FEATURE, field="feature")
    lock_users([user.pk])  # the existence check below must see parallel spends of this user
    if client_id:
        earlier = CreditTransaction.objects.filter(user=user, client_id=client_id).first()
        if earlier is not None:
            if earlier.feature != feature:
                raise Conflict("This client_id was used for another spend.", code=CoreCode.CLIENT_ID_REUSED)
            return earlier, False
    try:
        with transaction.atomic():
            row = credits_apply(
                user=user,
                amount=-cost.cost,
                transaction_type=T.USAGE,
                feature=cost.slug,
                client_id=client_id,
                description=cost.name,
                metadata={"cost": cost.cost},
            )
    except IntegrityError:  # the same client_id in a parallel request (cannot happen under the lock)
        return CreditTransaction.objects.get(user=user, client_id=client_id), False
    return row, True


@transaction.atomic
def credits_refund(*, usage: CreditTransaction, description: str = "") -> CreditTransaction:
    """Give back a usage debit in full (a failed AI job). At most once per usage (a database
    constraint); a second refund is a 409."""
    if usage.transaction_type != T.USAGE:
        raise DomainError("Only a usage can be refunded.", code=CollectiveCode.NOT_REFUNDABLE)
    lock_users([usage.user_id])  # serialises two refunds of the same usage
    if CreditTransaction.objects.filter(related_transaction=usage, transaction_type=T.REFUND).exists():
        raise Conflict("This usage was already refunded.", code=CollectiveCode.ALREADY_REFUNDED)
    try:
        with transaction.atomic():
            return credits_apply(
                user=usage.user_id,
                amount=-usage.amount,
                transaction_type=T.REFUND,
                related_transaction=usage,
                feature=usage.feature,
                description=description or f"Refund: {usage.description}",
            )
    except IntegrityError:
        raise Conflict("This usage was already refunded.", code=CollectiveCode.ALREADY_REFUNDED) from None


@transaction.atomic
def credits_bonus(*, user: User, amount: int, description: str) -> CreditTransaction:
    """A platform bonus or promotion (staff / admin)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(
            "A bonus is a positive whole number of credits.", code=CollectiveCode.INVALID_AMOUNT, field="amount"
        )
    return credits_apply(user=user, amount=amount, transaction_type=T.BONUS, description=description)


@transaction.atomic
def economy_reference_load() -> tuple[int, int]:
    """Create the default credit costs (§8.7) and peer badge types (§8.11) that are missing;
    configured rows are left alone. The data migration does the same on `migrate`; tests (run
    without migrations) call this. Returns (costs created, badge types created)."""
    costs = sum(
        CreditCost.objects.get_or_create(slug=c["slug"], defaults={"name": c["name"], "cost": c["cost"]})[1]
        for c in DEFAULT_CREDIT_COSTS
    )
    badges = sum(
        PeerBadgeType.objects.get_or_create(slug=b["slug"], defaults={k: v for k, v in b.items() if k != "slug"})[1]
        for b in PEER_BADGES
    )
    return costs, badges
