"""Users by the name people type. Usernames are unique regardless of case (a database constraint
on `lower(username)`), so every place a user names another user matches case-insensitively, and
through the same expression as that unique index, so PostgreSQL answers from the index."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower

from collective.models import User


def users_named(username: str, queryset: QuerySet | None = None) -> QuerySet:
    qs = User.objects.all() if queryset is None else queryset
    return qs.alias(_username_ci=Lower("username")).filter(_username_ci=str(username).lower())
