"""One exception handler for the API, and the domain errors services raise.

Every error body has the same shape:

    {"code": "<stable machine code>", "detail": "<human sentence>", "fields": {"<field>": ["..."]}}

`fields` is present only for validation errors. Services raise `DomainError` subclasses with a
stable `code` naming the rule that was broken; views never build error bodies themselves.

A dependency that is down is a fast `503` with `Retry-After`, never a 500 (contract §6), wherever
the error is raised: in a DRF view (`exception_handler`) or anywhere else Django catches it —
middleware, the session save, `/healthz`, admin (`json_server_error`, handler500). The codes:

- `database_unavailable`: PostgreSQL refused or lost the connection, or no pooled connection
  came free within DB_POOL_TIMEOUT;
- `cache_unavailable`: Redis (cache: rate-limit counters, socket tickets, presence) refused,
  dropped or timed out;
- `queue_unavailable`: the Celery broker refused the task.

Every code a client can see is declared once, in a registry of stable codes per app: core's own
(`CoreCode`, below: the handler's codes and the generic field codes every app shares) and one
`<app>/errors.py` per app (`CollectiveCode`, `MessagingCode`, `NotificationsCode`), each an
`ErrorCode` enum registered with `@register_codes(app)`. Raising sites name a member
(`Conflict("...", code=CollectiveCode.CONNECTION_FINAL)`), never a string literal;
`tests/core/test_error_codes.py` checks each code is registered once, and docs/errors.md is
generated from the registry (`python manage.py error_codes --write`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


# --- The registry of stable error codes -------------------------------------------------------


class ErrorCode(StrEnum):
    """Base of every app's error codes. A member's value is the code clients see (a `str`, so it
    compares and serialises as the plain code); its second item says when it is answered."""

    doc: str

    def __new__(cls, value: str, doc: str = "") -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.doc = doc
        return member


_E = TypeVar("_E", bound=type[ErrorCode])
# app label -> its codes; code -> (app label, member). One code, one owner.
_REGISTERED: dict[str, type[ErrorCode]] = {}
_OWNER: dict[str, tuple[str, ErrorCode]] = {}


def register_codes(app: str) -> Callable[[_E], _E]:
    """Class decorator: `app`'s error codes. A code another app (or core) already declared is refused:
    a generic code is core's (`CoreCode`), and an app uses core's member."""

    def register(codes: _E) -> _E:
        previous = _REGISTERED.get(app)
        if previous is not None and previous is not codes:
            raise ValueError(f"{app} already registered its error codes ({previous.__qualname__})")
        for member in codes:
            owner = _OWNER.get(member.value)
            if owner is not None and owner[1] is not member:
                raise ValueError(f"error code {member.value!r} of {app} is already declared by {owner[0]}")
            if not member.doc:
                raise ValueError(f"error code {member.value!r} of {app} has no description")
        for member in codes:
            _OWNER[member.value] = (app, member)
        _REGISTERED[app] = codes
        return codes

    return register


def registered_codes() -> dict[str, type[ErrorCode]]:
    """Every app's codes, app label -> enum, core first. Imports `<app>.errors` of every installed
    project app that has one, so the answer does not depend on what was imported before."""
    from django.apps import apps  # noqa: PLC0415 (the app registry is ready only after setup)

    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.errors") is not None:
            importlib.import_module(f"{config.name}.errors")
    return dict(sorted(_REGISTERED.items(), key=lambda item: (item[0] != "core", item[0])))


def render_doc() -> str:
    """docs/errors.md, from the registry."""
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from the error-code registry (core/errors.py and each app's errors.py) by",
        "     `python manage.py error_codes --write`; do not edit by hand. -->",
        "",
        'Every error body is `{"code", "detail", "fields"?}` (core/errors.py). `code` is stable: clients',
        "branch on it, `detail` is for humans and may change. Each code is declared once, by the app",
        "that owns the rule, in its `errors.py`; generic codes are core's and every app uses them.",
        "DRF's own codes (`not_authenticated`, `authentication_failed`, `throttled`, ...) are listed",
        "under core.",
        "",
    ]
    for app, codes in registered_codes().items():
        lines += [f"## {app}", "", f"`{codes.__module__}.{codes.__qualname__}`", "", "| code | when |", "| --- | --- |"]
        for member in sorted(codes, key=lambda m: m.value):
            doc = member.doc.replace("|", "\\|")
            lines.append(f"| `{member.value}` | {doc} |")
        lines.append("")
    return "\n".join(lines)


@register_codes("core")
class CoreCode(ErrorCode):
    """The handler's own codes, the outage codes, DRF's codes, and generic rule codes every app uses."""

    INVALID = "invalid", "The request is invalid; `fields` names what, when a field is at fault (400)."
    REQUIRED = "required", "A required field is missing (400)."
    BLANK = "blank", "A field that must have content is empty (400)."
    MAX_LENGTH = "max_length", "A text field is longer than its limit (400)."
    INVALID_CHOICE = "invalid_choice", "A field's value is not one of its choices (400)."
    TOO_LARGE = "too_large", "A JSON document is larger than the service stores (400)."
    INVALID_VALUE = "invalid_value", "A value the database cannot store or compare (400)."
    BAD_REQUEST = "bad_request", "The request could not be understood, outside a DRF view (400)."
    REQUEST_TOO_LARGE = "request_too_large", "The request body is over DATA_UPLOAD_MAX_MEMORY_SIZE (413)."
    PARSE_ERROR = "parse_error", "The body is not valid JSON (400, DRF)."
    NOT_AUTHENTICATED = "not_authenticated", "No credentials were sent (401/403, DRF)."
    AUTHENTICATION_FAILED = "authentication_failed", "The credentials are wrong (401/403, DRF)."
    PERMISSION_DENIED = "permission_denied", "The caller may not do this (403)."
    NOT_FOUND = "not_found", "No such object, or not one the caller may see (404)."
    METHOD_NOT_ALLOWED = "method_not_allowed", "The HTTP method is not allowed here (405, DRF)."
    NOT_ACCEPTABLE = "not_acceptable", "No acceptable response format (406, DRF)."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "The body's content type is not accepted (415, DRF)."
    CONFLICT = "conflict", "The request conflicts with existing data or the object's state (409)."
    CLIENT_ID_REUSED = "client_id_reused", "A `client_id` already used for a different request (409)."
    RATE_LIMITED = "rate_limited", "A per-account limit was reached; `Retry-After` says when to retry (429)."
    THROTTLED = "throttled", "A per-address request rate was exceeded; `Retry-After` (429, DRF)."
    RETRY_LATER = (
        "retry_later",
        "The server was busy (a lock race lost, the SQLite writer lane or the request threads full); "
        "nothing was saved, retry after `Retry-After` (503).",
    )
    SERVER_ERROR = "server_error", "An unexpected server error (500)."
    DATABASE_UNAVAILABLE = "database_unavailable", "PostgreSQL is unreachable or the pool is exhausted (503)."
    CACHE_UNAVAILABLE = "cache_unavailable", "Redis (cache) is unreachable (503)."
    QUEUE_UNAVAILABLE = "queue_unavailable", "The Celery broker refused the task (503)."


class DomainError(Exception):
    """A broken business rule. `code` is stable and documented; `detail` is for humans."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code: str = CoreCode.INVALID

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = str(code or self.default_code)  # an ErrorCode member is a str; the plain value is kept
        self.field = field


