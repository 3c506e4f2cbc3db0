"""Presence on Redis Cluster (docs/scaling.md): every script and multi-key command touches keys of
one hash slot, the users spread over `presence.SHARDS` slots, and the Redis backend works against a
redis-server of the test's own in cluster mode, which refuses a script whose keys cross slots
(CROSSSLOT). The server serves every slot itself, so the plain client the project uses needs no
redirects; what is tested is the key layout, the part the project owns."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from realtime import presence
from tests.conftest import IN_CI
from tests.procs import free_port, stop, wait_for

USER_IDS = [*range(1, 200), 4096, 65_537, 10**9 + 7]


def test_touch_and_leave_keys_share_one_slot():
    for uid in USER_IDS:
        keys = presence.script_keys(uid)
        assert len(keys) == 3 and len({key_slot(k.encode()) for k in keys}) == 1, (uid, keys)
        # The single-key reads (query, is_online) use the same keys as the scripts.
        assert presence.socket_key(uid) == keys[0] and presence.seen_key(uid) == keys[2]


def test_each_sweep_reaches_only_its_own_slot():
    """The sweep script declares its part of the index and builds its users' socket keys from the
    prefix it is given (`prefix .. 'u:' .. uid`): those must be in the index's slot too."""
    for shard in range(presence.SHARDS):
        keys, prefix = presence.sweep_keys(shard)
        slot = key_slot(keys[0].encode())
        assert len({key_slot(k.encode()) for k in keys}) == 1
        for uid in [u for u in USER_IDS if presence.shard_of(u) == shard]:
            built = f"{prefix}u:{uid}"
            assert built == presence.socket_key(uid) and key_slot(built.encode()) == slot


def test_users_spread_over_one_slot_per_shard():
    slots = {key_slot(presence.socket_key(uid).encode()) for uid in USER_IDS}
    assert len(slots) == presence.SHARDS
    assert len({key_slot(presence.online_key(s).encode()) for s in range(presence.SHARDS)}) == presence.SHARDS


@pytest.fixture
def cluster_redis(tmp_path: Path):
    binary = shutil.which("redis-server")
    if not binary:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: a missing service is a failure)")
        pytest.skip("redis-server is not installed: this test runs one in cluster mode")
    port = free_port()
    # The cluster bus listens on a port of its own (port + 10000 by default: past 65535 for an
    # ephemeral port).
    bus_port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--cluster-enabled",
            "yes",
            "--cluster-port",
            str(bus_port),
            "--cluster-config-file",
            str(tmp_path / f"nodes-{port}.conf"),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--logfile",
            str(tmp_path / f"redis-{port}.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        wait_for(lambda: _answers(client), 10, f"redis-server (cluster mode) on {port}")
        client.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        wait_for(lambda: client.cluster("info").get("cluster_state") == "ok", 15, "the one-node cluster to be ok")
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        client.close()
        stop(proc)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


async def test_redis_presence_runs_on_a_cluster_node(cluster_redis, settings):
    url, client = cluster_redis
    # The node refuses a script whose declared keys cross slots: the old layout is refused.
    with pytest.raises(redis.ResponseError, match="same slot"):
        client.eval("return 1", 2, "collective:presence:u:1", "collective:presence:online")

    settings.REDIS_URL = url
    settings.REALTIME = {**settings.REALTIME, "PRESENCE_TTL": 1}
    store = presence.RedisPresence()
    users = [1, 2, 17, 33]  # 1, 17 and 33 share a part of the index; 2 is in another
    for uid in users:
        assert await store.touch(uid, f"s{uid}") is True
    assert await store.touch(1, "s1") is False  # a heartbeat: already online
    assert await store.touch(1, "second", limit=1) is None  # over the per-user socket limit
    states = await store.query(users)
    assert all(states[u].online for u in users)
    assert await store.leave(2, "s2") is True
    assert not (await store.query([2]))[2].online
    client.set(presence.legacy_seen_key(99), "1700000000.5")  # seen only by a process before the tags
    assert (await store.query([99]))[99].last_seen == 1700000000.5

    # Sockets that were never closed expire, and one sweep over every part finds each user once.
    await asyncio.sleep(1.2)
    assert sorted(await store.sweep()) == [1, 17, 33]
    assert await store.sweep() == []
    written = set(client.keys("collective:presence:*")) - {presence.legacy_seen_key(99).encode()}
    assert written and all(b":{p" in k for k in written), written
