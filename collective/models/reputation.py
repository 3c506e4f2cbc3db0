"""Reputation from ratings received (seed 003's ideas, adapted): aggregates, a score, a tier,
decay for inactivity. One row per user, recomputed by a Celery task (collective.tasks)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReputationTier(models.TextChoices):
    NEW = "new", "New"
    RISING = "rising", "Rising"
    TRUSTED = "trusted", "Trusted"
    ESTABLISHED = "established", "Established"
    EXEMPLARY = "exemplary", "Exemplary"


class UserReputation(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="reputation"
    )
    ratings_count = models.PositiveIntegerField(default=0)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    positive_count = models.PositiveIntegerField(default=0, help_text="Ratings of 4-5.")
    neutral_count = models.PositiveIntegerField(default=0, help_text="Ratings of 3.")
    negative_count = models.PositiveIntegerField(default=0, help_text="Ratings of 1-2.")
    completed_count = models.PositiveIntegerField(default=0)
    cancelled_count = models.PositiveIntegerField(default=0, help_text="Connections this user cancelled.")
    raw_score = models.PositiveIntegerField(default=0, help_text="Score before decay.")
    score = models.PositiveIntegerField(default=0, help_text="Score after decay for inactivity.")
    tier = models.CharField(max_length=20, choices=ReputationTier.choices, default=ReputationTier.NEW)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-score"], name="user_reputation_score_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=ReputationTier.values), name="user_reputation_tier_valid"),
            models.CheckConstraint(
                condition=Q(rating_average__isnull=True)
                | Q(rating_average__gte=Decimal("1"), rating_average__lte=Decimal("5")),
                name="user_reputation_average_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(score__lte=models.F("raw_score")), name="user_reputation_decay_only_lowers"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.score} ({self.tier})"
