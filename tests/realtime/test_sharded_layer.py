"""The channel layer sharded over two Redis servers (CHANNEL_LAYER_URLS, docs/scaling.md): two real
server processes on the test's PostgreSQL database, each with both redis-servers of the test's own
as the layer's hosts (the shared Redis of REDIS_URL keeps the cache and presence, as in
production; it is never stopped).

- Sockets on server A get every message sent through REST on server B once, in order, each one
  live (before the next is sent: the consumer's hole-filling from the log cannot hide a loss),
  for users whose groups hash to either shard.
- Both shards carry layer keys, each group on the shard channels_redis hashes it to.
- /healthz answers 200 every time on both servers (a direct send to a process-local channel used to
  land on a random shard: half the checks failed), and 503 naming the channel layer when one shard
  is down, while REST writes go on without a 500.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels_redis.utils import _consistent_hash
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from realtime.publish import group_name
from tests.factories import UserFactory
from tests.procs import RedisServer, database_url_of, service_env, uvicorn_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LAYER_PREFIX = "collective"  # CHANNEL_LAYER_PREFIX's default
MESSAGES_PER_USER = 4


def http(method: str, url: str, token: str | None = None, body: dict | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read() or b"{}"), {k.lower(): v for k, v in res.headers.items()}
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}"), {k.lower(): v for k, v in exc.headers.items()}
        except ValueError:
            return exc.code, {"raw": raw[:200].decode("latin1")}, {k.lower(): v for k, v in exc.headers.items()}


async def ahttp(*args, **kwargs):
    return await asyncio.to_thread(http, *args, **kwargs)


def make_people() -> list[tuple[object, str, str]]:
    """Recipients whose groups hash to both shards (two of each at least), each with a sender of
    their own (a sender may send 30 messages a minute): (recipient, its token, its sender's token)."""
    recipients: list = []
    while len(recipients) < 12:
        user = UserFactory()
        recipients.append(user)
        shards = [_consistent_hash(group_name(u.pk), 2) for u in recipients]
        if shards.count(0) >= 2 and shards.count(1) >= 2:
            break
    assert {_consistent_hash(group_name(u.pk), 2) for u in recipients} == {0, 1}
    people = []
    for user in recipients:
        sender: Any = UserFactory()
        people.append((user, Token.objects.create(user=user).key, Token.objects.create(user=sender).key))
    return people


async def open_socket(port: int, token: str):
    status, body, _ = await ahttp("POST", f"http://127.0.0.1:{port}/api/v1/realtime/tickets/", token)
    assert status == 201, (status, body)
    ws = await connect(f"ws://127.0.0.1:{port}/ws/?ticket={body['ticket']}")
    hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert hello["type"] == "hello", hello
    return ws, hello


async def next_durable(ws, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if frame["id"] is not None:
            return frame


def layer_keys(shard: RedisServer) -> set[str]:
    client = redis.Redis.from_url(shard.url)
    try:
        return {k.decode() for k in client.scan_iter(match=f"{LAYER_PREFIX}*", count=1000)}
    finally:
        client.close()


def commands_served(shard: RedisServer) -> int:
    client = redis.Redis.from_url(shard.url)
    try:
        return sum(int(v["calls"]) for k, v in client.info("commandstats").items() if k.startswith("cmdstat_"))
    finally:
        client.close()


@pytest.fixture
def shards(tmp_path):
    with RedisServer(tmp_path) as first, RedisServer(tmp_path) as second:
        yield [first, second]


async def test_sharded_layer_delivers_across_shards(shards, tmp_path):
    recipients = await database_sync_to_async(make_people)()
    env = service_env(
        database_url=database_url_of(connection.settings_dict),
        redis_url=settings.REDIS_URL,
        CHANNEL_LAYER_URLS=",".join(s.url for s in shards),
        LOG_LEVEL="WARNING",
    )
    before = [commands_served(s) for s in shards]
    statuses: list[int] = []
    with uvicorn_servers(2, env, tmp_path) as (a, b):
        # The health check's round trip reaches its process's shard, whatever the channel's name.
        for port in (a, b):
            for _ in range(10):
                status, body, _ = await ahttp("GET", f"http://127.0.0.1:{port}/healthz")
                assert (status, body) == (200, {"status": "ok", "database": "ok", "channel_layer": "ok"})

        threads = {}
        for user, _, st in recipients:
            status, thread, _ = await ahttp("POST", f"http://127.0.0.1:{b}/api/v1/threads/", st, {"user": user.pk})
            assert status in (200, 201), thread
            threads[user.pk] = (thread["id"], st)
        sockets = {}
        for user, token, _ in recipients:  # every recipient listens on server A
            ws, hello = await open_socket(a, token)
            sockets[user.pk] = (ws, hello["data"]["last_event_id"])

        # Each group is on the shard its name hashes to, and both shards hold some.
        keys = [layer_keys(s) for s in shards]
        for user, _, _ in recipients:
            key = f"{LAYER_PREFIX}:group:{group_name(user.pk)}"
            home = _consistent_hash(group_name(user.pk), 2)
            assert key in keys[home] and key not in keys[1 - home], (user.pk, home)

        delivered: dict[int, list[dict]] = {user.pk: [] for user, _, _ in recipients}
        sent: dict[int, list[int]] = {user.pk: [] for user, _, _ in recipients}
        for round_ in range(MESSAGES_PER_USER):
            for user, _, _ in recipients:
                status, message, _ = await ahttp(
                    "POST",
                    f"http://127.0.0.1:{b}/api/v1/threads/{threads[user.pk][0]}/messages/",
                    threads[user.pk][1],
                    {"body": f"round {round_} to {user.pk}", "client_id": str(uuid.uuid4())},
                )
                statuses.append(status)
                assert status == 201, message
                sent[user.pk].append(message["id"])
                # Live: it arrives before anything else is sent to this user (with whatever else the
                # send published to them, e.g. a notification).
                while True:
                    frame = await next_durable(sockets[user.pk][0])
                    delivered[user.pk].append(frame)
                    if frame["type"] == "message.created" and frame["data"]["message"]["id"] == message["id"]:
                        break

        for user, _, _ in recipients:
            frames = delivered[user.pk]
            start = sockets[user.pk][1]
            assert [f["id"] for f in frames] == list(range(start + 1, start + 1 + len(frames))), "once, in order"
            assert [f["data"]["message"]["id"] for f in frames if f["type"] == "message.created"] == sent[user.pk]
        await asyncio.sleep(0.5)  # and nothing more (no duplicate) afterwards
        for user, _, _ in recipients:
            ws = sockets[user.pk][0]
            with pytest.raises(TimeoutError):
                frame = await next_durable(ws, timeout=0.05)
                raise AssertionError(f"an extra durable frame for {user.pk}: {frame}")

        served = [commands_served(s) - n for s, n in zip(shards, before, strict=True)]
        print(f"\nlayer commands served by each shard during the test: {served}")
        assert all(n > 100 for n in served), served
        logs = "".join(p.read_text() for p in tmp_path.glob("uvicorn-*.log"))
        assert "Traceback" not in logs, logs[-4000:]

        # One shard goes away: /healthz says so on both servers (contract §6), REST goes on.
        shards[1].stop()
        for port in (a, b):
            started = time.monotonic()
            status, body, headers = await ahttp("GET", f"http://127.0.0.1:{port}/healthz")
            took = time.monotonic() - started
            assert status == 503, body
            assert body == {"status": "error", "database": "ok", "channel_layer": "error"}
            assert headers.get("retry-after") and took < 3, (headers, took)
        for user, _, _ in recipients:
            status, message, _ = await ahttp(
                "POST",
                f"http://127.0.0.1:{b}/api/v1/threads/{threads[user.pk][0]}/messages/",
                threads[user.pk][1],
                {"body": f"during the outage to {user.pk}", "client_id": str(uuid.uuid4())},
            )
            statuses.append(status)
            assert status in (201, 503), (status, message)
        assert 500 not in statuses
        for ws, _ in sockets.values():
            await ws.close()
