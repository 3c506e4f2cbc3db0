"""Slug generation shared by the models that carry one."""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify


def unique_slug(instance: models.Model, source: str, *, max_length: int, scope: dict | None = None) -> str:
    """A slug from `source`, made unique among rows of the same model matching `scope`.

    The database's unique constraint remains the guarantee: a concurrent writer that takes the
    same slug loses with an IntegrityError, which the service retries.
    """
    base = slugify(source)[: max_length - 8].strip("-") or "item"
    model = type(instance)
    qs = model._default_manager.filter(**(scope or {}))
    if instance.pk:
        qs = qs.exclude(pk=instance.pk)
    candidate, n = base, 2
    while qs.filter(slug=candidate).exists():
        candidate = f"{base}-{n}"
        n += 1
    return candidate
