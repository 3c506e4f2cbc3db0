"""Admin pieces shared by every app, and the admin of core's own records.

`ReadOnlyAdmin` is the base of every admin of append-only or service-maintained rows (messages,
notifications, SMS records, the event log, ledgers): staff may look, never add, change or delete.
DRF's token admin is replaced: it listed every API token in full; this one shows a prefix only
and lets an operator revoke (delete) a token, never create or read one."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .models import OutboxTask


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable only: no add, change or delete, for anyone (superusers included)."""

    # The view page still builds the form: URLs without a scheme are https (Django 6's default).
    formfield_overrides: ClassVar[dict[type[models.Field[Any, Any]], dict[str, Any]]] = {
        models.URLField: {"assume_scheme": "https"}
    }

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def secret_prefix(value: str | None, shown: int = 4) -> str:
    """The first `shown` characters of a secret and an ellipsis: enough to tell two apart."""
    return f"{value[:shown]}…" if value else ""


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "task", "not_before", "created_at", "enqueued_at", "attempts")
    list_filter = ("task",)
    search_fields = ("task",)
    date_hierarchy = "created_at"


def _token_str(token: TokenProxy) -> str:
    return f"Token {secret_prefix(token.key)} of user {token.user_id}"


# The proxy exists for the admin only; its `str()` (DRF's: the key) is a page's title, the delete
# page's list and the admin log's `object_repr`. The key stays off all three.
TokenProxy.__str__ = _token_str  # type: ignore[method-assign,assignment]

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DRFTokenAdmin):
    """API tokens: who holds one since when; the key never appears (a prefix only; DRF's admin
    already addresses a token by its user's id, not by its key)."""

    list_display = ("key_prefix", "user", "created")
    list_select_related = ("user",)
    fields = ("key_prefix", "user", "created")
    readonly_fields = ("key_prefix", "user", "created")
    date_hierarchy = "created"

    @admin.display(description="key")
    def key_prefix(self, obj: TokenProxy) -> str:
        return secret_prefix(obj.key)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
