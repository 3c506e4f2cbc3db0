"""Reference data: the offer categories of seed 000 and the curated tools directory.

Both loaders are idempotent: rows are matched by slug, updated in place when the source differs,
never duplicated, and left untouched when already equal. Rows that the source no longer lists are
kept (an admin may have added them, and offers may point at them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify

from collective.errors import CollectiveCode
from collective.models import Taxonomy, TaxonomyType, Tool
from collective.models.slugs import unique_slug
from collective.models.tools import ToolPricing
from core.errors import DomainError

# Seed 000, "Seed Data for offer_category": exact slugs, names and descriptions, in display order.
OFFER_CATEGORIES: list[tuple[str, str, str]] = [
    ("marketing-content", "Marketing & Content", "Content creation, copywriting, social media"),
    ("sales-outreach", "Sales & Outreach", "Lead gen, sales automation, CRM"),
    ("customer-support", "Customer Support", "Chatbots, helpdesk, support automation"),
    ("operations", "Operations & Productivity", "Workflow automation, project management"),
    ("creative-design", "Creative & Design", "Image generation, video, design tools"),
    ("development", "Development & Technical", "Coding, APIs, technical tools"),
    ("learning-education", "Learning & Education", "Courses, tutorials, coaching"),
    ("other", "Other", "Doesn't fit other categories"),
]
OFFER_CATEGORY_SLUGS = [slug for slug, _, _ in OFFER_CATEGORIES]

TOOLS_FIXTURE = Path(settings.BASE_DIR) / "collective" / "fixtures" / "tools.yaml"

_REQUIRED = ("name", "slug", "tagline", "description", "category", "website_url", "pricing_model")
_DEFAULTS: dict[str, Any] = {
    "logo_url": "",
    "has_free_tier": False,
    "usage_tips": [],
    "best_for": [],
    "is_featured": False,
}
_ALLOWED = set(_REQUIRED) | set(_DEFAULTS)
_MAX_LEN = {"name": 100, "slug": 120, "tagline": 200, "website_url": 200, "logo_url": 200}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    slugs: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


@transaction.atomic
def offer_categories_seed() -> LoadResult:
    """Create or correct the 8 offer categories of seed 000 (taxonomy_type='offer_category')."""
    result = LoadResult()
    for slug, name, description in OFFER_CATEGORIES:
        row = Taxonomy.objects.select_for_update().filter(slug=slug).first()
        values = {"name": name, "description": description, "is_active": True}
        if row is None:
            Taxonomy.objects.create(slug=slug, taxonomy_type=TaxonomyType.OFFER_CATEGORY, **values)
            result.created += 1
        elif row.taxonomy_type != TaxonomyType.OFFER_CATEGORY:
            raise DomainError(
                f"Slug '{slug}' is taken by a taxonomy entry of type '{row.taxonomy_type}'; "
                "rename it before seeding the offer categories.",
                code=CollectiveCode.SLUG_CONFLICT,
            )
        elif changed := _apply(row, values):
            row.save(update_fields=changed)
            result.updated += 1
        else:
            result.unchanged += 1
        result.slugs.append(slug)
    return result


class ToolsFileError(DomainError):
    default_code = "invalid_tools_file"


def _validate_tool(index: int, raw: Any, seen: set[str]) -> dict[str, Any]:
    label = f"tool #{index + 1}"
    if not isinstance(raw, dict):
        raise ToolsFileError(f"{label}: expected a mapping of fields, got {type(raw).__name__}.")
    if isinstance(raw.get("slug"), str):
        label = f"tool #{index + 1} '{raw['slug']}'"

    def bad(field_name: str, why: str) -> ToolsFileError:
        return ToolsFileError(f"{label}: field '{field_name}': {why}", field=field_name)

    unknown = sorted(set(raw) - _ALLOWED)
    if unknown:
        raise bad(unknown[0], f"unknown field (allowed: {', '.join(sorted(_ALLOWED))}).")
    for name in _REQUIRED:
        if name not in raw or raw[name] in (None, ""):
            raise bad(name, "is required.")
    data = {**_DEFAULTS, **raw}

    for name in ("name", "slug", "tagline", "description", "category", "website_url", "logo_url", "pricing_model"):
        if not isinstance(data[name], str):
            raise bad(name, f"must be a string, got {type(data[name]).__name__}.")
        data[name] = data[name].strip()
        if name in _MAX_LEN and len(data[name]) > _MAX_LEN[name]:
            raise bad(name, f"is longer than {_MAX_LEN[name]} characters.")
    for name in ("has_free_tier", "is_featured"):
        if not isinstance(data[name], bool):
            raise bad(name, f"must be true or false, got {data[name]!r}.")
    for name in ("usage_tips", "best_for"):
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise bad(name, "must be a list of non-empty strings.")
        data[name] = [item.strip() for item in value]

    if slugify(data["slug"]) != data["slug"]:
        raise bad("slug", f"'{data['slug']}' is not a valid slug (lower-case letters, digits, hyphens).")
    if data["slug"] in seen:
        raise bad("slug", f"'{data['slug']}' appears more than once.")
    seen.add(data["slug"])
    if data["category"] not in OFFER_CATEGORY_SLUGS:
        raise bad("category", f"'{data['category']}' is not one of: {', '.join(OFFER_CATEGORY_SLUGS)}.")
    if data["pricing_model"] not in ToolPricing.values:
        raise bad("pricing_model", f"'{data['pricing_model']}' is not one of: {', '.join(ToolPricing.values)}.")
    url = URLValidator(schemes=["http", "https"])
    for name in ("website_url", "logo_url"):
        if data[name]:
            try:
                url(data[name])
            except ValidationError:
                raise bad(name, f"'{data[name]}' is not a valid http(s) URL.") from None
    return data


def tools_parse(text: str) -> list[dict[str, Any]]:
    """Parse and validate the tools YAML (a top-level `tools:` list). Raises ToolsFileError naming
    the tool and the field at fault; nothing is written when any entry is bad."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ToolsFileError(f"not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tools"), list):
        raise ToolsFileError("expected a top-level 'tools:' list.")
    seen: set[str] = set()
    return [_validate_tool(i, raw, seen) for i, raw in enumerate(doc["tools"])]


