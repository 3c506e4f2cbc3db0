from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


class AgentProfile(models.Model):
    """Links an AI agent user (role='agent') to the human who owns and answers for it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_profile",
        limit_choices_to={"role": "agent"},
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_agents")
    tagline = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    capabilities = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(user=F("owner")), name="agent_cannot_own_itself")]

    def __str__(self) -> str:
        return f"agent {self.user_id} owned by {self.owner_id}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.user_id and self.user_id == self.owner_id:
            errors["owner"] = ["An agent cannot own itself."]
        if self.user_id and self.user.role != "agent":
            errors.setdefault("user", []).append("Only a user with role 'agent' can have an agent profile.")
        if self.owner_id and self.owner.role == "agent":
            errors.setdefault("owner", []).append("An agent must be owned by a human user, not another agent.")
        if errors:
            raise ValidationError(errors)
