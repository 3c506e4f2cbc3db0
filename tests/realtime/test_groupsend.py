"""realtime/groupsend.py: several group sends in two scripts per shard, with channels_redis's own
semantics (members, process-local channel keys, capacity, expiry), on a real Redis."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from channels.layers import InMemoryChannelLayer
from django.conf import settings

from realtime.groupsend import group_send_many
from realtime.layer import RedisLayer

pytestmark = pytest.mark.redis


def _url(index_offset: int = 0) -> str:
    """This test's Redis index (REDIS_URL's), or another one on the same server as a second shard."""
    base, _, index = settings.REDIS_URL.rpartition("/")
    return f"{base}/{(int(index or 0) + index_offset) % 16}"


def _layer(hosts: list[str], **kwargs) -> RedisLayer:
    return RedisLayer(hosts=hosts, prefix="gstest", **kwargs)


async def _flush(layer: RedisLayer) -> None:
    for i in range(layer.ring_size):
        conn = layer.connection(i)
        keys = [k async for k in conn.scan_iter(match="gstest*")]
        if keys:
            await conn.delete(*keys)
    await layer.flush()


async def _commands(layer: RedisLayer, shard: int) -> int:
    info = await layer.connection(shard).info("commandstats")
    return sum(v["calls"] for v in info.values())


@pytest.mark.asyncio
async def test_each_group_gets_its_own_message_and_process_local_channels_share_a_key():
    layer = _layer([_url()])
    try:
        # Three sockets of one process (process-local channels: one Redis key), in two groups.
        a1, a2, b1 = [await layer.new_channel() for _ in range(3)]
        await layer.group_add("user.1", a1)
        await layer.group_add("user.1", a2)
        await layer.group_add("user.2", b1)
        errors = await group_send_many(
            layer,
            [("user.1", {"type": "event.deliver", "n": 1}), ("user.2", {"type": "event.deliver", "n": 2})],
        )
        assert errors == [None, None]
        got = {ch: await asyncio.wait_for(layer.receive(ch), 2) for ch in (a1, a2, b1)}
        assert got[a1]["n"] == 1 and got[a2]["n"] == 1 and got[b1]["n"] == 2
        # Nothing else was queued for any of them.
        for ch in (a1, a2, b1):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(layer.receive(ch), 0.3)
    finally:
        await _flush(layer)


@pytest.mark.asyncio
async def test_same_outcome_as_group_send_in_fewer_commands():
    layer = _layer([_url()])
    try:
        chans = [await layer.new_channel() for _ in range(2)]
        for i, ch in enumerate(chans):
            await layer.group_add(f"user.{i}", ch)
        before = await _commands(layer, 0)
        for i in range(2):
            await layer.group_send(f"user.{i}", {"type": "event.deliver", "via": "group_send"})
        stock = await _commands(layer, 0) - before - 1  # less the INFO itself
        before = await _commands(layer, 0)
        assert await group_send_many(
            layer, [(f"user.{i}", {"type": "event.deliver", "via": "many"}) for i in range(2)]
        ) == [None, None]
        fused = await _commands(layer, 0) - before - 1
        # channels_redis: four round trips per group (the EVAL counts its inner commands too).
        assert fused < stock
        for ch in chans:
            first = await asyncio.wait_for(layer.receive(ch), 2)
            second = await asyncio.wait_for(layer.receive(ch), 2)
            assert (first["via"], second["via"]) == ("group_send", "many")
    finally:
        await _flush(layer)


@pytest.mark.asyncio
async def test_capacity_drops_and_logs_like_channels_redis(caplog):
    layer = _layer([_url()], capacity=1)
    try:
        ch = await layer.new_channel()
        await layer.group_add("user.9", ch)
        with caplog.at_level(logging.INFO, logger="realtime.groupsend"):
            for n in range(3):
                assert await group_send_many(layer, [("user.9", {"type": "event.deliver", "n": n})]) == [None]
        assert (await asyncio.wait_for(layer.receive(ch), 2))["n"] == 0
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(ch), 0.3)
        assert any("over capacity" in r.getMessage() for r in caplog.records)
    finally:
        await _flush(layer)


@pytest.mark.asyncio
async def test_expired_members_are_dropped():
    layer = _layer([_url()], group_expiry=1)
    try:
        ch = await layer.new_channel()
        await layer.group_add("user.5", ch)
        await asyncio.sleep(2.1)
        assert await group_send_many(layer, [("user.5", {"type": "event.deliver"})]) == [None]
        assert await layer.connection(0).zcard(layer._group_key("user.5")) == 0
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(ch), 0.3)
    finally:
        await _flush(layer)


@pytest.mark.asyncio
async def test_sharded_groups_and_channels_on_two_servers():
    """Two shards (two indexes of the test's Redis: the ring only sees two hosts): groups hashed to
    either shard, each member's channel key on its own process's shard."""
    hosts = [_url(), _url(1)]
    senders, receivers = _layer(hosts), [_layer(hosts) for _ in range(4)]
    try:
        chans = [await r.new_channel() for r in receivers]
        by_shard = {0: [], 1: []}
        for i in range(1000):
            by_shard[senders.consistent_hash(f"user.{i}")].append(f"user.{i}")
        groups = by_shard[0][:2] + by_shard[1][:2]
        for g, ch, r in zip(groups, chans, receivers, strict=True):
            await r.group_add(g, ch)
        errors = await group_send_many(senders, [(g, {"type": "event.deliver", "g": g}) for g in groups])
        assert errors == [None] * len(groups)
        for g, ch, r in zip(groups, chans, receivers, strict=True):
            assert (await asyncio.wait_for(r.receive(ch), 2))["g"] == g
    finally:
        for layer in (senders, *receivers):
            await _flush(layer)


@pytest.mark.asyncio
async def test_a_shard_that_is_down_fails_its_sends_and_not_the_others():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"  # nothing listens once closed
    hosts = [_url(), dead]
    layer = _layer(hosts)
    try:
        up = next(f"user.{i}" for i in range(100) if layer.consistent_hash(f"user.{i}") == 0)
        down = next(f"user.{i}" for i in range(100) if layer.consistent_hash(f"user.{i}") == 1)
        errors = await group_send_many(layer, [(up, {"type": "event.deliver"}), (down, {"type": "event.deliver"})])
        assert errors[0] is None
        assert isinstance(errors[1], Exception)
    finally:
        conn = layer.connection(0)
        keys = [k async for k in conn.scan_iter(match="gstest*")]
        if keys:
            await conn.delete(*keys)


@pytest.mark.asyncio
async def test_other_layers_get_plain_group_sends():
    layer = InMemoryChannelLayer()
    ch = await layer.new_channel()
    await layer.group_add("user.1", ch)
    assert await group_send_many(layer, [("user.1", {"type": "event.deliver", "n": 1})]) == [None]
    assert (await layer.receive(ch))["n"] == 1
