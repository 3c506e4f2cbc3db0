from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from core import limits
from core.limits import JSONSizeValidator

from .slugs import unique_slug
from .taxonomy import CATEGORY_CHOICES, CATEGORY_TYPES, TAG_CHOICES, TAG_TYPES


class OfferType(models.TextChoices):
    APP = "app", "App/Tool"
    TEMPLATE = "template", "Template"
    COURSE = "course", "Course"
    POST = "post", "Post"
    LINK = "link", "Link"
    SERVICE = "service", "Service"
    MENTORSHIP = "mentorship", "Mentorship"
    SKILL = "skill", "Skill"
    FEEDBACK = "feedback", "Feedback"


class OfferStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class PricingType(models.TextChoices):
    FREE = "free", "Free"
    ONE_TIME = "one_time", "One-time"
    HOURLY = "hourly", "Hourly"
    MONTHLY = "monthly", "Monthly"
    CUSTOM = "custom", "Contact"


class Currency(models.TextChoices):
    USD = "usd", "US dollar"
    EUR = "eur", "Euro"
    GBP = "gbp", "Pound sterling"
    CAD = "cad", "Canadian dollar"
    AUD = "aud", "Australian dollar"


class AskType(models.TextChoices):
    BETA_TESTER = "beta_tester", "Beta Testers"
    FEEDBACK = "feedback", "Feedback"
    COLLABORATOR = "collaborator", "Collaborator"
    LEARNING = "learning", "Learning Goal"
    HIRE = "hire", "Hiring"
    ADVICE = "advice", "Advice"
    INTRODUCTION = "introduction", "Introduction"


class AskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In Progress"
    FULFILLED = "fulfilled", "Fulfilled"
    CLOSED = "closed", "Closed"


# Storefront grouping of offers (seed 001 §5.2), in display order.
OFFER_SUBSECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("working_on", "Things I'm Working On", (OfferType.APP,)),
    ("learn_from_me", "Learn From Me", (OfferType.COURSE, OfferType.TEMPLATE, OfferType.POST)),
    ("work_with_me", "Work With Me", (OfferType.SERVICE, OfferType.MENTORSHIP, OfferType.SKILL, OfferType.FEEDBACK)),
    ("things_i_love", "Things I Love", (OfferType.LINK,)),
]


def _validate_taxonomy(instance: models.Model, errors: dict[str, list[str]]) -> None:
    category = getattr(instance, "category", None)
    if category is not None and category.taxonomy_type not in CATEGORY_TYPES:
        errors.setdefault("category", []).append("Category must be a taxonomy entry of type 'offer_category'.")
    if category is not None and not category.is_active:
        errors.setdefault("category", []).append("This category is no longer active.")


def validate_tags(tags) -> None:
    """Tags must be active `skill` or `topic` taxonomy entries (seed 000)."""
    bad = [t.slug for t in tags if t.taxonomy_type not in TAG_TYPES or not t.is_active]
    if bad:
        raise ValidationError(
            {"tags": [f"Tags must be active 'skill' or 'topic' entries; not allowed: {', '.join(bad)}."]}
        )


