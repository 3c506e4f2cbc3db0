"""Onboarding's state: where one member is in Ava's conversation (docs/onboarding.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class OnboardingStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SKIPPED = "skipped", "Skipped (finish later)"
    COMPLETED = "completed", "Completed"


class OnboardingStep(models.TextChoices):
    WELCOME = "welcome", "Welcome"
    ASKS = "asks", "Curiosity: asks"
    OFFERS = "offers", "Generosity: offers"
    OFFER_DETAILS = "offer_details", "Offer follow-ups"
    RESPECT = "respect", "Respect: guidelines"
    COMPLETE = "complete", "Complete"


class OnboardingSession(models.Model):
    """One member's onboarding: the thread with Ava, the step awaiting an answer, and what it made.

    Written only by `onboarding.services`, under a row lock: each step is answered once (the
    message awaiting an answer is `current_message`; an answer to any other is refused)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboarding")
    thread = models.ForeignKey("messaging.Thread", on_delete=models.SET_NULL, null=True, related_name="+")
    step = models.CharField(max_length=20, choices=OnboardingStep.choices, default=OnboardingStep.WELCOME)
    status = models.CharField(max_length=20, choices=OnboardingStatus.choices, default=OnboardingStatus.IN_PROGRESS)
    # Ava's message awaiting the member's answer (None once completed).
    current_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the member picked: chip ids (script.py) and typed entries, `[{"chip": id}|{"text": str}]`.
    selected_asks = models.JSONField(default=list, blank=True)
    selected_offers = models.JSONField(default=list, blank=True)
    # Offer chips still waiting for their follow-up (a link, what you help with), in order.
    pending_details = models.JSONField(default=list, blank=True)
    ask_ids = models.JSONField(default=list, blank=True)
    offer_ids = models.JSONField(default=list, blank=True)
    # How many Ava messages a client_id counter has used (welcome back, retries): keeps keys unique.
    said = models.PositiveIntegerField(default=0)
    guidelines_version = models.CharField(max_length=32, blank=True, default="")
    agreed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["thread"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OnboardingStatus.values), name="onboarding_status_valid"),
            models.CheckConstraint(condition=Q(step__in=OnboardingStep.values), name="onboarding_step_valid"),
        ]

    def __str__(self) -> str:
        return f"Onboarding of user {self.user_id}: {self.status} at {self.step}"
