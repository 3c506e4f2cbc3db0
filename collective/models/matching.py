"""Match records (issue 15 item 4, docs/matching.md): an ask and an offer the scorer paired, with
its score and reasons, whom it was announced to and when, and the connection made from it.

The outcome is not stored: it is the connection's status, read through `outcome`."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MatchOutcome(models.TextChoices):
    NONE = "none", "No connection yet"
    CONNECTED = "connected", "Connected"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class Match(models.Model):
    ask = models.ForeignKey("collective.Ask", on_delete=models.CASCADE, related_name="matches")
    offer = models.ForeignKey("collective.Offer", on_delete=models.CASCADE, related_name="matches")
    score = models.FloatField()
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who was told (the owner of the side that already existed) and when; null: not announced
    # (below the notification rank, or the recipient's daily cap was reached).
    notified_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    # A connection made between the two sides about this ask or offer records it.
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="matches"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "matches"  # the admin said "Matchs"
        constraints = [models.UniqueConstraint(fields=["ask", "offer"], name="unique_match_per_ask_offer")]
        indexes = [
            models.Index(fields=["notified_user", "notified_at"], name="match_notified_idx"),
        ]

    def __str__(self) -> str:
        return f"Match ask {self.ask_id} ~ offer {self.offer_id} ({self.score:.3f})"

    @property
    def outcome(self) -> str:
        connection = self.connection
        if connection is None:
            return MatchOutcome.NONE
        if connection.status in (MatchOutcome.COMPLETED, MatchOutcome.DECLINED, MatchOutcome.CANCELLED):
            return str(connection.status)
        return MatchOutcome.CONNECTED