class Offer(models.Model):
    """What users provide: apps, courses, services, skills, feedback capacity (seed 000, model 1)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    slug = models.SlugField(max_length=220, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=limits.OFFER_DESCRIPTION_MAX)
    offer_type = models.CharField(max_length=20, choices=OfferType.choices)
    featured_image_url = models.URLField(blank=True, default="")
    banner_url = models.URLField(blank=True, default="")
    external_url = models.URLField(blank=True, default="")
    # Content
    body = models.TextField(blank=True, default="", max_length=limits.OFFER_BODY_MAX)
    body_html = models.TextField(blank=True, default="", editable=False)
    content = models.JSONField(default=dict, blank=True, validators=[JSONSizeValidator(limits.OFFER_CONTENT_MAX_BYTES)])
    # Source tracking
    source_type = models.CharField(
        max_length=20,
        blank=True,
        default="",
        choices=[("github", "GitHub"), ("gitlab", "GitLab"), ("figma", "Figma"), ("url", "URL"), ("manual", "Manual")],
    )
    source_url = models.URLField(blank=True, default="")
    source_metadata = models.JSONField(
        default=dict, blank=True, validators=[JSONSizeValidator(limits.OFFER_SOURCE_METADATA_MAX_BYTES)]
    )
    # Categorisation
    category = models.ForeignKey(
        "collective.Taxonomy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to=CATEGORY_CHOICES,
        related_name="offers",
    )
    tags = models.ManyToManyField(
        "collective.Taxonomy", blank=True, limit_choices_to=TAG_CHOICES, related_name="tagged_offers"
    )
    tools = models.ManyToManyField(
        "collective.Tool", blank=True, related_name="offers", help_text="Tools used to build this offering"
    )
    # Pricing
    is_paid = models.BooleanField(default=False)
    price_cents = models.PositiveIntegerField(default=0, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    pricing_type = models.CharField(max_length=20, choices=PricingType.choices, default=PricingType.FREE)
    stripe_product_id = models.CharField(max_length=255, blank=True, default="")
    stripe_price_id = models.CharField(max_length=255, blank=True, default="")
    # Status
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    is_featured = models.BooleanField(default=False)
    is_archived = models.BooleanField(default=False)
    # Metrics
    view_count = models.PositiveIntegerField(default=0)
    connection_count = models.PositiveIntegerField(default=0)
    # Timestamps
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status"]),
            models.Index(fields=["status", "offer_type"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["is_featured", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "slug"], name="unique_offer_slug_per_user"),
            models.CheckConstraint(condition=Q(offer_type__in=OfferType.values), name="offer_type_valid"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status_valid"),
            models.CheckConstraint(condition=Q(pricing_type__in=PricingType.values), name="offer_pricing_type_valid"),
            models.CheckConstraint(condition=Q(currency__in=Currency.values), name="offer_currency_valid"),
            # A free offer carries no price; a paid one is not priced as "free".
            models.CheckConstraint(
                condition=Q(is_paid=True) | (Q(price_cents=0) & Q(pricing_type=PricingType.FREE)),
                name="offer_free_has_no_price",
            ),
            models.CheckConstraint(
                condition=Q(is_paid=False) | ~Q(pricing_type=PricingType.FREE), name="offer_paid_not_free_pricing"
            ),
            # Archiving is one state, stored twice by the seed: keep the two in agreement.
            models.CheckConstraint(
                condition=Q(is_archived=True, status=OfferStatus.ARCHIVED)
                | (Q(is_archived=False) & ~Q(status=OfferStatus.ARCHIVED)),
                name="offer_archived_consistent",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="offer_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.title, max_length=220, scope={"user_id": self.user_id})
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        _validate_taxonomy(self, errors)
        if not self.is_paid and (self.price_cents or self.pricing_type != PricingType.FREE):
            errors.setdefault("is_paid", []).append("A free offer has price 0 and pricing type 'free'.")
        if self.is_paid and self.pricing_type == PricingType.FREE:
            errors.setdefault("pricing_type", []).append("A paid offer needs a pricing type other than 'free'.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return self.status in (OfferStatus.ACTIVE, OfferStatus.PAUSED) and not self.is_archived


class Ask(models.Model):
    """What users need: beta testers, feedback, collaborators, learning goals (seed 000, model 2)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="asks")
    slug = models.SlugField(max_length=220, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=limits.ASK_DESCRIPTION_MAX)
    ask_type = models.CharField(max_length=20, choices=AskType.choices)
    featured_image_url = models.URLField(blank=True, default="")
    category = models.ForeignKey(
        "collective.Taxonomy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to=CATEGORY_CHOICES,
        related_name="asks",
    )
    tags = models.ManyToManyField(
        "collective.Taxonomy", blank=True, limit_choices_to=TAG_CHOICES, related_name="tagged_asks"
    )
    tools = models.ManyToManyField(
        "collective.Tool", blank=True, related_name="asks", help_text="Tools this ask is related to"
    )
    # Budget
    is_paid_opportunity = models.BooleanField(default=False)
    budget_min_cents = models.PositiveIntegerField(null=True, blank=True)
    budget_max_cents = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    # Status
    status = models.CharField(max_length=20, choices=AskStatus.choices, default=AskStatus.OPEN)
    is_archived = models.BooleanField(default=False)
    # Metrics
    view_count = models.PositiveIntegerField(default=0)
    response_count = models.PositiveIntegerField(default=0)
    # Timestamps
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status"]),
            models.Index(fields=["status", "ask_type"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["is_paid_opportunity", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "slug"], name="unique_ask_slug_per_user"),
            models.CheckConstraint(condition=Q(ask_type__in=AskType.values), name="ask_type_valid"),
            models.CheckConstraint(condition=Q(status__in=AskStatus.values), name="ask_status_valid"),
            models.CheckConstraint(condition=Q(currency__in=Currency.values), name="ask_currency_valid"),
            models.CheckConstraint(
                condition=Q(budget_min_cents__isnull=True)
                | Q(budget_max_cents__isnull=True)
                | Q(budget_min_cents__lte=F("budget_max_cents")),
                name="ask_budget_min_lte_max",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="ask_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.title, max_length=220, scope={"user_id": self.user_id})
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        _validate_taxonomy(self, errors)
        if (
            self.budget_min_cents is not None
            and self.budget_max_cents is not None
            and self.budget_min_cents > self.budget_max_cents
        ):
            errors.setdefault("budget_min_cents", []).append("Minimum budget cannot exceed maximum budget.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return not self.is_archived
