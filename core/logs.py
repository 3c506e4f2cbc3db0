"""Structured logs: one line per HTTP request, per socket session and per Celery task, each
carrying the request id (docs/operations.md, "Logs").

- `formatter(format=...)`: the formatter of the LOGGING handler (config/settings.py). structlog's
  `ProcessorFormatter` over the stdlib logging the project (and Django, Celery, channels) already
  logs through: every record, ours or a library's, gets the bound context (request_id, ...),
  a level, a logger name and a UTC timestamp, and is rendered as one JSON object per line
  (`LOG_FORMAT=json`) or as coloured key=value text for a terminal (`console`).
- `RequestIdMiddleware`: takes `X-Request-ID` from the request when it is sane (1-128 characters of
  `[A-Za-z0-9._:-]`; anything else is replaced), else a new uuid4 hex; binds it for every log line
  of the request; sets it on every response that goes through Django; logs the request's line
  (`http.request`) at its end.
- `SocketSession`: the same for a WebSocket (realtime/consumers.py): bound at connect, one
  `ws.session` line at the end.
- Celery: `before_task_publish` puts the current request id in the task's headers, `task_prerun`
  binds it in the worker (and on the embedded default, where the task runs inside the request, the
  request's own binding is simply kept), `task_postrun` logs one `celery.task` line and restores
  what was bound before.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars, merge_contextvars, reset_contextvars

HEADER = "X-Request-ID"
TASK_HEADER = "collective_request_id"
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

access_logger = structlog.get_logger("collective.access")
socket_logger = structlog.get_logger("collective.socket")
task_logger = structlog.get_logger("collective.task")

# The HttpRequest being served in this context (read by core/sentry.py for the user id of an event).
current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("collective_current_request", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str:
    """The client's id when it is safe to log and echo, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    value = get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


# --- configuration ------------------------------------------------------------------------------
_SHARED: list[Any] = [
    merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
_configured = False


def _request_id_of_record(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Django logs a 4xx ("Not Found: /x") after the middleware chain has returned, with the
    request in the record: the line still carries that request's id."""
    if "request_id" not in event_dict:
        request = getattr(event_dict.get("_record"), "request", None)
        request_id = getattr(request, "request_id", None)
        if request_id is not None:
            event_dict["request_id"] = request_id
    return event_dict


def configure() -> None:
    """structlog's loggers hand their events to stdlib logging (once per process)."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


def formatter(format: str = "json") -> logging.Formatter:
    """The LOGGING formatter: `json` (one object per line) or `console` (for a terminal)."""
    configure()
    if format == "console":
        renderer: Any = structlog.dev.ConsoleRenderer()
        tail: list[Any] = []
    elif format == "json":
        renderer = structlog.processors.JSONRenderer()
        tail = [structlog.processors.format_exc_info]
    else:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'console', not {format!r}")
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, _request_id_of_record],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )


# --- HTTP ---------------------------------------------------------------------------------------
def _user_id(request: Any) -> int | None:
    """The request's user id without causing a query: DRF sets `request.user` on the HttpRequest
    when it authenticates; Django's lazy session user is read only if something evaluated it."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or type(wrapped).__name__ == "object":  # an unevaluated SimpleLazyObject
        return None
    return getattr(wrapped, "pk", None) if getattr(wrapped, "is_authenticated", False) else None


class RequestIdMiddleware:
    """Early in MIDDLEWARE: binds the request id, echoes it on the response, logs the request."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        # Here, not at the top: this module is imported by the LOGGING configuration, before the
        # settings are ready.
        from core.metrics_view import route_of

        self.get_response = get_response
        self.route_of = route_of

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        request_id = sane_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        tokens = bind_contextvars(request_id=request_id)
        request_token = current_request.set(request)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            status = response.status_code
            # A 5xx is a WARNING line here: its exception, if any, is logged at ERROR with its
            # traceback by Django (django.request); a 503 for an outage is not an error of ours.
            (access_logger.warning if status >= 500 else access_logger.info)(
                "http.request",
                method=request.method,
                route=self.route_of(request),
                path=request.path,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=_user_id(request),
                client_ip=request.META.get("REMOTE_ADDR"),
            )
            return response
        finally:
            current_request.reset(request_token)
            reset_contextvars(**tokens)


# --- WebSocket ----------------------------------------------------------------------------------
class SocketSession:
    """One socket's request id and counters; `end()` logs its `ws.session` line once."""

    __slots__ = ("request_id", "started", "frames_in", "frames_out", "close_code", "_tokens", "_ended")

    def __init__(self, scope: dict) -> None:
        given = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                given = value.decode("latin1")
                break
        self.request_id = sane_request_id(given)
        self.started = time.monotonic()
        self.frames_in = 0
        self.frames_out = 0
        self.close_code: int | None = None
        self._ended = False
        # The consumer runs in a task of its own: what is bound here is this socket's.
        self._tokens = bind_contextvars(request_id=self.request_id)

    def end(self, user_id: int | None) -> None:
        if self._ended:
            return
        self._ended = True
        socket_logger.info(
            "ws.session",
            user_id=user_id,
            duration_ms=round((time.monotonic() - self.started) * 1000, 1),
            frames_in=self.frames_in,
            frames_out=self.frames_out,
            close_code=self.close_code,
        )
        reset_contextvars(**self._tokens)


# --- Celery -------------------------------------------------------------------------------------
def _before_publish(sender: Any = None, headers: dict | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id is not None:
        headers[TASK_HEADER] = request_id


def _request_id_of(task_request: Any) -> str | None:
    value = getattr(task_request, TASK_HEADER, None)
    if value is None:
        headers = getattr(task_request, "headers", None)
        value = headers.get(TASK_HEADER) if isinstance(headers, dict) else None
    return value if isinstance(value, str) and _SANE.fullmatch(value) else None


def _prerun(sender: Any = None, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task is None:
        return
    request = task.request
    bound: dict[str, Any] = {"task": task.name, "task_id": task_id}
    request_id = _request_id_of(request)
    if request_id is not None:
        bound["request_id"] = request_id
    elif current_request_id() is None:
        bound["request_id"] = None  # a beat task or a re-publish: no request of origin
    request.collective_log = (bind_contextvars(**bound), time.monotonic())


def _postrun(sender: Any = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    if task is None:
        return
    saved = getattr(task.request, "collective_log", None)
    if saved is None:
        return
    tokens, started = saved
    task.request.collective_log = None
    task_logger.info("celery.task", state=state, duration_ms=round((time.monotonic() - started) * 1000, 1))
    reset_contextvars(**tokens)


def connect_signals() -> None:
    """Connect the Celery handlers (once; from CoreConfig.ready, in every process)."""
    from celery import signals

    signals.before_task_publish.connect(_before_publish, dispatch_uid="collective-logs-publish")
    signals.task_prerun.connect(_prerun, dispatch_uid="collective-logs-prerun")
    signals.task_postrun.connect(_postrun, dispatch_uid="collective-logs-postrun")
