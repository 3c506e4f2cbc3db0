"""Payments (issue 14, docs/payments.md): credit packs, payments, the money ledger, the Stripe
events received, and the creators' payout accounts.

Money is integer cents plus a currency everywhere. `LedgerEntry` is append-only: every movement
(a sale, the platform's fee, a refund, a dispute, a payout) is one row, unique by the provider
object that caused it, so a retried webhook can never write a second row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from collective.models import Currency


class CreditPack(models.Model):
    """A pack of credits for sale (seed 001 §8.7), data editable in the admin; loaded by a data
    migration with the seed's three packs."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    credits = models.PositiveIntegerField()
    bonus_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Shown to buyers; credits already include it."
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "price_cents"]
        constraints = [
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="credit_pack_price_positive"),
            models.CheckConstraint(condition=Q(credits__gt=0), name="credit_pack_credits_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.credits} credits for {self.price_cents} {self.currency}"


# The seed's packs are loaded by migration 0002 (a copy: migrations do not import models).
DEFAULT_CREDIT_PACKS: list[dict] = [
    {"slug": "starter", "name": "Starter", "price_cents": 500, "credits": 100, "bonus_percent": 0, "sort_order": 1},
    {"slug": "builder", "name": "Builder", "price_cents": 2000, "credits": 500, "bonus_percent": 25, "sort_order": 2},
    {"slug": "creator", "name": "Creator", "price_cents": 5000, "credits": 1500, "bonus_percent": 50, "sort_order": 3},
]


class PayoutAccount(models.Model):
    """A creator's Stripe Connect Express account; `account.updated` keeps the flags."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.stripe_account_id} ({self.status})"

    @property
    def status(self) -> str:
        if self.charges_enabled and self.payouts_enabled:
            return "active"
        if self.details_submitted:
            return "restricted"
        return "onboarding"


class PaymentKind(models.TextChoices):
    CONNECTION = "connection", "Connection"
    OFFER = "offer", "Offer purchase"
    CREDIT_PACK = "credit_pack", "Credit pack"


class PaymentState(models.TextChoices):
    OPEN = "open", "Open"  # a checkout session waits for the buyer
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # the last attempt was declined; the session may still be paid
    EXPIRED = "expired", "Expired"  # the session ended unpaid
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    DISPUTED = "disputed", "Disputed"
    MISMATCH = "mismatch", "Amount or currency mismatch"  # paid, but not what was agreed: nothing credited


OPEN_STATES = (PaymentState.OPEN, PaymentState.FAILED)
PAID_STATES = (PaymentState.SUCCEEDED, PaymentState.PARTIALLY_REFUNDED, PaymentState.DISPUTED)


class Payment(models.Model):
    """One purchase: what is bought, by whom, for how much, and where the money went."""

    kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_made")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments_received",
        help_text="Empty for credit packs: the platform sells them.",
    )
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    offer = models.ForeignKey(
        "collective.Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    credit_pack = models.ForeignKey(
        CreditPack, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    description = models.CharField(max_length=255)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    platform_fee_cents = models.PositiveIntegerField(default=0)
    destination_account = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=20, choices=PaymentState.choices, default=PaymentState.OPEN)
    refunded_cents = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, default="")
    checkout_url = models.URLField(max_length=2000, blank=True, default="")
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    stripe_charge_id = models.CharField(max_length=255, blank=True, default="")
    failure_code = models.CharField(max_length=100, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"]),
            models.Index(fields=["seller", "-created_at"]),
            models.Index(fields=["connection"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PaymentKind.values), name="payment_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PaymentState.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(platform_fee_cents__lte=models.F("amount_cents")), name="payment_fee_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("amount_cents")), name="payment_refund_within_amount"
            ),
            models.CheckConstraint(
                condition=(Q(kind=PaymentKind.CONNECTION) & Q(connection__isnull=False))
                | (Q(kind=PaymentKind.OFFER) & Q(offer__isnull=False))
                | (Q(kind=PaymentKind.CREDIT_PACK) & Q(credit_pack__isnull=False)),
                name="payment_kind_has_its_object",
            ),
            models.UniqueConstraint(
                fields=["stripe_checkout_session_id"],
                condition=~Q(stripe_checkout_session_id=""),
                name="unique_payment_checkout_session",
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~Q(stripe_payment_intent_id=""),
                name="unique_payment_payment_intent",
            ),
            # One live payment per connection: an open checkout is reused, a paid one is final.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(connection__isnull=False)
                & Q(status__in=["open", "failed", "succeeded", "partially_refunded", "disputed"]),
                name="one_live_payment_per_connection",
            ),
            # A buyer buys an offer once (an open checkout is reused).
            models.UniqueConstraint(
                fields=["buyer", "offer"],
                condition=Q(offer__isnull=False)
                & Q(status__in=["open", "failed", "succeeded", "partially_refunded", "disputed"]),
                name="one_live_purchase_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk} {self.kind} {self.amount_cents} {self.currency} ({self.status})"

    def is_party(self, user) -> bool:
        return user is not None and user.pk in (self.buyer_id, self.seller_id)


class LedgerEntryType(models.TextChoices):
    SALE = "sale", "Sale"  # the gross amount, to the seller (or the platform for credit packs)
    PLATFORM_FEE = "platform_fee", "Platform fee"  # negative for the seller
    REFUND = "refund", "Refund"  # negative: money given back
    FEE_REFUND = "fee_refund", "Fee refund"  # positive for the seller: the fee given back with a refund
    DISPUTE = "dispute", "Dispute"  # negative: the disputed amount held
    PAYOUT = "payout", "Payout"  # negative: money sent from the Stripe balance to the creator's bank


class LedgerEntry(models.Model):
    """One movement of money. Append-only; unique per (type, provider object)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        help_text="Whose earnings the row moves; empty for the platform's own sales.",
    )
    entry_type = models.CharField(max_length=20, choices=LedgerEntryType.choices)
    amount_cents = models.IntegerField(help_text="Signed: positive into the user's earnings, negative out.")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    stripe_object_id = models.CharField(max_length=255, help_text="The charge, refund, dispute or payout.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(entry_type__in=LedgerEntryType.values), name="ledger_entry_type_valid"),
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_entry_not_zero"),
            models.UniqueConstraint(fields=["entry_type", "stripe_object_id"], name="unique_ledger_entry_per_object"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_type} {self.amount_cents:+d} {self.currency} ({self.stripe_object_id})"


class StripeEvent(models.Model):
    """A webhook event as received: stored once by its id, processed once by a Celery task."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    account = models.CharField(max_length=255, blank=True, default="", help_text="Set for Connect events.")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveIntegerField(default=1)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=100, blank=True, default="", help_text="What processing did.")
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["event_type", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.event_type} ({'processed' if self.processed_at else 'pending'})"
