from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


class ConnectionType(models.TextChoices):
    ASK_RESPONSE = "ask_response", "Ask Response"
    OFFER_INQUIRY = "offer_inquiry", "Offer Inquiry"
    DIRECT = "direct", "Direct"


class PaymentStatus(models.TextChoices):
    """Where the money of a paid connection is (payments app, docs/payments.md). `none`: nothing
    to pay or not started; `pending`: a checkout is open; `paid`: captured; `failed`: the last
    attempt failed (the buyer may pay again); `refund_pending`: a refund was asked for;
    `refunded`: money returned; `disputed`: the buyer's bank opened a dispute."""

    NONE = "none", "None"
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    REFUND_PENDING = "refund_pending", "Refund pending"
    REFUNDED = "refunded", "Refunded"
    DISPUTED = "disputed", "Disputed"


class ConnectionStatus(models.TextChoices):
    INITIATED = "initiated", "Initiated"
    DISCUSSING = "discussing", "Discussing"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In Progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = (ConnectionStatus.COMPLETED, ConnectionStatus.DECLINED, ConnectionStatus.CANCELLED)
_ACTIVE = ~Q(status__in=FINAL_STATUSES)
_RATING_OK = "rating_between_1_and_5"


def _rating_check(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
        name=f"connection_{field}_{_RATING_OK}",
    )


class Connection(models.Model):
    """Links two users: a response to an ask, an inquiry about an offer, or direct outreach."""

    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections_initiated"
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections_received"
    )
    # Context
    ask = models.ForeignKey(
        "collective.Ask", on_delete=models.SET_NULL, null=True, blank=True, related_name="connections"
    )
    offer = models.ForeignKey(
        "collective.Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="connections"
    )
    connection_type = models.CharField(max_length=20, choices=ConnectionType.choices)
    # Communication
    initial_message = models.TextField()
    dm_thread = models.ForeignKey(
        "messaging.Thread", on_delete=models.SET_NULL, null=True, blank=True, related_name="connections"
    )
    # Status
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.INITIATED)
    # Commerce
    agreed_price_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Set only by accepting a price proposal (collective.PriceProposal)."
    )
    currency = models.CharField(max_length=3, default="usd", help_text="The currency of agreed_price_cents.")
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.NONE)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    # Ratings
    initiator_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    responder_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    initiator_feedback = models.TextField(blank=True, default="")
    responder_feedback = models.TextField(blank=True, default="")
    # Timestamps
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["initiator", "status"]),
            models.Index(fields=["responder", "status"]),
            models.Index(fields=["ask", "status"]),
            models.Index(fields=["offer", "status"]),
            models.Index(fields=["status", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["initiator", "responder", "ask"],
                condition=Q(ask__isnull=False) & _ACTIVE,
                name="unique_active_connection_per_ask",
            ),
            models.UniqueConstraint(
                fields=["initiator", "responder", "offer"],
                condition=Q(offer__isnull=False) & _ACTIVE,
                name="unique_active_connection_per_offer",
            ),
            models.UniqueConstraint(
                fields=["initiator", "responder"],
                condition=Q(connection_type=ConnectionType.DIRECT) & _ACTIVE,
                name="unique_active_direct_connection",
            ),
            models.CheckConstraint(condition=~Q(initiator=F("responder")), name="connection_no_self_connection"),
            models.CheckConstraint(
                condition=~(Q(ask__isnull=False) & Q(offer__isnull=False)), name="connection_not_both_ask_and_offer"
            ),
            # The context must match the type. "Must reference one" is checked at creation only:
            # ask/offer are SET_NULL by the seed's on_delete rules, to keep the history.
            models.CheckConstraint(
                condition=~Q(connection_type=ConnectionType.DIRECT) | (Q(ask__isnull=True) & Q(offer__isnull=True)),
                name="connection_direct_has_no_context",
            ),
            models.CheckConstraint(
                condition=~Q(connection_type=ConnectionType.ASK_RESPONSE) | Q(offer__isnull=True),
                name="connection_ask_response_has_no_offer",
            ),
            models.CheckConstraint(
                condition=~Q(connection_type=ConnectionType.OFFER_INQUIRY) | Q(ask__isnull=True),
                name="connection_offer_inquiry_has_no_ask",
            ),
            models.CheckConstraint(
                condition=Q(connection_type__in=ConnectionType.values), name="connection_type_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=ConnectionStatus.values), name="connection_status_valid"),
            models.CheckConstraint(
                condition=Q(payment_status__in=PaymentStatus.values), name="connection_payment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ConnectionStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="connection_completed_has_completed_at",
            ),
            # Ratings only once the connection is completed.
            models.CheckConstraint(
                condition=Q(status=ConnectionStatus.COMPLETED)
                | (Q(initiator_rating__isnull=True) & Q(responder_rating__isnull=True)),
                name="connection_rated_only_when_completed",
            ),
            _rating_check("initiator_rating"),
            _rating_check("responder_rating"),
        ]

    def __str__(self) -> str:
        return f"Connection #{self.pk} {self.initiator_id}->{self.responder_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def needs_payment(self) -> bool:
        """A paid connection: an accepted proposal set a price above zero."""
        return bool(self.agreed_price_cents)

    def is_participant(self, user) -> bool:
        return user is not None and user.pk in (self.initiator_id, self.responder_id)

    def clean(self) -> None:
        errors: list[str] = []
        if self.ask_id and self.offer_id:
            errors.append("Connection cannot be for both an ask and an offer.")
        if not self.ask_id and not self.offer_id and self.connection_type != ConnectionType.DIRECT:
            errors.append("Non-direct connection must reference an ask or offer.")
        if self.connection_type == ConnectionType.DIRECT and (self.ask_id or self.offer_id):
            errors.append("A direct connection references neither an ask nor an offer.")
        if self.initiator_id and self.initiator_id == self.responder_id:
            errors.append("Cannot create a connection with yourself.")
        if errors:
            raise ValidationError(errors)
