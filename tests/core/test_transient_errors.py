"""A transaction that loses a lock race is rolled back whole; the API answers 503 + Retry-After
(nothing was saved, the same request may be sent again), never a 500."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from core.errors import exception_handler
from realtime.publish import publish
from tests.event_checks import PROBE, probe
from tests.factories import UserFactory


def _deadlock_error(a_id: int, b_id: int) -> OperationalError:
    """Provoke a real deadlock: two transactions publish to two users' streams in opposite order."""
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def worker(first: int, second: int) -> None:
        try:
            with transaction.atomic():
                publish([first], PROBE, probe(1))
                barrier.wait()
                publish([second], PROBE, probe(2))
        except BaseException as exc:  # noqa: BLE001 — collected for the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(a_id, b_id)), threading.Thread(target=worker, args=(b_id, a_id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    deadlocks = [e for e in errors if isinstance(e, OperationalError)]
    assert len(deadlocks) == 1, errors  # PostgreSQL breaks the cycle by aborting exactly one
    return deadlocks[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_is_a_503_with_retry_after():
    a, b = UserFactory(), UserFactory()
    publish([a.pk, b.pk], PROBE, probe())  # both streams exist, so the publishes below only lock
    error = _deadlock_error(a.pk, b.pk)
    response = exception_handler(error, {})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data["code"] == "retry_later"


def test_other_operational_errors_are_not_masked():
    assert exception_handler(OperationalError("no such table: x"), {}) is None
