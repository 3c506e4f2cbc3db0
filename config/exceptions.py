"""One exception handler for the API, and the domain errors services raise.

Every error body has the same shape:

    {"code": "<stable machine code>", "detail": "<human sentence>", "fields": {"<field>": ["..."]}}

`fields` is present only for validation errors. Services raise `DomainError` subclasses with a
stable `code` naming the rule that was broken; views never build error bodies themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A broken business rule. `code` is stable and documented; `detail` is for humans."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.field = field


class Conflict(DomainError):
    """The request is well formed but conflicts with the object's state (an illegal transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class RateLimited(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
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
    body: dict[str, Any] = {"code": code, "detail": detail}
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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.detail]} if exc.field else None
        response = Response(_body(exc.code, exc.detail, fields), status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            fields = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            fields = {"non_field_errors": exc.messages}
        return Response(_body("invalid", _first_message(fields), fields), status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, DataError):
        # A value the database cannot hold, from the client's input: a NUL byte in a query
        # parameter or URL (PostgreSQL refuses them in text), a number out of range.
        logger.info("DataError reached the API: %s", exc)
        return Response(
            _body("invalid_value", "The request contains a value the database cannot store or compare."),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, OperationalError) and _is_transient(exc):
        # The transaction lost a lock race (a deadlock PostgreSQL broke, a serialization failure,
        # SQLite's busy timeout) and was rolled back whole: nothing was written, so the client
        # may simply send the same request again (sends are idempotent by client_id).
        logger.warning("transient database conflict, answered 503: %s", exc)
        response = Response(
            _body("retry_later", "The server was busy with a conflicting change; nothing was saved. Retry shortly."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "1"
        return response

    if isinstance(exc, IntegrityError):
        # The database refused the write: a constraint the service should have checked first,
        # usually lost in a race. Name it, and never answer a client's input with a 500.
        logger.warning("IntegrityError reached the API: %s", exc)
        return Response(
            _body("conflict", "The request conflicts with existing data (a uniqueness or integrity rule)."),
            status=status.HTTP_409_CONFLICT,
        )

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        response.data = _body("invalid", _first_message(fields), fields)
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


def json_bad_request(request: Any, exception: Exception | None = None) -> Any:
    from django.core.exceptions import RequestDataTooBig
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(_body("request_too_large", "The request body is too large."), status=413)
    return JsonResponse(_body("bad_request", "The request could not be understood."), status=400)


def json_permission_denied(request: Any, exception: Exception | None = None) -> Any:
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(_body("permission_denied", "You do not have permission to perform this action."), status=403)


def json_not_found(request: Any, exception: Exception | None = None) -> Any:
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(_body("not_found", "Not found."), status=404)


def json_server_error(request: Any) -> Any:
    from django.http import JsonResponse
    from django.views import defaults

    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(_body("server_error", "A server error occurred."), status=500)