class Conflict(DomainError):
    """The request is well formed but conflicts with the object's state (an illegal transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = CoreCode.CONFLICT


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = CoreCode.NOT_FOUND


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = CoreCode.PERMISSION_DENIED


class RateLimited(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = CoreCode.RATE_LIMITED

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    """A part of the service that is switched off or whose provider is down: `503` with
    `Retry-After` (payments without keys, a payment provider that does not answer)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = CoreCode.INVALID

    def __init__(self, detail: str, *, retry_after: int = 1, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _first_message(fields: Any) -> str:
    if isinstance(fields, dict):
        for key, value in fields.items():
            inner = _first_message(value)
            return inner if key == "non_field_errors" else f"{key}: {inner}"
    if isinstance(fields, list) and fields:
        return _first_message(fields[0])
    return str(fields)


def _body(code: str, detail: str, fields: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": str(code), "detail": detail}
    if fields:
        body["fields"] = fields
    return body


# SQLSTATEs of a transaction that was rolled back because of other transactions, not its input.
_TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}  # deadlock, serialization failure, lock not available


def _is_transient(exc: OperationalError) -> bool:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc)


# --- A dependency that is down -------------------------------------------------------------------
# What an outage raises in code that rides it out instead of answering a request (the socket
# consumer, the channel-layer fan-out, the presence check of a new notification): Redis down or
# restarting, PostgreSQL unreachable (Django wraps psycopg's errors), a socket-level failure, a
# timeout. Never a client's fault. One tuple, so every such place agrees on what an outage is.
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OperationalError,
    InterfaceError,
    OSError,
    TimeoutError,
)

