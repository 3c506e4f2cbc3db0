"""Error tracking with Sentry, on only when `SENTRY_DSN` is set (config/settings.py).

What an event may carry: the exception (type, message, stack without local variables), the
route, the request id (tag `request_id`), the user's id and nothing else of theirs. `scrub` (the
`before_send`) removes the request's body, cookies, query string and headers but a few harmless
ones, keeps only `id` of the user, and masks phone-number-like and e-mail-like strings anywhere
in the event (an exception message, a log breadcrumb). Message bodies never reach Sentry: request
bodies are never read into events (`max_request_body_size="never"`), local variables are not
sent (`include_local_variables=False`), and default PII stays off (`send_default_pii`'s default).
"""

from __future__ import annotations

import re
from typing import Any

# An E.164-like number (+ and 7-15 digits, separators allowed) or a bare run of 9-15 digits.
PHONE = re.compile(r"\+\d(?:[\s().-]*\d){6,14}|(?<!\d)\d{9,15}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASK_PHONE, MASK_EMAIL = "[phone]", "[email]"
SAFE_HEADERS = frozenset({"Host", "User-Agent", "Accept", "Content-Type", "Content-Length", "X-Request-Id"})


def mask(text: str) -> str:
    return PHONE.sub(MASK_PHONE, EMAIL.sub(MASK_EMAIL, text))


def _mask_all(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask(value)
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {k: _mask_all(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(v, depth + 1) for v in value]
    return value


def _user_and_request_id(event: dict[str, Any]) -> None:
    # Imported here: the settings import this module before Django is set up.
    from core.logs import current_request, current_request_id

    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("tags", {})["request_id"] = request_id
    request = current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    pk = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    user_data = event.get("user") or {}
    if pk is None:
        pk = user_data.get("id")
    event["user"] = {"id": str(pk)} if pk is not None else {}


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """`before_send` (and `before_send_transaction`): see the module's docstring."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.title() in SAFE_HEADERS}
    # Free text only: ids (event, trace, release) are left as they are.
    for key in ("message", "logentry", "extra", "breadcrumbs", "tags"):
        if key in event:
            event[key] = _mask_all(event[key])
    for exc in (event.get("exception") or {}).get("values") or ():
        if isinstance(exc, dict) and isinstance(exc.get("value"), str):
            exc["value"] = mask(exc["value"])
    _user_and_request_id(event)
    return event


def init(dsn: str, *, environment: str | None = None, release: str | None = None, traces: float = 0.0) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import ignore_logger
    from sentry_sdk.integrations.redis import RedisIntegration

    # A 5xx's access line (ERROR) is not an event of its own: the exception is, once (Django's
    # integration ignores django.request for the same reason).
    ignore_logger("collective.access")

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        # send_default_pii stays at its default, off (passing it is deprecated in sentry-sdk 2.7x):
        # no user e-mail, username or IP, no cookies, no headers that could identify.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces,
        before_send=scrub,  # type: ignore[arg-type]  # sentry's Event TypedDict vs a plain dict
        before_send_transaction=scrub,  # type: ignore[arg-type]
    )
