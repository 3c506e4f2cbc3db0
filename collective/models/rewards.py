"""Peer rewards (seed 001 §8.8, §8.11): gifts of points and credits, endorsements, peer badges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

MESSAGE_MAX_LENGTH = 280
ENDORSEMENT_MAX_LENGTH = 500


class _Gift(models.Model):
    amount = models.PositiveIntegerField()
    message = models.CharField(max_length=MESSAGE_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class PointGift(_Gift):
    """User gifting points to another user."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_received")
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="point_gifts"
    )

    class Meta:
        indexes = [
            models.Index(fields=["sender", "-created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="point_gift_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="point_gift_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} points from {self.sender_id} to {self.recipient_id}"


class CreditGift(_Gift):
    """User gifting credits to another user. The ledger rows (gift_sent / gift_received) refer
    back to it in their metadata."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credits_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credits_received")
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_gifts"
    )

    class Meta:
        indexes = [
            models.Index(fields=["sender", "-created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_gift_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="credit_gift_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} credits from {self.sender_id} to {self.recipient_id}"


class Endorsement(models.Model):
    """Public testimonial from one user to another. Shown on the endorsee's storefront while
    approved and not flagged; the endorsee may feature it (pinned first) or flag it for review."""

    endorser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endorsements_given")
    endorsee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endorsements_received"
    )
    content = models.TextField(max_length=ENDORSEMENT_MAX_LENGTH)
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="endorsements"
    )
    # Moderation
    is_approved = models.BooleanField(default=True, help_text="Auto-approved; a moderator may withdraw it.")
    is_flagged = models.BooleanField(default=False, help_text="Hidden until a moderator reviews it.")
    flagged_at = models.DateTimeField(null=True, blank=True)
    is_featured = models.BooleanField(default=False, help_text="Pinned by the endorsee.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_featured", "-created_at", "-pk"]
        indexes = [models.Index(fields=["endorsee", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["endorser", "endorsee", "connection"], name="unique_endorsement_per_connection"
            ),
            # NULLs are distinct in a unique index: one endorsement without a connection per pair.
            models.UniqueConstraint(
                fields=["endorser", "endorsee"],
                condition=Q(connection__isnull=True),
                name="unique_endorsement_without_connection",
            ),
            models.CheckConstraint(condition=~Q(endorser=F("endorsee")), name="endorsement_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.endorser_id} endorses {self.endorsee_id}"


class PeerBadgeCategory(models.TextChoices):
    QUALITY = "quality", "Quality"
    SPEED = "speed", "Speed"
    TEACHING = "teaching", "Teaching"
    COMMUNITY = "community", "Community"


class PeerBadgeType(models.Model):
    """Types of badges that can be awarded (seeded from PEER_BADGES)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=50)
    description = models.CharField(max_length=200, blank=True, default="")
    icon = models.CharField(max_length=50)
    category = models.CharField(max_length=20, choices=PeerBadgeCategory.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PeerBadgeCategory.values), name="peer_badge_category_valid")
        ]

    def __str__(self) -> str:
        return f"{self.icon} {self.name}"


class PeerBadgeAward(models.Model):
    """Instance of a badge being awarded. One badge of a type per awarder, recipient and
    connection (and one without a connection), so badges cannot be stacked by repetition."""

    badge_type = models.ForeignKey(PeerBadgeType, on_delete=models.CASCADE, related_name="awards")
    awarder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges_awarded")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges_received")
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.SET_NULL, null=True, blank=True, related_name="badge_awards"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["badge_type", "recipient"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["badge_type", "awarder", "recipient", "connection"], name="unique_badge_award_per_connection"
            ),
            models.UniqueConstraint(
                fields=["badge_type", "awarder", "recipient"],
                condition=Q(connection__isnull=True),
                name="unique_badge_award_without_connection",
            ),
            models.CheckConstraint(condition=~Q(awarder=F("recipient")), name="badge_award_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"Badge {self.badge_type_id} from {self.awarder_id} to {self.recipient_id}"


# Seed 001 §8.11 "Seed Data: PeerBadgeType" (descriptions added); loaded by a data migration.
PEER_BADGES: list[dict] = [
    {
        "slug": "amazing-feedback",
        "name": "Amazing Feedback",
        "icon": "🎯",
        "category": "quality",
        "description": "Gave feedback that changed the work.",
    },
    {
        "slug": "thorough-review",
        "name": "Thorough Review",
        "icon": "🔍",
        "category": "quality",
        "description": "Looked at every detail.",
    },
    {
        "slug": "quick-responder",
        "name": "Quick Responder",
        "icon": "⚡",
        "category": "speed",
        "description": "Answered fast.",
    },
    {
        "slug": "fast-helper",
        "name": "Fast Helper",
        "icon": "🚀",
        "category": "speed",
        "description": "Got it done quickly.",
    },
    {
        "slug": "patient-teacher",
        "name": "Patient Teacher",
        "icon": "🎓",
        "category": "teaching",
        "description": "Explained it as many times as needed.",
    },
    {
        "slug": "great-explainer",
        "name": "Great Explainer",
        "icon": "💡",
        "category": "teaching",
        "description": "Made the complex simple.",
    },
    {
        "slug": "welcoming",
        "name": "Welcoming",
        "icon": "👋",
        "category": "community",
        "description": "Made a newcomer feel at home.",
    },
    {
        "slug": "supportive",
        "name": "Supportive",
        "icon": "🤝",
        "category": "community",
        "description": "Encouraged and backed others.",
    },
]
