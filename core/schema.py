"""The OpenAPI schema declares every status an operation can answer, in the real error shape.

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds the error responses of each operation to
what drf-spectacular derives from its serializers, from what the view really does:

- 400 when the operation takes a body or parameters (validation, a malformed id, a bad filter);
- 401 when the view authenticates (a wrong or expired token is refused even where anonymous
  callers are allowed), 403 when a permission other than AllowAny applies or the method is unsafe
  under session authentication (CSRF);
- 404 for a path parameter (a scoped lookup: outsiders get 404), a paginated list (a page past the
  end) or a body naming other objects by id;
- 409 for every write: a service's illegal transition, or a uniqueness rule lost in a race
  (core/errors.py answers IntegrityError with 409);
- 429 for throttled views;
- 503 everywhere: any dependency outage is a 503 with Retry-After (contract §6).

A view whose services answer more (a per-account limit, 429; a payment provider, 502) says so with
`@extend_schema(extensions={ERRORS: [429]})` (or `errors(429)`), or declares them in
`@extend_schema(responses=...)`; declared responses are kept as they are. Every error body is
`ErrorResponse`: `{"code", "detail", "fields"?}` (core/errors.py, docs/errors.md).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication

# The extension key a view uses to declare statuses its services answer beyond the generic ones.
ERRORS = "x-errors"


class ErrorResponseSerializer(serializers.Serializer):
    """Every error body (core/errors.py). `code` is stable (docs/errors.md); `detail` is for humans."""

    code = serializers.CharField(help_text="A stable machine code, listed in docs/errors.md.")
    detail = serializers.CharField(help_text="A human sentence; may change.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the body's key, a declared field
        child=serializers.JSONField(),
        required=False,
        help_text="Validation errors only: field name -> its messages (nested for nested input).",
    )

    class Meta:
        ref_name = "ErrorResponse"


DESCRIPTIONS = {
    "400": "The request is invalid (`fields` names the fields at fault).",
    "401": "The credentials are missing or wrong.",
    "402": "Not enough credits.",
    "403": "The caller may not do this (or the CSRF token is missing, under session authentication).",
    "404": "No such object, or not one the caller may see.",
    "409": "The request conflicts with the object's state or with existing data.",
    "413": "The request body is too large.",
    "429": "Too many requests; `Retry-After` says when to retry.",
    "502": "A provider (payments) answered with an error.",
    "503": "A dependency is down or the feature is not configured; `Retry-After` says when to retry.",
}

# One example body per status, in the error responses.
EXAMPLES: dict[str, dict[str, Any]] = {
    "400": {
        "code": "invalid",
        "detail": "title: This field is required.",
        "fields": {"title": ["This field is required."]},
    },
    "401": {"code": "not_authenticated", "detail": "Authentication credentials were not provided."},
    "403": {"code": "permission_denied", "detail": "You do not have permission to perform this action."},
    "404": {"code": "not_found", "detail": "Not found."},
    "409": {"code": "conflict", "detail": "The request conflicts with existing data (a uniqueness or integrity rule)."},
    "429": {"code": "throttled", "detail": "Request was throttled. Expected available in 42 seconds."},
    "503": {"code": "database_unavailable", "detail": "The database is unavailable. Retry shortly."},
}

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def page_of(
    child: type[serializers.Serializer], name: str, *, cursor: bool = False, **extra: serializers.Field
) -> type[serializers.Serializer]:
    """The body of a page, for views that paginate by hand: `{"count", "next", "previous",
    "results": [child]}` (core.pagination.PageNumberPagination), or without `count` for a cursor
    pagination; `extra` fields are what the view adds beside them (a balance, a window)."""
    attrs: dict[str, Any] = {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
        "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null on the first."),
        "results": child(many=True),
        **extra,
    }
    if not cursor:
        attrs["count"] = serializers.IntegerField(help_text="Items in all pages.")
    return type(f"{name}Serializer", (serializers.Serializer,), attrs)


def errors(*statuses: int) -> dict[str, Any]:
    """`@extend_schema(**errors(429))`: statuses a view's services answer beyond the generic ones."""
    return {"extensions": {ERRORS: [str(s) for s in statuses]}}


def _model_field(field: Any) -> Any:
    """The model field a read-only serializer field reads, if it reads one directly."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", "") or ""
    if model is None or not source or source == "*" or "." in source:
        return None
    try:
        return model._meta.get_field(source)
    except Exception:  # not a model field (a property, an annotation)
        return None


def field_is_nullable(field: Any) -> bool:
    """A read-only field of a model serializer whose source is a nullable model field (a nested
    summary of an optional foreign key, a slug of an optional parent) answers null: say so."""
    if not isinstance(field, serializers.Field) or not field.read_only or field.allow_null:
        return False
    return bool(getattr(_model_field(field), "null", False))


def field_may_be_blank(field: Any) -> bool:
    """A URL field that may answer "" (blank allowed, on the field or on the model field it reads)."""
    if getattr(field, "allow_blank", False):
        return True
    return field.read_only and bool(getattr(_model_field(field), "blank", False))


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        extra = operation.pop(ERRORS, [])
        responses = operation["responses"]
        error = self.resolve_serializer(ErrorResponseSerializer, "response").ref
        for status, response in responses.items():
            if status[0] in "45" and "content" not in response:  # declared with a description only
                response["content"] = {"application/json": {"schema": error}}
        for status in sorted(self._error_statuses(operation) | {str(s) for s in extra}):
            if status in responses:
                continue
            media: dict[str, Any] = {"schema": error}
            if status in EXAMPLES:
                media["example"] = EXAMPLES[status]
            responses[status] = {
                "description": DESCRIPTIONS.get(status, "An error."),
                "content": {"application/json": media},
            }
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        result = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            isinstance(field, serializers.URLField)
            and field_may_be_blank(field)
            and isinstance(result, dict)
            and result.get("format") == "uri"
        ):
            # A blank URL ("" for "none set") is answered as it is: not a "uri", so no format.
            result = {key: value for key, value in result.items() if key != "format"}
            result["description"] = (result.get("description", "") + " A URL, or empty when none is set.").strip()
        return result

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.URLField) and field_may_be_blank(field) and schema.get("format") == "uri":
            del schema["format"]  # its URLValidator's format: not for the "" it may answer

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if field_is_nullable(field):
            meta["nullable"] = True
        return meta

    def _error_statuses(self, operation: dict[str, Any]) -> set[str]:
        view = self.view
        statuses = {"503"}
        has_body = "requestBody" in operation
        parameters = operation.get("parameters", [])
        if has_body or parameters:
            statuses.add("400")
        if view.get_authenticators():
            statuses.add("401")
        perms = view.get_permissions()
        unsafe = self.method in _UNSAFE
        if any(not isinstance(p, permissions.AllowAny) for p in perms) or (
            unsafe and any(isinstance(a, SessionAuthentication) for a in view.get_authenticators())
        ):
            statuses.add("403")
        if any(p.get("in") == "path" for p in parameters) or has_body or self._is_paginated():
            statuses.add("404")
        if unsafe:
            statuses.add("409")
        if view.get_throttles():
            statuses.add("429")
        return statuses

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOK: a read-only property carries no `default` (the server sets it; a model
    default such as a blank slug may even break the property's own pattern, which
    openapi-spec-validator rightly refuses)."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if prop.get("readOnly"):
                prop.pop("default", None)
    return result
