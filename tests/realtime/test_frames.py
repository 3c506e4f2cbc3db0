"""Client frames: presence, typing, read, and bad input / floods / size limits."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from collective.models import Block, Follow
from messaging.services import message_send, thread_get_or_create
from realtime import presence
from realtime.consumers import sweep_presence
from tests.factories import UserFactory

from .conftest import expect_close, open_socket, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def users(n: int):
    return [UserFactory() for _ in range(n)]


@database_sync_to_async
def thread_between(a, b):
    return thread_get_or_create(user_a=a, user_b=b)[0]


async def frames_of(comm, type_: str, timeout: float = 0.5) -> list[dict]:
    """Frames of `type_` received within the next `timeout` seconds."""
    await asyncio.sleep(timeout)
    out = []
    while not comm.output_queue.empty():
        frame = await comm.receive_json_from()
        if frame["type"] == type_:
            out.append(frame)
    return out


# --- presence --------------------------------------------------------------------------------
async def test_presence_goes_to_followers_and_partners_only():
    target, follower, partner, outsider, blocked = await users(5)
    await database_sync_to_async(Follow.objects.create)(follower=follower, following=target)
    await database_sync_to_async(Follow.objects.create)(follower=blocked, following=target)
    await database_sync_to_async(Block.objects.create)(blocker=target, blocked=blocked)
    await thread_between(target, partner)
    watchers = {u.pk: (await open_socket(u))[0] for u in (follower, partner, outsider, blocked)}

    t1, _ = await open_socket(target)
    for uid in (follower.pk, partner.pk):
        frame = (await receive_until(watchers[uid], "presence"))[-1]
        assert frame["id"] is None
        assert frame["data"]["user"] == target.pk and frame["data"]["status"] == "online"
    for uid in (outsider.pk, blocked.pk):
        assert await watchers[uid].receive_nothing(timeout=0.3)

    # A second socket is no news; closing one of two is no news; closing the last is.
    t2, _ = await open_socket(target)
    assert await watchers[follower.pk].receive_nothing(timeout=0.3)
    await t1.disconnect()
    assert await watchers[follower.pk].receive_nothing(timeout=0.3)
    await t2.disconnect()
    for uid in (follower.pk, partner.pk):
        frame = (await receive_until(watchers[uid], "presence"))[-1]
        assert frame["data"]["status"] == "offline" and frame["data"]["last_seen"]
    assert await watchers[outsider.pk].receive_nothing(timeout=0.3)
    for comm in watchers.values():
        await comm.disconnect()


async def test_presence_query_answers_only_for_allowed_users():
    me, followed, partner, outsider = await users(4)
    await database_sync_to_async(Follow.objects.create)(follower=me, following=followed)
    await thread_between(partner, me)
    online, _ = await open_socket(followed)
    comm, _ = await open_socket(me)
    await send(comm, {"type": "presence.query", "users": [followed.pk, partner.pk, outsider.pk, 999999]})
    frame = (await receive_until(comm, "presence.state"))[-1]
    assert frame["id"] is None
    states = frame["data"]["users"]
    assert set(states) == {str(followed.pk), str(partner.pk)}
    assert states[str(followed.pk)]["status"] == "online" and states[str(followed.pk)]["last_seen"]
    assert states[str(partner.pk)] == {"status": "offline", "last_seen": None}
    # Following is one-way: the followed user may not query their follower.
    await send(online, {"type": "presence.query", "users": [me.pk]})
    assert (await receive_until(online, "presence.state"))[-1]["data"]["users"] == {}
    await online.disconnect()
    await comm.disconnect()


@pytest.mark.parametrize("users_value", ["1", [1, "2"], [True], None, {"a": 1}])
async def test_presence_query_wrong_types_get_error(users_value):
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    await send(comm, {"type": "presence.query", "users": users_value})
    frame = (await receive_until(comm, "error"))[-1]
    assert frame["data"]["code"] == "invalid" and "users" in frame["data"]["detail"]
    await send(comm, {"type": "ping"})
    assert (await receive_until(comm, "pong"))[-1]["type"] == "pong"
    await comm.disconnect()


async def test_dead_socket_expires_and_sweep_announces_offline_once(settings):
    settings.REALTIME = {**settings.REALTIME, "PRESENCE_TTL": 0.5, "HEARTBEAT_SECONDS": 0.1}
    target, follower = await users(2)
    await database_sync_to_async(Follow.objects.create)(follower=follower, following=target)
    watcher, _ = await open_socket(follower)
    # A socket on a process that died: registered, never refreshed, never disconnected.
    store = presence.backend()
    assert await store.touch(target.pk, "specific.dead-process!abc") is True
    assert (await store.query([target.pk]))[target.pk].online
    # This process's sweeper (it holds the watcher's socket) finds it expired and says so.
    frame = (await receive_until(watcher, "presence", timeout=3))[-1]
    assert frame["data"]["user"] == target.pk and frame["data"]["status"] == "offline"
    assert not (await store.query([target.pk]))[target.pk].online
    # The watcher's own heartbeats keep it online; nobody is announced twice.
    assert (await store.query([follower.pk]))[follower.pk].online
    assert await sweep_presence() == []
    assert await frames_of(watcher, "presence", timeout=0.5) == []
    await watcher.disconnect()


# --- typing ----------------------------------------------------------------------------------
async def test_typing_relayed_to_other_participant_only_and_expires(settings):
    settings.REALTIME = {**settings.REALTIME, "TYPING_TTL": 0.4}
    a, b, outsider = await users(3)
    thread = await thread_between(a, b)
    ca, _ = await open_socket(a)
    ca2, _ = await open_socket(a)
    cb, _ = await open_socket(b)
    co, _ = await open_socket(outsider)
    await send(ca, {"type": "typing", "thread": thread.pk, "state": "start"})
    frame = (await receive_until(cb, "typing"))[-1]
    assert frame["id"] is None
    assert {k: frame["data"][k] for k in ("thread", "user", "state")} == {
        "thread": thread.pk,
        "user": a.pk,
        "state": "start",
    }
    # Nobody asked it to stop: the server says stop after the TTL.
    frame = (await receive_until(cb, "typing", timeout=2))[-1]
    assert frame["data"]["state"] == "stop" and frame["data"]["user"] == a.pk
    # The sender's own sockets and the outsider hear nothing.
    assert await frames_of(ca2, "typing", timeout=0.2) == []
    assert await co.receive_nothing(timeout=0.2)
    # An explicit stop is relayed at once.
    await send(ca, {"type": "typing", "thread": thread.pk, "state": "start"})
    await send(ca, {"type": "typing", "thread": thread.pk, "state": "stop"})
    states = [f["data"]["state"] for f in await frames_of(cb, "typing", timeout=0.6)]
    assert states == ["start", "stop"]
    for comm in (ca, ca2, cb, co):
        await comm.disconnect()


async def test_typing_from_non_participant_is_error_and_not_relayed():
    a, b, outsider = await users(3)
    thread = await thread_between(a, b)
    ca, _ = await open_socket(a)
    cb, _ = await open_socket(b)
    co, _ = await open_socket(outsider)
    await send(co, {"type": "typing", "thread": thread.pk, "state": "start"})
    assert (await receive_until(co, "error"))[-1]["data"]["code"] == "not_found"
    assert await frames_of(ca, "typing", 0.3) == [] and await frames_of(cb, "typing", 0.1) == []
    for bad in ({"thread": "x", "state": "start"}, {"thread": thread.pk, "state": "typing"}, {"state": "start"}):
        await send(ca, {"type": "typing", **bad})
        assert (await receive_until(ca, "error"))[-1]["data"]["code"] == "invalid"
    assert await frames_of(cb, "typing", 0.3) == []
    for comm in (ca, cb, co):
        await comm.disconnect()


async def test_typing_is_throttled_and_rate_limited(settings):
    settings.REALTIME = {**settings.REALTIME, "TYPING_RATE_LIMIT": 5}
    a, b = await users(2)
    thread = await thread_between(a, b)
    ca, _ = await open_socket(a)
    cb, _ = await open_socket(b)
    for _ in range(5):
        await send(ca, {"type": "typing", "thread": thread.pk, "state": "start"})
    await send(ca, {"type": "typing", "thread": thread.pk, "state": "start"})
    assert (await receive_until(ca, "error"))[-1]["data"]["code"] == "rate_limited"
    # Five quick renewals went out as one `start`.
    assert [f["data"]["state"] for f in await frames_of(cb, "typing", timeout=0.5)] == ["start"]
    await ca.disconnect()  # a closing socket stops its typing
    assert [f["data"]["state"] for f in await frames_of(cb, "typing", timeout=0.5)] == ["stop"]
    await cb.disconnect()


# --- read ------------------------------------------------------------------------------------
async def test_read_frame_moves_marker_and_publishes_thread_read():
    a, b, outsider = await users(3)
    thread = await thread_between(a, b)
    message = await database_sync_to_async(message_send)(thread=thread, sender=b, body="hello")
    ca, _ = await open_socket(a)
    cb, _ = await open_socket(b)
    await send(ca, {"type": "read", "thread": thread.pk, "message": message.pk})
    for comm in (ca, cb):
        frame = (await receive_until(comm, "thread.read"))[-1]
        assert isinstance(frame["id"], int)
        assert frame["data"]["thread"] == thread.pk and frame["data"]["message"] == message.pk
    co, _ = await open_socket(outsider)
    await send(co, {"type": "read", "thread": thread.pk, "message": message.pk})
    assert (await receive_until(co, "error"))[-1]["data"]["code"] == "not_found"
    await send(ca, {"type": "read", "thread": thread.pk, "message": 10**9})
    assert (await receive_until(ca, "error"))[-1]["data"]["code"] == "message_not_in_thread"
    await send(ca, {"type": "read", "thread": thread.pk, "message": "1"})
    assert (await receive_until(ca, "error"))[-1]["data"]["code"] == "invalid"
    assert await cb.receive_nothing(timeout=0.3)
    for comm in (ca, cb, co):
        await comm.disconnect()


# --- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, code",
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"no": "type"}', "unknown_type"),
        ('{"type": "resume", "last_event_id": "5"}', "invalid"),
        ('{"type": "resume", "last_event_id": -1}', "invalid"),
    ],
)
async def test_bad_frames_get_error_and_socket_stays_open(raw, code):
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    await comm.send_to(text_data=raw)
    frame = (await receive_until(comm, "error"))[-1]
    assert frame["id"] is None and frame["data"]["code"] == code and frame["data"]["detail"]
    await send(comm, {"type": "ping"})
    assert (await receive_until(comm, "pong"))[-1]["type"] == "pong"
    await comm.disconnect()


async def test_binary_frame_is_an_error():
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await receive_until(comm, "error"))[-1]["data"]["code"] == "invalid_frame"
    await comm.disconnect()


async def test_frame_flood_closes_4429():
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    for _ in range(31):
        await send(comm, {"type": "ping"})
    assert await expect_close(comm) == 4429


async def test_error_flood_closes_4429():
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    for _ in range(21):
        await comm.send_to(text_data="nope")
        await asyncio.sleep(0.04)  # under the frame rate: it is the errors that count
    assert await expect_close(comm, timeout=5) == 4429


async def test_frame_over_64_kib_closes_1009_and_64_kib_does_not():
    (me,) = await users(1)
    comm, _ = await open_socket(me)
    exactly = json.dumps({"type": "ping", "pad": ""})
    exactly = exactly[:-2] + "x" * (64 * 1024 - len(exactly)) + '"}'
    assert len(exactly.encode()) == 64 * 1024
    await comm.send_to(text_data=exactly)
    assert (await receive_until(comm, "pong"))[-1]["type"] == "pong"
    # Multi-byte characters: 30,000 characters, 90,000 bytes.
    await comm.send_to(text_data=json.dumps({"type": "ping", "pad": "€" * 30000}, ensure_ascii=False))
    assert await expect_close(comm) == 1009
