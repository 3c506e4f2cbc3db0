"""One publish path: after commit only, per-user ids, every socket of every recipient; resume."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from realtime.models import Event, Stream
from realtime.publish import group_name, publish
from realtime.selectors import ReplayGap, replay_batches
from realtime.tasks import events_prune
from tests.event_checks import PROBE, probe
from tests.factories import UserFactory

from .conftest import open_socket, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)


def _log_events(user, count: int, *, start: int = 1, age: timedelta = timedelta(0)) -> None:
    """Events as earlier publishes (whose live copies are gone) left them in the log."""
    when = datetime.now(UTC) - age
    Event.objects.bulk_create(
        [Event(user=user, seq=s, type=PROBE, data=probe(s), created_at=when) for s in range(start, start + count)]
    )
    Stream.objects.update_or_create(user=user, defaults={"last_event_id": start + count - 1})


def test_ids_strictly_increasing_per_user():
    a, b = UserFactory(), UserFactory()
    publish([a.pk, b.pk], PROBE, probe(1))
    publish([a.pk], PROBE, probe(2))
    publish([b.pk, a.pk, a.pk], PROBE, probe(3))
    assert list(Event.objects.filter(user=a).order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    assert list(Event.objects.filter(user=b).order_by("id").values_list("seq", flat=True)) == [1, 2]


def test_ephemeral_types_cannot_be_published_durably():
    user = UserFactory()
    with pytest.raises(ValueError):
        publish([user.pk], "typing", {})


async def test_every_socket_of_each_recipient_gets_it_outsider_nothing():
    a, b, outsider = [await database_sync_to_async(UserFactory)() for _ in range(3)]
    a1, _ = await open_socket(a)
    a2, _ = await open_socket(a)
    b1, _ = await open_socket(b)
    o1, _ = await open_socket(outsider)
    await database_sync_to_async(publish)([a.pk, b.pk], PROBE, probe(7))
    for comm, _recipient in ((a1, a), (a2, a), (b1, b)):
        frame = (await receive_until(comm, PROBE))[-1]
        assert frame["id"] == 1 and frame["data"] == probe(7)
    assert await o1.receive_nothing(timeout=0.3)
    for comm in (a1, a2, b1, o1):
        await comm.disconnect()


async def test_rollback_emits_nothing():
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)

    def failing_write() -> None:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                publish([user.pk], PROBE, probe(1))
                raise RuntimeError("the caller's transaction fails")

    await database_sync_to_async(failing_write)()
    assert await comm.receive_nothing(timeout=0.3)
    assert not await database_sync_to_async(Event.objects.filter(user=user).exists)()
    # The next event still gets id 1: the rolled-back one never existed.
    await database_sync_to_async(publish)([user.pk], PROBE, probe(2))
    assert (await receive_until(comm, PROBE))[-1]["id"] == 1
    await comm.disconnect()


async def test_nothing_is_sent_before_commit():
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    proceed, written = threading.Event(), threading.Event()

    def slow_write() -> None:
        with transaction.atomic():
            publish([user.pk], PROBE, probe(3))
            written.set()
            proceed.wait(5)

    task = asyncio.create_task(database_sync_to_async(slow_write, thread_sensitive=False)())
    await asyncio.get_running_loop().run_in_executor(None, written.wait, 5)
    assert await comm.receive_nothing(timeout=0.3)  # written, not committed: nothing out
    proceed.set()
    await task
    assert (await receive_until(comm, PROBE))[-1]["id"] == 1
    await comm.disconnect()


async def test_resume_replays_in_order_once_then_resumed():
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(_log_events)(user, 5)
    comm, hello = await open_socket(user)
    assert hello["data"]["last_event_id"] == 5
    await send(comm, {"type": "resume", "last_event_id": 2})
    frames = await receive_until(comm, "resumed")
    assert [f["id"] for f in frames[:-1]] == [3, 4, 5]
    assert [f["data"]["amount"] for f in frames[:-1]] == [3, 4, 5]
    assert frames[-1]["id"] is None
    # Up to date: nothing to replay.
    await send(comm, {"type": "resume", "last_event_id": 5})
    assert [f["type"] for f in await receive_until(comm, "resumed")] == ["resumed"]
    await comm.disconnect()


async def test_resume_at_connect_via_query_param():
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(_log_events)(user, 3)
    comm, _ = await open_socket(user, path="/ws/?last_event_id=1")
    frames = await receive_until(comm, "resumed")
    assert [f["id"] for f in frames[:-1]] == [2, 3]
    await comm.disconnect()


@pytest.mark.parametrize(
    "own_thread",
    [
        # Each publish is queued on the same sync thread as the replay's batch queries, so they
        # interleave between batches (SQLite's in-memory test database allows no concurrent writer).
        False,
        # A truly concurrent writer, on PostgreSQL.
        pytest.param(True, marks=pytest.mark.postgres),
    ],
)
async def test_live_events_during_replay_neither_lost_nor_doubled(settings, own_thread):
    settings.REALTIME = {**settings.REALTIME, "REPLAY_BATCH": 50}
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(_log_events)(user, 600)
    comm, _ = await open_socket(user)
    await send(comm, {"type": "resume", "last_event_id": 0})
    first = await comm.receive_json_from()
    assert first["id"] == 1

    # Published while the replay runs: some land in a later batch *and* arrive live.
    for n in range(5):
        await database_sync_to_async(publish, thread_sensitive=not own_thread)([user.pk], PROBE, probe(n))
    frames = [first] + await receive_until(comm, "resumed", timeout=10)
    ids = [f["id"] for f in frames if f["id"] is not None]
    # Whatever was not replayed comes live after `resumed`.
    while len(ids) < 605:
        frame = await comm.receive_json_from(timeout=3)
        if frame["id"] is not None:
            ids.append(frame["id"])
    assert ids == list(range(1, 606))
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()


async def test_live_copy_of_replayed_event_is_dropped_and_gap_is_filled():
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    await database_sync_to_async(_log_events)(user, 3)  # their live copies were lost
    await send(comm, {"type": "resume", "last_event_id": 0})
    assert [f["id"] for f in (await receive_until(comm, "resumed"))[:-1]] == [1, 2, 3]
    # A late live copy of a replayed event is not sent twice.
    stale = (await database_sync_to_async(Event.objects.get)(user=user, seq=2)).envelope()
    await get_channel_layer().group_send(group_name(user.pk), {"type": "event.deliver", "event": stale})
    assert await comm.receive_nothing(timeout=0.3)
    # Events 4, 5 lost by the layer, 6 arrives: the socket gets 4, 5 from the log, then 6.
    await database_sync_to_async(_log_events)(user, 2, start=4)
    await database_sync_to_async(publish)([user.pk], PROBE, probe(6))
    frames = [await comm.receive_json_from(timeout=3) for _ in range(3)]
    assert [f["id"] for f in frames] == [4, 5, 6]
    await comm.disconnect()


async def test_resume_older_than_retention_requires_resync():
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(_log_events)(user, 4, age=timedelta(hours=49))
    await database_sync_to_async(_log_events)(user, 2, start=5)
    assert await database_sync_to_async(events_prune)() == 4
    comm, _ = await open_socket(user)
    await send(comm, {"type": "resume", "last_event_id": 1})
    frame = (await receive_until(comm, "resync_required"))[-1]
    assert frame["data"] == {"last_event_id": 6}
    # From 4 on, the log is whole: 5, 6 replay.
    await send(comm, {"type": "resume", "last_event_id": 4})
    assert [f["id"] for f in (await receive_until(comm, "resumed"))[:-1]] == [5, 6]
    # An id this stream never handed out.
    await send(comm, {"type": "resume", "last_event_id": 99})
    assert (await receive_until(comm, "resync_required"))[-1]["type"] == "resync_required"
    await comm.disconnect()


def test_prune_keeps_events_within_24h_even_if_setting_is_lower(settings):
    settings.REALTIME = {**settings.REALTIME, "EVENT_RETENTION": timedelta(hours=1)}
    user = UserFactory()
    _log_events(user, 2, age=timedelta(hours=23))
    _log_events(user, 1, start=3, age=timedelta(hours=25))
    assert events_prune() == 1
    assert set(Event.objects.filter(user=user).values_list("seq", flat=True)) == {1, 2}


def test_replay_uses_one_query_per_batch():
    user = UserFactory()
    _log_events(user, 1200)
    with CaptureQueriesContext(connection) as ctx:
        batches = list(replay_batches(user_id=user.pk, after=0, batch=500))
    assert [len(b) for b in batches] == [500, 500, 200]
    assert len(ctx.captured_queries) == 3
    assert [e["id"] for b in batches for e in b] == list(range(1, 1201))


def test_replay_detects_pruned_hole():
    user = UserFactory()
    _log_events(user, 3, start=5)
    Stream.objects.filter(user=user).update(last_event_id=7)
    with pytest.raises(ReplayGap):
        list(replay_batches(user_id=user.pk, after=2))


@pytest.mark.postgres
def test_parallel_publishers_get_dense_unique_ids_per_user():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    a, b = UserFactory(), UserFactory()

    def worker(n: int) -> None:
        try:
            for i in range(10):
                publish([a.pk, b.pk] if i % 2 else [b.pk, a.pk], PROBE, probe(n * 10 + i))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(worker, range(6)))
    for user in (a, b):
        seqs = list(Event.objects.filter(user=user).order_by("id").values_list("seq", flat=True))
        # Commit order is insertion order here: ids strictly increase with it and have no holes.
        assert seqs == list(range(1, 61))
    assert Stream.objects.get(user=a).last_event_id == 60
