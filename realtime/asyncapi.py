"""The WebSocket protocol as an AsyncAPI 3.0 document, generated from the event catalogue.

`build_document()` turns every `EventSpec` of `realtime/catalogue.py` into a message whose payload
is the server frame's envelope `{"id", "type", "ts", "data"}` with the event's `data` schema (the
`TypedDict`s become JSON Schema components, field for field), and adds the client frames the
consumer accepts (`realtime/consumers.py`: `ping`, `resume`, `typing`, `read`, `presence.query`),
the two ways to authenticate (a single-use ticket in the query, or the session cookie) and the
close codes. Nothing is written by hand that the catalogue already says, so the document cannot
drift from what is published (`tests/realtime/test_asyncapi.py` also validates captured frames).

Served at `GET /api/asyncapi/` (`?format=yaml` for YAML); a plain Django view, so it stays out of
the OpenAPI schema (which describes HTTP only). The document describes the server application:
`send` operations are the frames it sends, `receive` the frames it accepts.
"""

from __future__ import annotations

import types
import typing
from functools import lru_cache
from typing import Annotated, Any, Literal, NotRequired

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .catalogue import CATALOGUE, TIMESTAMP

CHANNEL = "socket"
CHANNEL_ADDRESS = "/ws/"

# (code, meaning, what a client does): docs/realtime.md "Close codes", realtime/consumers.py.
CLOSE_CODES: tuple[tuple[int, str, str], ...] = (
    (4401, "No or invalid credentials (accepted, then closed).", "Get a new ticket (log in again if that fails)."),
    (4408, "A send blocked longer than SEND_TIMEOUT (10 s): slow consumer.", "Reconnect with backoff and resume."),
    (4409, "The user already holds MAX_SOCKETS_PER_USER (20) sockets.", "Wait until another socket has closed."),
    (4429, "Too many frames (30/s) or error frames (20/min).", "Reconnect after a pause (a minute)."),
    (1009, "A frame over 64 KiB.", "A client bug: do not resend."),
    (1013, "Redis or the database cannot serve the handshake.", "Reconnect with backoff and a new ticket."),
)

# Client frames: what `Consumer._handle` dispatches on, with the fields each handler reads. The
# consumer ignores keys it does not read, so extra keys are allowed.
_INT = {"type": "integer"}
CLIENT_FRAMES: tuple[tuple[str, str, dict[str, Any], list[str]], ...] = (
    ("ping", "Answered with `pong`.", {}, []),
    (
        "resume",
        "Replay every durable event after `last_event_id`, then `resumed` (or `resync_required`).",
        {"last_event_id": {"type": "integer", "minimum": 0}},
        ["last_event_id"],
    ),
    (
        "typing",
        "Typing in a thread the user takes part in: relayed as `typing` to the other participants.",
        {"thread": _INT, "state": {"type": "string", "enum": ["start", "stop"]}},
        ["thread", "state"],
    ),
    (
        "read",
        "Mark a thread read up to a message (publishes `thread.read`).",
        {"thread": _INT, "message": _INT},
        ["thread", "message"],
    ),
    (
        "presence.query",
        "Ask for the presence of users: answered with `presence.state` (unrelated users omitted).",
        {"users": {"type": "array", "items": _INT, "maxItems": 200}},
        ["users"],
    ),
)


def _required_keys(td: Any) -> frozenset[str]:  # a TypedDict class: typing has no type for one
    return td.__required_keys__


