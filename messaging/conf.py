"""Messaging limits, overridable through `settings.MESSAGING` (a dict); defaults below."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MAX_BODY_CHARS": 10_000,
    "MAX_ATTACHMENTS": 5,
    "EDIT_WINDOW_SECONDS": 15 * 60,
    "SEND_RATE_PER_MINUTE": 30,
    "NEW_STRANGER_THREADS_PER_DAY": 20,
    "PREVIEW_CHARS": 140,
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "MESSAGING", {})}[name]
