"""Price negotiation on a connection (issue 14; seed 003's counter-offer flow, ideas only).

Either participant proposes a price (and optionally a scope) with a message; the other accepts,
counters (a new proposal of their own) or declines. Only accepting sets the connection's
`agreed_price_cents`. At most one proposal per connection is pending; every proposal is kept, so
the history reads in order. Rules and services: `collective.services.negotiation`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .offers import Currency


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COUNTERED = "countered", "Countered"  # the other side answered with a proposal of their own
    WITHDRAWN = "withdrawn", "Withdrawn"  # the proposer replaced or withdrew it


class PriceProposal(models.Model):
    connection = models.ForeignKey("collective.Connection", on_delete=models.CASCADE, related_name="proposals")
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="price_proposals")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    scope = models.TextField(blank=True, default="")
    message = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text="The proposal this one counters or revises.",
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["connection", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"], condition=Q(status="pending"), name="one_pending_proposal_per_connection"
            ),
            models.CheckConstraint(condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"),
            models.CheckConstraint(condition=Q(currency__in=Currency.values), name="proposal_currency_valid"),
        ]

    def __str__(self) -> str:
        return f"Proposal #{self.pk} on {self.connection_id}: {self.amount_cents} {self.currency} ({self.status})"