def _schema(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a catalogue type; TypedDicts go to `components` once and are referenced."""
    origin = typing.get_origin(tp)
    if origin in (NotRequired, typing.Required):
        return _schema(typing.get_args(tp)[0], components)
    if tp is Any:
        return {}
    if isinstance(tp, type) and typing.is_typeddict(tp):
        name = tp.__name__
        if name not in components:
            components[name] = {}  # placeholder: recursion-safe
            hints = typing.get_type_hints(tp, include_extras=True)
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {key: _schema(hint, components) for key, hint in hints.items()},
                "required": sorted(_required_keys(tp)),
                "additionalProperties": False,
            }
            if not schema["required"]:
                del schema["required"]
            doc = (tp.__doc__ or "").strip()
            if doc and not doc.startswith(name + "("):  # TypedDict's default docstring
                schema["description"] = " ".join(doc.split())
            components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}
    if origin is Annotated:
        base, *marks = typing.get_args(tp)
        if TIMESTAMP in marks:
            return {"type": "string", "format": "date-time"}
        return _schema(base, components)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(option, components) for option in typing.get_args(tp)]}
    if origin is Literal:
        values = list(typing.get_args(tp))
        kinds = {type(v) for v in values}
        out: dict[str, Any] = {"enum": values}
        if kinds == {str}:
            out["type"] = "string"
        return out
    if origin is list:
        return {"type": "array", "items": _schema(typing.get_args(tp)[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(typing.get_args(tp)[1], components)}
    simple = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"the catalogue uses {tp!r}, which the AsyncAPI generator does not know")


def _key(prefix: str, frame_type: str) -> str:
    return f"{prefix}.{frame_type}"


_DURABLE = "Durable: stored in the event log, replayed by `resume`."
_EPHEMERAL = "Ephemeral: never replayed."


def build_document(*, host: str = "127.0.0.1:8000", protocol: str = "ws") -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in CATALOGUE:
        data_schema = _schema(spec.data, schemas)
        id_schema = {"type": "integer", "minimum": 1} if spec.durable else {"type": "null"}
        messages[_key("server", spec.type)] = {
            "name": spec.type,
            "title": spec.type,
            "summary": spec.description,
            "description": f"{_DURABLE if spec.durable else _EPHEMERAL} To: {spec.recipients} ({spec.source})",
            "contentType": "application/json",
            "payload": {
                "type": "object",
                "required": ["id", "type", "ts", "data"],
                "additionalProperties": False,
                "properties": {
                    "id": id_schema,
                    "type": {"type": "string", "const": spec.type},
                    "ts": {"type": "string", "format": "date-time"},
                    "data": data_schema,
                },
            },
            "x-durable": spec.durable,
        }
    for frame_type, summary, properties, required in CLIENT_FRAMES:
        messages[_key("client", frame_type)] = {
            "name": frame_type,
            "title": frame_type,
            "summary": summary,
            "contentType": "application/json",
            "payload": {
                "type": "object",
                "required": ["type", *required],
                "properties": {"type": {"type": "string", "const": frame_type}, **properties},
            },
        }
    channel_ref = {"$ref": f"#/channels/{CHANNEL}"}
    server_keys = [_key("server", s.type) for s in CATALOGUE]
    client_keys = [_key("client", f[0]) for f in CLIENT_FRAMES]
    close_rows = "\n".join(f"- **{code}**: {meaning} {action}" for code, meaning, action in CLOSE_CODES)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Collective realtime",
            "version": str(settings.SPECTACULAR_SETTINGS.get("VERSION", "1.0.0")),
            "description": (
                "The WebSocket protocol of the Collective (contract §3, docs/realtime.md, docs/events.md). "
                'Every server frame is a JSON text `{"id", "type", "ts", "data"}`: `id` is the per-user, dense '
                "sequence number of a durable event (null for ephemeral frames); `data` depends on `type`. "
                "Generated from realtime/catalogue.py.\n\nClose codes:\n" + close_rows
            ),
            "externalDocs": {"description": "HTTP API (OpenAPI)", "url": f"http{protocol[2:]}://{host}/api/schema/"},
        },
        "servers": {
            "default": {
                "host": host,
                "protocol": protocol,
                "description": "The HTTP server's own host: the socket is served beside the API.",
                "security": [
                    {"$ref": "#/components/securitySchemes/ticket"},
                    {"$ref": "#/components/securitySchemes/session"},
                ],
            }
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": CHANNEL_ADDRESS,
                "title": "The user's socket",
                "description": (
                    "One socket per tab; every socket of a user receives the user's events. The first frame is "
                    "`hello`. `?last_event_id=N` resumes before any live event is written."
                ),
                "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in (*server_keys, *client_keys)},
                "bindings": {
                    "ws": {
                        "method": "GET",
                        "query": {
                            "type": "object",
                            "properties": {
                                "ticket": {
                                    "type": "string",
                                    "description": "From POST /api/v1/realtime/tickets/: single use, 60 s.",
                                },
                                "last_event_id": {"type": "integer", "minimum": 0},
                            },
                        },
                        "bindingVersion": "0.1.0",
                    }
                },
                "x-close-codes": [{"code": c, "meaning": m, "client": a} for c, m, a in CLOSE_CODES],
            }
        },
        "operations": {
            "sendServerFrames": {
                "action": "send",
                "channel": channel_ref,
                "title": "Server frames",
                "summary": "Every frame the server writes to the socket: events of the catalogue and protocol frames.",
                "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{key}"} for key in server_keys],
            },
            "receiveClientFrames": {
                "action": "receive",
                "channel": channel_ref,
                "title": "Client frames",
                "summary": "Frames the server accepts; anything else is answered with `error` (the socket stays open).",
                "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{key}"} for key in client_keys],
            },
        },
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "ticket": {
                    "type": "httpApiKey",
                    "name": "ticket",
                    "in": "query",
                    "description": (
                        "`POST /api/v1/realtime/tickets/` (authenticated) → a single-use ticket. It decides alone."
                    ),
                },
                "session": {
                    "type": "httpApiKey",
                    "name": settings.SESSION_COOKIE_NAME,
                    "in": "cookie",
                    "description": "The session cookie (browsers); the Origin header must then name an allowed host.",
                },
            },
        },
    }


@lru_cache(maxsize=8)
def _cached(host: str, protocol: str) -> dict[str, Any]:
    return build_document(host=host, protocol=protocol)


@require_GET
def asyncapi_view(request: HttpRequest) -> HttpResponse:
    """`GET /api/asyncapi/`: the document as JSON, or YAML with `?format=yaml`. Public, like the schema."""
    document = _cached(request.get_host(), "wss" if request.is_secure() else "ws")
    if request.GET.get("format") == "yaml":
        import yaml

        return HttpResponse(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), content_type="application/yaml"
        )
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})
