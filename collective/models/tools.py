from __future__ import annotations

from django.db import models
from django.db.models import Q

from .slugs import unique_slug
from .taxonomy import CATEGORY_CHOICES, TaxonomyType


class ToolPricing(models.TextChoices):
    FREE = "free", "Free"
    FREEMIUM = "freemium", "Freemium"
    PAID = "paid", "Paid"
    OPEN_SOURCE = "open_source", "Open source"
    ENTERPRISE = "enterprise", "Enterprise"


class Tool(models.Model):
    """An entry of the curated tools directory, loaded from `collective/fixtures/tools.yaml`.

    Each tool is 1:1 with a Taxonomy row of type `tool` (seed 000), which carries the tag-side
    fields; the Tool row carries the directory fields. Offers and asks link tools M2M.
    """

    taxonomy = models.OneToOneField(
        "collective.Taxonomy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tool",
        limit_choices_to={"taxonomy_type": TaxonomyType.TOOL},
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True, blank=True)
    tagline = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    category = models.ForeignKey(
        "collective.Taxonomy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tools_in_category",
        limit_choices_to=CATEGORY_CHOICES,
    )
    website_url = models.URLField(blank=True, default="")
    logo_url = models.URLField(blank=True, default="")
    pricing_model = models.CharField(max_length=20, choices=ToolPricing.choices, default=ToolPricing.FREEMIUM)
    has_free_tier = models.BooleanField(default=True)
    usage_tips = models.JSONField(default=list, blank=True)
    best_for = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "name"])]
        constraints = [
            models.CheckConstraint(condition=Q(pricing_model__in=ToolPricing.values), name="tool_pricing_model_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.name, max_length=120)
        super().save(*args, **kwargs)