# Seconds a client should wait before sending the request again: the pool retries PostgreSQL and
# redis-py reconnects on the next command, so a recovered dependency serves the very next request.
RETRY_AFTER_SECONDS = 1

# Not "nothing was saved": a connection lost during COMMIT cannot tell whether it committed. Sends
# are idempotent by client_id, so a client may send the same request again.
_UNAVAILABLE_DETAIL: dict[str, str] = {
    CoreCode.DATABASE_UNAVAILABLE: "The database is unavailable. Retry shortly.",
    CoreCode.CACHE_UNAVAILABLE: "A backing service (cache) is unavailable. Retry shortly.",
    CoreCode.QUEUE_UNAVAILABLE: "The task queue is unavailable. Retry shortly.",
}

# PostgreSQL SQLSTATEs that say the server, not the statement, is the problem: connection
# exceptions (class 08), shutdown / starting up (57P01-57P03), too many connections (53300).
_SERVER_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300")


def _causes(exc: BaseException | None):
    """`exc` and what it was raised from (`raise ... from`: Django wraps driver errors so).
    Not `__context__`: an error raised while handling a Redis error is not a Redis outage."""
    seen = 0
    while exc is not None and seen < 6:
        yield exc
        exc, seen = exc.__cause__, seen + 1


@functools.cache
def _driver_types() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(psycopg_pool's errors, psycopg's connection-level errors, Redis's, the broker's), each
    empty if that library is not installed. Imported once, on the first error."""

    def load(module: str, *names: str) -> tuple[type, ...]:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return ()
        return tuple(getattr(mod, name) for name in names)

    return (
        load("psycopg_pool", "PoolTimeout", "PoolClosed", "TooManyRequests"),
        load("psycopg", "OperationalError", "InterfaceError"),
        load("redis.exceptions", "ConnectionError", "TimeoutError"),
        load("kombu.exceptions", "OperationalError"),
    )


def _classify(exc: BaseException) -> str | None:
    pool_errors, pg_errors, redis_errors, broker_errors = _driver_types()
    if pool_errors and isinstance(exc, pool_errors):  # (subclasses of psycopg.OperationalError)
        return CoreCode.DATABASE_UNAVAILABLE
    if pg_errors and isinstance(exc, pg_errors):
        sqlstate = getattr(exc, "sqlstate", None)
        # No SQLSTATE: the client library's own error — refused, reset, timed out, connection
        # closed. A SQLSTATE: the server's answer, unavailable only for the classes above.
        if sqlstate is None or sqlstate.startswith(_SERVER_SQLSTATE_PREFIXES):
            return CoreCode.DATABASE_UNAVAILABLE
        return None
    if redis_errors and isinstance(exc, redis_errors):
        return CoreCode.CACHE_UNAVAILABLE
    if broker_errors and isinstance(exc, broker_errors):
        return CoreCode.QUEUE_UNAVAILABLE
    return None


def unavailable_code(exc: BaseException | None) -> str | None:
    """The stable code of the dependency `exc` says is unavailable, or None if it says nothing of
    the kind (a lock conflict, a bad statement, a client's input, SQLite's own errors)."""
    if isinstance(exc, OperationalError) and _is_transient(exc):
        return None  # retry_later: answered by the handler below
    for link in _causes(exc):
        code = _classify(link)
        if code:
            return code
    return None


_pool_check_running = threading.Lock()


def check_database_pool() -> None:
    """In the background, test every idle pooled connection and replace the broken ones.

    After an outage the pool still holds the connections the outage broke. CONN_HEALTH_CHECKS
    tests each one as it is handed out, but psycopg_pool sleeps ~1 s after a failed check before
    trying the next one, so with two or more broken connections a request ran out of its
    DB_POOL_TIMEOUT on them even once PostgreSQL was back. One check at a time: against a
    PostgreSQL that hangs it blocks this thread only, never a request."""
    from django.db import connections

    pool = getattr(connections["default"], "pool", None)  # SQLite: no attribute; no pool: None
    if pool is None or not _pool_check_running.acquire(blocking=False):
        return

    def run() -> None:
        try:
            pool.check()
        except Exception as exc:  # noqa: BLE001 — best effort; the pool checks on checkout anyway
            logger.info("database pool check failed: %s", exc)
        finally:
            _pool_check_running.release()

    threading.Thread(target=run, name="db-pool-check", daemon=True).start()


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def unavailable_body(exc: BaseException, code: str, path: str = "") -> dict[str, Any]:
    """Log the outage (one WARNING line, no traceback: every request of an outage lands here) and
    return the 503 body."""
    logger.warning("dependency unavailable (%s), answered 503 %s: %s", code, path, _one_line(exc))
    if code == CoreCode.DATABASE_UNAVAILABLE:
        check_database_pool()
    return _body(code, _UNAVAILABLE_DETAIL[code])


def _mark_logged(response: Any) -> None:
    """Django's own flag (django.utils.log.log_response reads it), not declared by the stubs."""
    response._has_been_logged = True


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    code = unavailable_code(exc)
    if code:
        request = context.get("request")
        response = Response(
            unavailable_body(exc, code, getattr(request, "path", "")), status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        _mark_logged(response)  # logged above; not again as an ERROR by django.request
        return response

    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.detail]} if exc.field else None
        response = Response(_body(exc.code, exc.detail, fields), status=exc.status_code)
        if isinstance(exc, (RateLimited, ServiceUnavailable)):
            response["Retry-After"] = str(exc.retry_after)
        return response

    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            fields = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            fields = {"non_field_errors": exc.messages}
        return Response(_body(CoreCode.INVALID, _first_message(fields), fields), status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, DataError):
        # A value the database cannot hold, from the client's input: a NUL byte in a query
        # parameter or URL (PostgreSQL refuses them in text), a number out of range.
        logger.info("DataError reached the API: %s", exc)
        return Response(
            _body(CoreCode.INVALID_VALUE, "The request contains a value the database cannot store or compare."),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, OperationalError) and _is_transient(exc):
        # The transaction lost a lock race (a deadlock PostgreSQL broke, a serialization failure,
        # SQLite's busy timeout) and was rolled back whole: nothing was written, so the client
        # may simply send the same request again (sends are idempotent by client_id).
        logger.warning("transient database conflict, answered 503: %s", exc)
        response = Response(
            _body(
                CoreCode.RETRY_LATER, "The server was busy with a conflicting change; nothing was saved. Retry shortly."
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "1"
        return response

    if isinstance(exc, IntegrityError):
        # The database refused the write: a constraint the service should have checked first,
        # usually lost in a race. Name it, and never answer a client's input with a 500.
        logger.warning("IntegrityError reached the API: %s", exc)
        return Response(
            _body(CoreCode.CONFLICT, "The request conflicts with existing data (a uniqueness or integrity rule)."),
            status=status.HTTP_409_CONFLICT,
        )

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    handled = drf_exception_handler(exc, context)
    if handled is None:
        return None
    response = handled

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        response.data = _body(CoreCode.INVALID, _first_message(fields), fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else _first_message(_flatten(exc.detail))
        response.data = _body(str(code), str(detail))
    return response


# --- Errors raised outside DRF views ----------------------------------------------------------
# An unknown /api/ URL, a request body over DATA_UPLOAD_MAX_MEMORY_SIZE or an unhandled error
# never reaches the DRF handler above; Django answers them with these (config/urls.py handler*),
# in the same JSON shape for API paths and with Django's own pages elsewhere (admin, /healthz).


def _is_api(request: Any) -> bool:
    return request.path.startswith("/api/")


def json_bad_request(request: Any, exception: Exception) -> Any:
    from django.core.exceptions import RequestDataTooBig
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(_body(CoreCode.REQUEST_TOO_LARGE, "The request body is too large."), status=413)
    return JsonResponse(_body(CoreCode.BAD_REQUEST, "The request could not be understood."), status=400)


def json_permission_denied(request: Any, exception: Exception) -> Any:
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(
        _body(CoreCode.PERMISSION_DENIED, "You do not have permission to perform this action."), status=403
    )


def json_not_found(request: Any, exception: Exception | None = None) -> Any:
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(_body(CoreCode.NOT_FOUND, "Not found."), status=404)


def json_server_error(request: Any) -> Any:
    """handler500. Django calls it inside its `except` block, so `sys.exc_info()` is the error.

    A dependency outage is a 503 in the error shape on every path (JSON also for admin and
    pages: a 503 is a signal to clients and load balancers, not a page to read). It is marked as
    logged, so Django's request logger does not add an ERROR line with a traceback per request."""
    from django.http import JsonResponse
    from django.views import defaults

    exc = sys.exc_info()[1]
    code = unavailable_code(exc)
    if code and exc is not None:
        response = JsonResponse(unavailable_body(exc, code, request.path), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        _mark_logged(response)  # django.utils.log.log_response: already logged above
        return response
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(_body(CoreCode.SERVER_ERROR, "A server error occurred."), status=500)
