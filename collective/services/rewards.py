"""Peer rewards (seed 001 §8.8): gifts of points and credits, endorsements, peer badges.

Announcements: a gift of points reaches the recipient live as a `points.awarded` toast (the
contract's event for points). Gifts of credits, endorsements and badges have no event type of
their own in the contract: they are announced through `_announce`, which today does nothing
and which the notifications helper extends to create a `notification.created` notification.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from collective.errors import CollectiveCode
from collective.models import (
    Connection,
    CreditGift,
    CreditTransactionType,
    Endorsement,
    PeerBadgeAward,
    PeerBadgeType,
    PointGift,
    PointsAction,
    User,
)
from collective.models.rewards import ENDORSEMENT_MAX_LENGTH, MESSAGE_MAX_LENGTH
from collective.selectors.blocks import is_blocked
from collective.selectors.users import users_named
from collective.services.credits import credits_apply, credits_giftable
from collective.services.points import (
    lock_users,
    points_amount_validate,
    points_award,
    points_giftable,
    toast_batch,
)
from core.errors import Conflict, CoreCode, DomainError, Forbidden, NotFound

ID_MAX = 2**63 - 1


def _announce(recipient_id: int, kind: str, obj: Model) -> None:
    """Tell `recipient_id` about a credit gift, an endorsement or a badge. Extended by the
    notifications helper (kinds: "credit_gift", "endorsement", "peer_badge")."""


def _as_id(value: Any, field: str) -> int:
    try:
        result = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise DomainError(f"{field} must be an id.", code=CoreCode.INVALID, field=field) from None
    if isinstance(value, bool) or not 1 <= result <= ID_MAX:
        raise DomainError(f"{field} must be an id.", code=CoreCode.INVALID, field=field)
    return result


def _recipient(actor: User, to: Any, field: str) -> User:
    """An active other user who has not blocked `actor` (a blocker looks like nobody)."""
    if to is None or to == "":
        raise DomainError("Say who it is for.", code=CoreCode.REQUIRED, field=field)
    if isinstance(to, str) and not to.isdigit():
        user = users_named(to).filter(is_active=True).first()
    else:
        user = User.objects.filter(pk=_as_id(to, field), is_active=True).first()
    if user is None or is_blocked(blocker_id=user.pk, blocked_id=actor.pk):
        raise DomainError("No such user.", code=CollectiveCode.USER_NOT_FOUND, field=field)
    if user.pk == actor.pk:
        raise DomainError("Not to yourself.", code=CollectiveCode.SELF_REWARD, field=field)
    if is_blocked(blocker_id=actor.pk, blocked_id=user.pk):
        raise DomainError(
            "You have blocked this user; unblock them first.", code=CollectiveCode.USER_BLOCKED, field=field
        )
    return user


def _connection(actor: User, recipient: User, connection: Any) -> Connection | None:
    """The optional context: a connection between exactly these two users (else 404-like 400)."""
    if connection in (None, ""):
        return None
    conn = Connection.objects.filter(pk=_as_id(connection, "connection")).first()
    if conn is None or {conn.initiator_id, conn.responder_id} != {actor.pk, recipient.pk}:
        raise DomainError(
            "No such connection between you and this user.",
            code=CollectiveCode.CONNECTION_NOT_FOUND,
            field="connection",
        )
    return conn


def _message(value: Any, *, max_length: int, field: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"{field} must be text.", code=CoreCode.INVALID, field=field)
    value = value.strip()
    if required and not value:
        raise DomainError(f"Write the {field}.", code=CoreCode.REQUIRED, field=field)
    if len(value) > max_length:
        raise DomainError(f"{field} can be at most {max_length} characters.", code=CoreCode.MAX_LENGTH, field=field)
    return value


# --- gifts ---------------------------------------------------------------------------------------


@transaction.atomic
def gift_send(
    *, sender: User, to: Any, points: Any = None, credits: Any = None, message: Any = "", connection: Any = None
) -> PointGift | CreditGift:
    """Gift points or credits (exactly one of them) to another user: not to yourself, not more
    than you have nor more than may be gifted (`points_giftable`, `credits_giftable`), a
    positive amount; optionally with a message and a connection of the two."""
    if (points is None) == (credits is None):
        raise DomainError("Gift either points or credits.", code=CollectiveCode.POINTS_OR_CREDITS, field="points")
    recipient = _recipient(sender, to, "to")
    text = _message(message, max_length=MESSAGE_MAX_LENGTH, field="message")
    conn = _connection(sender, recipient, connection)
    with toast_batch():
        locked = lock_users([sender.pk, recipient.pk])
        if points is not None:
            amount = points_amount_validate(points, field="points")
            if locked[sender.pk].total_points < amount:
                raise Conflict(
                    f"You have {locked[sender.pk].total_points} points to give.",
                    code=CollectiveCode.INSUFFICIENT_POINTS,
                )
            # Under the sender's row lock, so parallel gifts cannot both spend the same pool.
            giftable = points_giftable(sender.pk)
            if giftable < amount:
                raise Conflict(
                    f"You can gift {giftable} of your points: only points you got through other people "
                    "can be gifted; points for onboarding and your own offers are yours to spend.",
                    code=CollectiveCode.POINTS_NOT_GIFTABLE,
                )
            gift = PointGift.objects.create(
                sender=sender, recipient=recipient, amount=amount, message=text, connection=conn
            )
            points_award(user=sender, action=PointsAction.GIFT_SENT, obj=gift, amount=-amount, other=recipient)
            points_award(
                user=recipient,
                action=PointsAction.GIFT_RECEIVED,
                obj=gift,
                amount=amount,
                other=sender,
                context={"message": f": “{text}”" if text else ""},
            )
            User.objects.filter(pk=sender.pk).update(points_gifted_total=F("points_gifted_total") + amount)
            return gift
        amount = points_amount_validate(credits, field="credits")
        if locked[sender.pk].credit_balance < amount:
            raise Conflict(
                f"You have {locked[sender.pk].credit_balance} credits to give.",
                code=CollectiveCode.INSUFFICIENT_CREDITS,
            )
        # Under the sender's row lock, as for points: parallel gifts cannot spend the pool twice.
        giftable = credits_giftable(sender.pk)
        if giftable < amount:
            raise Conflict(
                f"You can gift {giftable} of your credits: only credits you bought or got from other people "
                "can be gifted; credits converted from points and bonuses are yours to spend.",
                code=CollectiveCode.CREDITS_NOT_GIFTABLE,
            )
        credit_gift = CreditGift.objects.create(
            sender=sender, recipient=recipient, amount=amount, message=text, connection=conn
        )
        meta = {"credit_gift": credit_gift.pk}
        credits_apply(
            user=sender,
            amount=-amount,
            transaction_type=CreditTransactionType.GIFT_SENT,
            related_user=recipient,
            description=f"Gift to @{recipient.username}",
            metadata=meta,
        )
        credits_apply(
            user=recipient,
            amount=amount,
            transaction_type=CreditTransactionType.GIFT_RECEIVED,
            related_user=sender,
            description=f"Gift from @{sender.username}",
            metadata=meta,
        )
        User.objects.filter(pk=sender.pk).update(credits_gifted_total=F("credits_gifted_total") + amount)
        _announce(recipient.pk, "credit_gift", credit_gift)
        return credit_gift


# --- endorsements --------------------------------------------------------------------------------


@transaction.atomic
def endorsement_create(*, endorser: User, endorsee: Any, content: Any, connection: Any = None) -> Endorsement:
    """A public testimonial: one per endorser, endorsee and connection (and one without a
    connection per pair); a duplicate is a 409."""
    recipient = _recipient(endorser, endorsee, "endorsee")
    text = _message(content, max_length=ENDORSEMENT_MAX_LENGTH, field="content", required=True)
    conn = _connection(endorser, recipient, connection)
    duplicate = Endorsement.objects.filter(endorser=endorser, endorsee=recipient, connection=conn)
    if duplicate.exists():
        raise Conflict("You already endorsed this user for this.", code=CollectiveCode.DUPLICATE_ENDORSEMENT)
    try:
        with transaction.atomic():
            endorsement = Endorsement.objects.create(
                endorser=endorser, endorsee=recipient, content=text, connection=conn
            )
    except IntegrityError:
        raise Conflict("You already endorsed this user for this.", code=CollectiveCode.DUPLICATE_ENDORSEMENT) from None
    _announce(recipient.pk, "endorsement", endorsement)
    return endorsement


def _own_endorsement(endorsement_id: Any, actor: User) -> Endorsement:
    endorsement = Endorsement.objects.select_for_update().filter(pk=_as_id(endorsement_id, "endorsement")).first()
    if endorsement is None or actor.pk not in (endorsement.endorsee_id, endorsement.endorser_id):
        raise NotFound("No such endorsement.", code=CoreCode.NOT_FOUND)
    if endorsement.endorsee_id != actor.pk:
        raise Forbidden("Only the endorsed user may do this.", code=CollectiveCode.NOT_ENDORSEE)
    return endorsement


@transaction.atomic
def endorsement_set_featured(*, endorsement_id: Any, actor: User, is_featured: Any) -> Endorsement:
    """The endorsee pins (or unpins) an endorsement on their storefront."""
    if not isinstance(is_featured, bool):
        raise DomainError("is_featured must be true or false.", code=CoreCode.INVALID, field="is_featured")
    endorsement = _own_endorsement(endorsement_id, actor)
    if is_featured and (endorsement.is_flagged or not endorsement.is_approved):
        raise Conflict("A flagged or withdrawn endorsement cannot be featured.", code=CollectiveCode.ENDORSEMENT_HIDDEN)
    if endorsement.is_featured != is_featured:
        endorsement.is_featured = is_featured
        endorsement.save(update_fields=["is_featured"])
    return endorsement


@transaction.atomic
def endorsement_flag(*, endorsement_id: Any, actor: User) -> Endorsement:
    """The endorsee flags an endorsement for moderation: hidden (and unpinned) until a moderator
    clears the flag in the admin. Idempotent."""
    endorsement = _own_endorsement(endorsement_id, actor)
    if not endorsement.is_flagged:
        endorsement.is_flagged = True
        endorsement.is_featured = False
        endorsement.flagged_at = timezone.now()
        endorsement.save(update_fields=["is_flagged", "is_featured", "flagged_at"])
    return endorsement


# --- peer badges -----------------------------------------------------------------------------


@transaction.atomic
def badge_award(*, awarder: User, recipient: Any, badge: Any, connection: Any = None) -> PeerBadgeAward:
    """Award a peer badge (an active PeerBadgeType slug). One of each type per awarder,
    recipient and connection (and one without a connection); a duplicate is a 409."""
    target = _recipient(awarder, recipient, "recipient")
    if not isinstance(badge, str) or not badge:
        raise DomainError("Name the badge.", code=CoreCode.REQUIRED, field="badge")
    badge_type = PeerBadgeType.objects.filter(slug=badge, is_active=True).first()
    if badge_type is None:
        raise DomainError(f"Unknown badge {badge[:50]!r}.", code=CollectiveCode.UNKNOWN_BADGE, field="badge")
    conn = _connection(awarder, target, connection)
    if PeerBadgeAward.objects.filter(
        badge_type=badge_type, awarder=awarder, recipient=target, connection=conn
    ).exists():
        raise Conflict("You already gave this badge for this.", code=CollectiveCode.DUPLICATE_BADGE)
    try:
        with transaction.atomic():
            award = PeerBadgeAward.objects.create(
                badge_type=badge_type, awarder=awarder, recipient=target, connection=conn
            )
    except IntegrityError:
        raise Conflict("You already gave this badge for this.", code=CollectiveCode.DUPLICATE_BADGE) from None
    _announce(target.pk, "peer_badge", award)
    return award
