from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from collective.errors import CollectiveCode

E164_VALIDATOR = RegexValidator(
    regex=r"^\+[1-9]\d{6,14}$",
    message="Enter a phone number in E.164 format, e.g. +14155550123.",
    code=CollectiveCode.INVALID_PHONE,
)


class UserRole(models.TextChoices):
    EXPLORER = "explorer", "Explorer"
    CREATOR = "creator", "Creator"
    MENTOR = "mentor", "Mentor"
    VENDOR = "vendor", "Vendor"
    ADMIN = "admin", "Admin"
    AGENT = "agent", "AI agent"


class AvatarFrame(models.TextChoices):
    NONE = "none", "None"
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    DIAMOND = "diamond", "Diamond"


class User(AbstractUser):
    """A member of the collective, or an AI agent (`role='agent'`, owned through AgentProfile).

    The counters and balances below are denormalised for cheap reads. They are written only by
    services, with atomic `F()` updates (counters) or ledger rows under a row lock (points,
    credits); the database refuses a negative value.
    """

    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=20, choices=UserRole.choices, default=UserRole.EXPLORER)
    tagline = models.CharField(max_length=200, blank=True, default="")
    bio = models.TextField(blank=True, default="")
    avatar_url = models.URLField(blank=True, default="")

    # Social proof
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    helped_count = models.PositiveIntegerField(default=0)

    # Generosity economy (seed 001 §8)
    total_points = models.PositiveIntegerField(default=0)
    credit_balance = models.PositiveIntegerField(default=0)
    points_gifted_total = models.PositiveIntegerField(default=0)
    credits_gifted_total = models.PositiveIntegerField(default=0)
    avatar_frame = models.CharField(max_length=20, choices=AvatarFrame.choices, default=AvatarFrame.NONE)

    # Notifications (seed 001 §7.2)
    phone_number = models.CharField(max_length=16, blank=True, default="", validators=[E164_VALIDATOR])
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    sms_enabled = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)

    class Meta:
        db_table = "collective_user"
        constraints = [
            # Case-insensitive uniqueness, so "Ada" cannot register beside "ada".
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(condition=Q(role__in=UserRole.values), name="user_role_valid"),
            models.CheckConstraint(condition=Q(avatar_frame__in=AvatarFrame.values), name="user_avatar_frame_valid"),
            models.CheckConstraint(condition=Q(total_points__gte=0), name="user_total_points_non_negative"),
            models.CheckConstraint(condition=Q(credit_balance__gte=0), name="user_credit_balance_non_negative"),
            models.CheckConstraint(
                condition=(Q(quiet_hours_start__isnull=True) & Q(quiet_hours_end__isnull=True))
                | (Q(quiet_hours_start__isnull=False) & Q(quiet_hours_end__isnull=False)),
                name="user_quiet_hours_both_or_neither",
            ),
        ]
        indexes = [
            models.Index(fields=["role"]),
            models.Index(fields=["-helped_count"]),
            models.Index(fields=["-total_points"]),
        ]

    @property
    def is_agent(self) -> bool:
        return self.role == UserRole.AGENT

    @property
    def phone_verified(self) -> bool:
        return bool(self.phone_number and self.phone_verified_at)

    def increment_helped_count(self) -> None:
        """Atomic +1 (seed 000). Called by the connection service on completion, exactly once."""
        type(self).objects.filter(pk=self.pk).update(helped_count=F("helped_count") + 1)
        self.refresh_from_db(fields=["helped_count"])
