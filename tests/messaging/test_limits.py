from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from collective.models import Connection, ConnectionType
from core.errors import RateLimited
from messaging.models import Message, Thread
from messaging.services import thread_get_or_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def away_from_minute_edge() -> None:
    """Start a burst well inside one minute window, so what the test sees does not depend on
    where the wall clock happens to be."""
    if time.time() % 60 > 50:
        time.sleep(60 - time.time() % 60 + 0.05)


URL = "/api/v1/threads/"


def test_send_rate_limit_is_429_with_retry_after(alice, bob, thread, alice_client, bob_client, settings):
    settings.MESSAGING = {"SEND_RATE_PER_MINUTE": 3}
    away_from_minute_edge()
    for i in range(3):
        assert alice_client.post(f"{URL}{thread.pk}/messages/", {"body": f"m{i}"}).status_code == 201
    r = alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "one too many"})
    assert r.status_code == 429 and r.data["code"] == "send_rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 120
    assert Message.objects.count() == 3
    # The limit is per user.
    assert bob_client.post(f"{URL}{thread.pk}/messages/", {"body": "me too"}).status_code == 201
    # Refused attempts are not counted: hammering does not push the limit further away.
    for _ in range(5):
        assert alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "again"}).status_code == 429
    assert cache.get(next(k for k in _rate_keys(alice))) == 3


def _rate_keys(user):
    window = int(time.time() // 60)
    return [f"messaging:send-rate:{user.pk}:{window}"]


def test_burst_across_a_window_edge_is_still_limited(alice, thread, settings):
    """The previous window's sends still count while they are within the last minute."""
    from messaging.services import message_send

    settings.MESSAGING = {"SEND_RATE_PER_MINUTE": 4}
    away_from_minute_edge()
    window = int(time.time() // 60)
    cache.set(f"messaging:send-rate:{alice.pk}:{window - 1}", 4, timeout=180)
    # Only the part of the previous window that slid out of the last minute frees slots.
    elapsed = (time.time() % 60) / 60
    allowed = int(4 - 4 * (1 - elapsed))
    for i in range(allowed):
        message_send(thread=thread, sender=alice, body=f"m{i}")
    with pytest.raises(RateLimited) as err:
        message_send(thread=thread, sender=alice, body="over")
    assert 1 <= err.value.retry_after <= 120


def test_replay_of_a_client_id_is_not_rate_limited(alice, thread, alice_client, settings):
    settings.MESSAGING = {"SEND_RATE_PER_MINUTE": 1}
    r = alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "x", "client_id": "retry-me"})
    assert r.status_code == 201
    r2 = alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "x", "client_id": "retry-me"})
    assert r2.status_code == 200 and r2.data["id"] == r.data["id"]


def test_default_send_rate_is_thirty_a_minute(alice, thread, alice_client):
    away_from_minute_edge()
    for i in range(30):
        assert alice_client.post(f"{URL}{thread.pk}/messages/", {"body": f"m{i}"}).status_code == 201
    assert alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "31"}).status_code == 429


def test_new_threads_with_strangers_per_day(alice, alice_client, settings):
    settings.MESSAGING = {"NEW_STRANGER_THREADS_PER_DAY": 2}
    strangers = [UserFactory() for _ in range(3)]
    for s in strangers[:2]:
        assert alice_client.post(URL, {"user": s.pk}).status_code == 201
    r = alice_client.post(URL, {"user": strangers[2].pk})
    assert r.status_code == 429 and r.data["code"] == "stranger_thread_limit"
    assert 80_000 < int(r["Retry-After"]) <= 86_401
    # Existing threads still open.
    assert alice_client.post(URL, {"user": strangers[0].pk}).status_code == 200
    # A user she is connected with is no stranger.
    friend = UserFactory()
    Connection.objects.create(
        initiator=friend, responder=alice, connection_type=ConnectionType.DIRECT, initial_message="hello"
    )
    assert alice_client.post(URL, {"user": friend.pk}).status_code == 201
    # A thread someone else opened with her does not count against her.
    thread_get_or_create(user_a=UserFactory(), user_b=alice)
    assert Thread.objects.filter(created_by=alice, opened_to_stranger=True).count() == 2
    # The window is rolling: a day later the slots are free again.
    Thread.objects.filter(created_by=alice).update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    assert alice_client.post(URL, {"user": strangers[2].pk}).status_code == 201


@pytest.mark.parametrize(
    "limit, previous, current, elapsed",
    [(3, 0, 3, 0.0), (3, 3, 0, 0.1), (30, 30, 29, 0.5), (30, 12, 30, 0.9), (30, 30, 29, 0.99), (1, 1, 1, 0.3)],
)
def test_retry_after_is_when_the_next_send_fits(limit, previous, current, elapsed):
    """Evaluates the sliding estimate at now + Retry-After (allowed) and a second earlier (not)."""
    from messaging.services import _send_retry_after

    def fits(t: float) -> bool:
        pos = elapsed + t / 60
        if pos < 1:
            return previous * (1 - pos) + current + 1 <= limit + 1e-9
        return current * (1 - (pos - 1)) + 1 <= limit + 1e-9 if pos < 2 else True

    assert not fits(0)
    retry = _send_retry_after(limit, previous, current, elapsed, 60.0)
    assert fits(retry) and not fits(retry - 1)
