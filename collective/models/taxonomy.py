from __future__ import annotations

from django.db import models
from django.db.models import Q

from .slugs import unique_slug


class TaxonomyType(models.TextChoices):
    TOOL = "tool", "Tool"
    CATEGORY = "category", "Category"
    TOPIC = "topic", "Topic"
    GOAL = "goal", "Goal"
    INDUSTRY = "industry", "Industry"
    INTEREST = "interest", "Interest"
    SKILL = "skill", "Skill"
    MODALITY = "modality", "Learning Modality"
    OUTCOME = "outcome", "Learning Outcome"
    CONTENT_TYPE = "content_type", "Content Type"
    TIME_INVESTMENT = "time_investment", "Time Investment"
    DIFFICULTY = "difficulty", "Difficulty"
    PRICING = "pricing", "Pricing"
    PERSONALITY = "personality", "Personality Type"
    LEARNING_STYLE = "learning_style", "Learning Style"
    ROLE = "role", "Role"
    OFFER_CATEGORY = "offer_category", "Offer Category"


# What Offer/Ask.category and Offer/Ask.tags may point at (seed 000, "How Taxonomy is Used").
CATEGORY_TYPES = (TaxonomyType.OFFER_CATEGORY,)
TAG_TYPES = (TaxonomyType.SKILL, TaxonomyType.TOPIC)
CATEGORY_CHOICES = {"taxonomy_type": TaxonomyType.OFFER_CATEGORY, "is_active": True}
TAG_CHOICES = {"taxonomy_type__in": list(TAG_TYPES), "is_active": True}


class Taxonomy(models.Model):
    """The unified tagging system: categories, topics, skills, tools and the rest (seed 000)."""

    taxonomy_type = models.CharField(max_length=20, choices=TaxonomyType.choices, default=TaxonomyType.TOOL)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True, blank=True)
    description = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    color = models.CharField(max_length=50, blank=True, default="")
    # Tool-specific
    # NULL for "no URL" (services/reference.py stores None, the API shows null): "" instead would
    # change payloads and need a migration.
    website_url = models.URLField(null=True, blank=True)  # noqa: DJ001
    logo_url = models.URLField(null=True, blank=True)  # noqa: DJ001
    usage_tips = models.JSONField(default=list, blank=True)
    best_for = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        ordering = ["taxonomy_type", "name"]
        indexes = [models.Index(fields=["taxonomy_type", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=Q(taxonomy_type__in=TaxonomyType.values), name="taxonomy_type_valid"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="taxonomy_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.taxonomy_type})"

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.name, max_length=120)
        super().save(*args, **kwargs)
