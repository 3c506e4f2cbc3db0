"""The domain-event dispatcher: a service announces what happened, subscribers react.

A domain app (collective, messaging, …) declares its events as frozen dataclasses in its own
`events.py` and calls `announce(event)` after its write, inside its transaction. Apps that react
(notifications, points, realtime fan-out) register handlers with `subscribe` in their
`subscribers.py`, loaded from their `AppConfig.ready()`; the domain never imports them.

Two phases:

- ``"in_transaction"``: run synchronously by `announce`, in registration order, inside the
  caller's transaction. For what must be atomic with the write (notification rows, ledger rows,
  event-log rows). An exception propagates to the service and rolls the write back.
- ``"on_commit"``: queued with `transaction.on_commit` (on the default database); run after the
  commit, never after a rollback. For what talks to the outside (channel layer, Celery,
  providers). Each runs on its own: one that fails is logged and the others still run.

Registration order is the run order, within an `order` (default 0; lower runs first): realtime's
fan-out subscribes with a negative `order` so that the socket event of the write itself reaches a
recipient's stream before the events its reactions publish (a notification), whatever order the
apps' `ready()` run in. Where order matters (row-lock order, see docs/economy.md) the subscribing
module says so next to its `subscribe` calls. `announce` with no subscriber for the event's type
costs one dict lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

Phase = Literal["in_transaction", "on_commit"]


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event: a frozen dataclass naming what happened, by ids (and, for
    in-transaction subscribers on a hot path, the instances the service already holds)."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E], object]

# event type -> handlers, per phase, in run order. Exact types only: an event's subscribers are
# those of its class.
_in_transaction: dict[type[DomainEvent], list[Callable[[DomainEvent], object]]] = {}
_on_commit: dict[type[DomainEvent], list[Callable[[DomainEvent], object]]] = {}
# (phase, event type, handler) -> its `order`, read only when subscribing.
_orders: dict[tuple[str, type[DomainEvent], Callable[..., object]], int] = {}


def subscribe(
    event_type: type[E], handler: Callable[[E], object], *, phase: Phase = "in_transaction", order: int = 0
) -> None:
    """Register `handler` for `event_type`. Handlers run by ascending `order`, and in registration
    order within one. Idempotent: the same handler twice is one registration (an
    AppConfig.ready() run again, as some test runners do, changes nothing)."""
    if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
        raise TypeError(f"{event_type!r} is not a DomainEvent subclass")
    if phase == "in_transaction":
        registry = _in_transaction
    elif phase == "on_commit":
        registry = _on_commit
    else:
        raise ValueError(f"unknown phase {phase!r}: 'in_transaction' or 'on_commit'")
    handlers = registry.setdefault(event_type, [])
    if handler in handlers:
        return
    position = len(handlers)
    while position and _orders.get((phase, event_type, handlers[position - 1]), 0) > order:
        position -= 1
    handlers.insert(position, handler)  # type: ignore[arg-type]
    _orders[(phase, event_type, handler)] = order


def unsubscribe(event_type: type[DomainEvent], handler: Callable[..., object]) -> None:
    """Remove `handler` from both phases (tests that register temporary subscribers)."""
    for phase, registry in (("in_transaction", _in_transaction), ("on_commit", _on_commit)):
        handlers = registry.get(event_type)
        if handlers and handler in handlers:
            handlers.remove(handler)
            _orders.pop((phase, event_type, handler), None)
            if not handlers:
                del registry[event_type]


def subscribers(event_type: type[DomainEvent]) -> dict[str, list[Callable[..., object]]]:
    """What runs for `event_type`, per phase, in order (for tests and docs)."""
    return {
        "in_transaction": list(_in_transaction.get(event_type, ())),
        "on_commit": list(_on_commit.get(event_type, ())),
    }


def announce(event: DomainEvent) -> None:
    """Tell the subscribers of `type(event)`: in-transaction ones now, in registration order (an
    exception propagates), on-commit ones queued for after the commit."""
    cls = type(event)
    handlers = _in_transaction.get(cls)
    if handlers:
        for handler in handlers:
            handler(event)
    later = _on_commit.get(cls)
    if later:
        for handler in later:
            transaction.on_commit(_robust(handler, event))


def _robust(handler: Callable[[DomainEvent], object], event: DomainEvent) -> Callable[[], None]:
    def run() -> None:
        try:
            handler(event)
        except Exception:  # after the commit nothing can be undone: log, and let the others run
            logger.exception("on-commit subscriber %r failed for %r", handler, event)

    return run
