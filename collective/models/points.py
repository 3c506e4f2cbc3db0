"""The points ledger (seed 001 §8.2–§8.6, §8.9).

`User.total_points` is the spendable balance; it changes only through `PointsTransaction` rows
written by `collective.services.points.points_award`, under a lock on the user row.
`PointsAccount.lifetime_points` is what the user has *earned* (every positive award except gifts
received): unlocks and the all-time leaderboard read it, so converting or gifting points never
costs a user their status, and two accounts gifting points back and forth cannot inflate it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q


class PointsCategory(models.TextChoices):
    GIVING = "giving", "Giving"
    RECEIVING = "receiving", "Receiving"
    BUILDING = "building", "Building"
    COMMUNITY = "community", "Community"
    TRANSFER = "transfer", "Transfer"  # gifts and conversions: move points, earn nothing


class PointsAction(models.TextChoices):
    RESPOND_TO_ASK = "respond_to_ask", "Respond to someone's ask"
    COMPLETE_HELP = "complete_help", "Complete a help session"
    HELPFUL_RATING = "helpful_rating", "Receive a helpful rating"
    GIVE_FEEDBACK = "give_feedback", "Give feedback on a project"
    BETA_TEST = "beta_test", "Beta test someone's app"
    ASK_RESPONSE_RECEIVED = "ask_response_received", "Someone responds to your ask"
    HELP_RECEIVED = "help_received", "Mark help as received"
    ADD_OFFER = "add_offer", "Add an offer"
    FIRST_OFFER = "first_offer", "First offer published"
    WELCOME_MEMBER = "welcome_member", "Welcome a new member"
    GET_FOLLOWED = "get_followed", "Get followed"
    COMPLETE_ONBOARDING = "complete_onboarding", "Complete onboarding"
    GIFT_RECEIVED = "gift_received", "Gift received"
    GIFT_SENT = "gift_sent", "Gift sent"
    POINTS_CONVERSION = "points_conversion", "Converted to credits"
    # Reversals: the points of an offer deleted soon after it earned them, taken back.
    ADD_OFFER_REVERSED = "add_offer_reversed", "Offer deleted soon after: add-offer points taken back"
    FIRST_OFFER_REVERSED = "first_offer_reversed", "Offer deleted soon after: first-offer bonus taken back"


@dataclass(frozen=True)
class ActionRule:
    """One row of the §8.2 table. `amount` None: the caller gives it (transfers, signed).
    `object_model`: the model whose id keys the award (None: once per user). `daily_cap`: at
    most this many awards of the action per user per UTC day (None: uncapped); overridable
    with `settings.POINTS_DAILY_CAPS`."""

    amount: int | None
    category: str
    reason: str
    object_model: str | None
    daily_cap: int | None = None


C = PointsCategory
A = PointsAction

# Seed 001 §8.2, as data. Reasons are §8.3's toast lines; `{other}` is the other user's username.
POINTS_RULES: dict[str, ActionRule] = {
    A.RESPOND_TO_ASK: ActionRule(15, C.GIVING, "You responded to @{other}'s ask", "collective.ask", 10),
    A.COMPLETE_HELP: ActionRule(25, C.GIVING, "You helped @{other}{context}", "collective.connection", 10),
    A.HELPFUL_RATING: ActionRule(20, C.GIVING, "@{other} rated your help {rating}★", "collective.connection", 10),
    A.GIVE_FEEDBACK: ActionRule(10, C.GIVING, "You gave @{other} feedback", "collective.user", 10),
    A.BETA_TEST: ActionRule(15, C.GIVING, "You beta tested @{other}'s app", "collective.user", 5),
    A.ASK_RESPONSE_RECEIVED: ActionRule(5, C.RECEIVING, "@{other} responded to your ask", "collective.connection", 10),
    A.HELP_RECEIVED: ActionRule(
        5, C.RECEIVING, "You closed the loop: help from @{other} received", "collective.connection", 10
    ),
    A.ADD_OFFER: ActionRule(10, C.BUILDING, "You added an offer: {title}", "collective.offer", 5),
    A.FIRST_OFFER: ActionRule(20, C.BUILDING, "Your first offer is live!", None),
    A.WELCOME_MEMBER: ActionRule(5, C.COMMUNITY, "You welcomed @{other}", "collective.user", 10),
    A.GET_FOLLOWED: ActionRule(2, C.COMMUNITY, "@{other} followed you", "collective.user", 25),
    A.COMPLETE_ONBOARDING: ActionRule(25, C.COMMUNITY, "Welcome aboard! You completed onboarding", None),
    A.GIFT_RECEIVED: ActionRule(
        None, C.TRANSFER, "@{other} gifted you {amount} points{message}", "collective.pointgift"
    ),
    A.GIFT_SENT: ActionRule(None, C.TRANSFER, "You gifted @{other} {amount} points", "collective.pointgift"),
    A.POINTS_CONVERSION: ActionRule(
        None, C.TRANSFER, "You converted {amount} points to credits", "collective.credittransaction"
    ),
    # Signed (negative) amounts, given by the reversing service. Category BUILDING, not TRANSFER:
    # they take back *earned* points, so lifetime points go down with them (a create/delete loop
    # cannot grow lifetime points, unlocks or the all-time leaderboard).
    A.ADD_OFFER_REVERSED: ActionRule(
        None, C.BUILDING, "Offer deleted within {days} days: points for adding it taken back", "collective.offer"
    ),
    A.FIRST_OFFER_REVERSED: ActionRule(
        None, C.BUILDING, "Your first offer was deleted within {days} days: its bonus taken back", None
    ),
}

# Reversal action of each reversible award.
REVERSALS: dict[str, str] = {A.ADD_OFFER: A.ADD_OFFER_REVERSED, A.FIRST_OFFER: A.FIRST_OFFER_REVERSED}

# Points an account earns by itself, with nobody else involved: one account can farm them alone
# (register, onboard, post offers), so they are spendable but not giftable (docs/economy.md).
SELF_EARNED_ACTIONS: frozenset[str] = frozenset(
    {A.COMPLETE_ONBOARDING, A.ADD_OFFER, A.FIRST_OFFER, A.ADD_OFFER_REVERSED, A.FIRST_OFFER_REVERSED}
)

GIVING_ACTIONS: tuple[str, ...] = tuple(a for a, r in POINTS_RULES.items() if r.category == C.GIVING)
# Actions whose points count towards lifetime (earned) points: all but transfers.
EARNING_ACTIONS: tuple[str, ...] = tuple(a for a, r in POINTS_RULES.items() if r.category != C.TRANSFER)


class PointsTransaction(models.Model):
    """One change of a user's points. Append-only.

    `object_id` is the id of the object the award is for (its model is fixed per action by
    POINTS_RULES), 0 for once-per-user actions. The unique key (user, action, object_id) makes
    every award idempotent: the same event twice, or a follow/unfollow/follow loop, cannot
    award twice — the database refuses the second row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_transactions")
    action = models.CharField(max_length=32, choices=PointsAction.choices)
    amount = models.IntegerField(help_text="Signed: negative for gifts sent and conversions.")
    object_id = models.PositiveBigIntegerField(default=0)
    related_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    balance_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "action", "created_at"]),
            models.Index(fields=["action", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "action", "object_id"], name="unique_points_award_per_object"),
            models.CheckConstraint(condition=~Q(amount=0), name="points_transaction_amount_not_zero"),
            models.CheckConstraint(condition=Q(action__in=PointsAction.values), name="points_transaction_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.amount:+d}"


class PointsAccount(models.Model):
    """Per-user state of the points system that is not the spendable balance: lifetime earned
    points and the giving streak. Written only by `points_award`, under the user row lock."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="points_account"
    )
    lifetime_points = models.PositiveIntegerField(default=0)
    # The highest lifetime_points ever reached. Reversals lower lifetime points; unlocks fire
    # only above this peak, so an undo/redo loop near a threshold cannot repeat an unlock.
    lifetime_peak = models.PositiveIntegerField(default=0)
    streak_days = models.PositiveIntegerField(default=0)
    longest_streak_days = models.PositiveIntegerField(default=0)
    streak_last_day = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-lifetime_points", "user"], name="points_account_lifetime_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.lifetime_points} lifetime points"