def _tool_taxonomy(tool: Tool | None, slug: str) -> Taxonomy | None:
    if tool is not None and tool.taxonomy_id:
        return tool.taxonomy
    return Taxonomy.objects.filter(slug=slug, taxonomy_type=TaxonomyType.TOOL, tool__isnull=True).first()


@transaction.atomic
def tools_load(*, text: str | None = None, path: Path | None = None) -> LoadResult:
    """Load the tools directory (default: collective/fixtures/tools.yaml), with each tool's 1:1
    Taxonomy row of type 'tool'. Seeds the offer categories first, since every tool names one."""
    if text is None:
        path = path or TOOLS_FIXTURE
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolsFileError(f"cannot read {path}: {exc.strerror}") from None
    entries = tools_parse(text)
    offer_categories_seed()
    categories = {t.slug: t for t in Taxonomy.objects.filter(taxonomy_type=TaxonomyType.OFFER_CATEGORY)}

    result = LoadResult()
    for data in entries:
        tool = Tool.objects.select_for_update().filter(slug=data["slug"]).first()
        taxonomy = _tool_taxonomy(tool, data["slug"])
        tax_values = {
            "taxonomy_type": TaxonomyType.TOOL,
            "name": data["name"],
            "description": data["tagline"],
            "is_active": True,
            "website_url": data["website_url"] or None,
            "logo_url": data["logo_url"] or None,
            "usage_tips": data["usage_tips"],
            "best_for": data["best_for"],
        }
        tax_changed = False
        if taxonomy is None:
            taxonomy = Taxonomy(**tax_values)
            # Taxonomy slugs are unique across all types: a topic may already hold this one.
            taxonomy.slug = unique_slug(taxonomy, data["slug"], max_length=120)
            taxonomy.save()
            tax_changed = True
        elif changed := _apply(taxonomy, tax_values):
            taxonomy.save(update_fields=changed)
            tax_changed = True

        tool_values = {
            "name": data["name"],
            "tagline": data["tagline"],
            "description": data["description"],
            "category": categories[data["category"]],
            "website_url": data["website_url"],
            "logo_url": data["logo_url"],
            "pricing_model": data["pricing_model"],
            "has_free_tier": data["has_free_tier"],
            "usage_tips": data["usage_tips"],
            "best_for": data["best_for"],
            "is_featured": data["is_featured"],
            "is_active": True,
            "taxonomy": taxonomy,
        }
        if tool is None:
            Tool.objects.create(slug=data["slug"], **tool_values)
            result.created += 1
        elif changed := _apply(tool, tool_values):
            tool.save(update_fields=[*changed, "updated_at"])
            result.updated += 1
        elif tax_changed:
            result.updated += 1
        else:
            result.unchanged += 1
        result.slugs.append(data["slug"])
    return result


def reference_data_load() -> dict[str, LoadResult]:
    return {"offer_categories": offer_categories_seed(), "tools": tools_load()}
