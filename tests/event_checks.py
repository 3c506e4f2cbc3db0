"""Every event the suite publishes is checked against the catalogue (realtime/catalogue.py).

The model is Zulip's `check_events`: tests exercise the real code paths, and every payload those
paths produce is validated against the schema clients rely on, so a field renamed in a serializer
or a `None` where the catalogue says `int` fails the test that published it.

Observed at the two functions every frame passes through:
- `Event.envelope`: publish builds the envelope of each row it writes with it (and replay of the
  log does too, so stored rows are checked as a client reads them);
- `ephemeral_envelope`: builds every ephemeral frame, the publishers' and the consumer's own
  protocol frames (`hello`, `error`, ...). The consumer imported it by name, so both module
  bindings are wrapped.

The wrappers only look: they call the original and return its result, and a bad payload is
recorded, not raised (raising would change what the code under test does, and an exception in a
consumer or a `logger.exception` block could be swallowed). The test then fails after its body,
naming the type and the path of each bad key. Loaded from tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from realtime.catalogue import EventSchemaError, validate_event


class EventChecks:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0

    def check(self, type: str, data: Any) -> None:
        self.checked += 1
        try:
            validate_event(type, data)
        except EventSchemaError as exc:
            self.problems.append(str(exc))

    def take(self) -> list[str]:
        """The problems recorded so far, forgotten (for tests of this checker itself)."""
        problems, self.problems = self.problems, []
        return problems


_checks = EventChecks()


@pytest.fixture(scope="session", autouse=True)
def _event_schema_wrappers() -> Iterator[None]:
    from realtime import consumers, publish
    from realtime.models import Event

    original_envelope = Event.envelope
    original_ephemeral = publish.ephemeral_envelope

    def envelope(self: Event) -> dict:
        _checks.check(self.type, self.data)
        return original_envelope(self)

    def ephemeral_envelope(type: str, data: dict[str, Any]) -> dict[str, Any]:
        result = original_ephemeral(type, data)  # first: it refuses unknown types itself
        _checks.check(type, data)
        return result

    mp = pytest.MonkeyPatch()
    mp.setattr(Event, "envelope", envelope)
    mp.setattr(publish, "ephemeral_envelope", ephemeral_envelope)
    mp.setattr(consumers, "ephemeral_envelope", ephemeral_envelope)
    yield
    mp.undo()


@pytest.fixture
def event_checks() -> EventChecks:
    """The recorder, for tests that publish a bad payload on purpose to test the checker."""
    return _checks


def _report(when: str) -> None:
    problems = _checks.take()
    if problems:
        pytest.fail(
            f"events published {when} do not match realtime/catalogue.py:\n  " + "\n  ".join(problems), pytrace=False
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    result = yield
    _report("during this test's setup")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # a failure of the test itself propagates from here, as it is
    _report("by this test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # Fixture finalizers publish too (a socket closed at teardown announces presence).
    result = yield
    _report("during this test's teardown")
    return result


# A valid durable event for tests of delivery mechanics (ids, order, commit, replay), which need
# some event rather than a particular one: publish refuses types outside the catalogue, and the
# checks above refuse payloads outside it. `n` tells the events apart (`data["amount"]`).
PROBE = "points.awarded"


def probe(n: int = 0) -> dict[str, Any]:
    return {"amount": n, "action": "probe", "reason": f"probe {n}", "total_points": n}
