"""Parallel requests against real PostgreSQL: the unique constraints decide, and the loser of a
race answers with the winner's row instead of a duplicate or an error."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from messaging.models import Message, Thread
from messaging.services import thread_get_or_create
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_parallel_sends_with_one_client_id_make_one_message():
    alice, bob = UserFactory(), UserFactory()
    thread, _ = thread_get_or_create(user_a=alice, user_b=bob)
    clients = [client_for(alice) for _ in range(4)]
    url = f"/api/v1/threads/{thread.pk}/messages/"
    for attempt in range(5):
        client_id = f"parallel-{attempt}"
        responses = run_parallel(
            [lambda c=c, cid=client_id: c.post(url, {"body": "only once", "client_id": cid}) for c in clients]
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 200, 201], [getattr(r, "content", r) for r in responses]
        assert len({r.data["id"] for r in responses}) == 1
        assert Message.objects.filter(sender=alice, client_id=client_id).count() == 1
    assert Message.objects.count() == 5
    # One event per created message per participant: replays emit nothing.
    assert Event.objects.filter(type="message.created").count() == 10


def test_parallel_thread_opens_make_one_thread():
    alice, bob = UserFactory(), UserFactory()
    a, b = client_for(alice), client_for(bob)
    responses = run_parallel(
        [lambda: a.post("/api/v1/threads/", {"user": bob.pk}), lambda: b.post("/api/v1/threads/", {"user": alice.pk})]
        * 2
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [
        getattr(r, "content", r) for r in responses
    ]
    assert len({r.data["id"] for r in responses}) == 1
    assert Thread.objects.count() == 1


def test_parallel_read_markers_end_at_the_newest():
    alice, bob = UserFactory(), UserFactory()
    thread, _ = thread_get_or_create(user_a=alice, user_b=bob)
    client = client_for(alice)
    ids = [client.post(f"/api/v1/threads/{thread.pk}/messages/", {"body": f"m{i}"}).data["id"] for i in range(6)]
    readers = [client_for(bob) for _ in ids]
    responses = run_parallel(
        [
            lambda c=c, m=m: c.post(f"/api/v1/threads/{thread.pk}/read/", {"message": m})
            for c, m in zip(readers, ids, strict=True)
        ]
    )
    assert all(r.status_code == 200 for r in responses), [getattr(r, "content", r) for r in responses]
    from messaging.models import ThreadMembership

    assert ThreadMembership.objects.get(thread=thread, user=bob).last_read_message_id == max(ids)
    # Each published move went forward: in bob's stream the read ids strictly increase.
    moves = [e.data["message"] for e in Event.objects.filter(user=bob, type="thread.read").order_by("seq")]
    assert moves == sorted(set(moves)) and moves[-1] == max(ids)
