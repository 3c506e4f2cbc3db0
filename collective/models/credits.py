"""The credits ledger (seed 001 §8.7, §8.11).

`User.credit_balance` changes only through `CreditTransaction` rows written by
`collective.services.credits.credits_apply`, under a lock on the user row; each row records
the balance after it. The database refuses a negative balance (a check on the user) and a row
whose sign contradicts its type.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class CreditTransactionType(models.TextChoices):
    PURCHASE = "purchase", "Purchase"
    POINTS_CONVERSION = "points_conversion", "Points Conversion"
    GIFT_RECEIVED = "gift_received", "Gift Received"
    GIFT_SENT = "gift_sent", "Gift Sent"
    USAGE = "usage", "Usage"
    REFUND = "refund", "Refund"
    BONUS = "bonus", "Bonus"


DEBIT_TYPES = (CreditTransactionType.GIFT_SENT, CreditTransactionType.USAGE)


class CreditTransaction(models.Model):
    """Every credit change is logged here. Append-only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_transactions")
    amount = models.IntegerField(help_text="Positive for additions, negative for usage and gifts sent.")
    transaction_type = models.CharField(max_length=20, choices=CreditTransactionType.choices)
    related_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="related_credit_transactions",
    )
    related_transaction = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="refunds",
        help_text="For a refund: the usage it gives back.",
    )
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    points_converted = models.PositiveIntegerField(null=True, blank=True)
    feature = models.CharField(max_length=50, blank=True, default="", help_text="For usage: the CreditCost slug.")
    client_id = models.CharField(
        max_length=64, blank=True, default="", help_text="Client-chosen key making a spend idempotent."
    )
    description = models.CharField(max_length=255, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    balance_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["transaction_type", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(transaction_type__in=CreditTransactionType.values), name="credit_transaction_type_valid"
            ),
            models.CheckConstraint(
                condition=(Q(transaction_type__in=DEBIT_TYPES) & Q(amount__lt=0))
                | (~Q(transaction_type__in=DEBIT_TYPES) & Q(amount__gt=0)),
                name="credit_transaction_sign_matches_type",
            ),
            models.UniqueConstraint(
                fields=["user", "client_id"], condition=~Q(client_id=""), name="unique_credit_spend_client_id"
            ),
            # A payment buys its credits once, whatever the provider retries (payments app).
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=Q(transaction_type=CreditTransactionType.PURCHASE) & ~Q(stripe_payment_intent_id=""),
                name="unique_credit_purchase_per_payment_intent",
            ),
            # A usage is refunded at most once.
            models.UniqueConstraint(
                fields=["related_transaction"],
                condition=Q(transaction_type=CreditTransactionType.REFUND),
                name="unique_refund_per_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.transaction_type} {self.amount:+d} -> {self.balance_after}"


class CreditCost(models.Model):
    """What a feature costs in credits: data, editable in the admin (defaults: §8.7's table)."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    cost = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [models.CheckConstraint(condition=Q(cost__gt=0), name="credit_cost_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.cost} credits)"


# Seed 001 §8.7 "Credit Usage"; loaded by a data migration.
DEFAULT_CREDIT_COSTS: list[dict] = [
    {"slug": "ava-session", "name": "Ava conversation session", "cost": 1},
    {"slug": "social-clip", "name": "Social Clip generation", "cost": 5},
    {"slug": "course-builder-assist", "name": "Course Builder AI assist", "cost": 10},
    {"slug": "image-generation", "name": "Image generation", "cost": 2},
]
