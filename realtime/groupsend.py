"""Several group sends in two Redis round trips per shard instead of four per group.

channels_redis's `group_send` makes four round trips for each group: drop expired members
(ZREMRANGEBYSCORE), read the members (ZRANGE), drop expired messages of the member channels (a
pipeline of ZREMRANGEBYSCORE) and add the message under each channel's capacity (EVAL). A sent
message goes to two groups (the sender's other tabs and the recipient), so eight commands, each a
write and a read on the event loop: the delivery benchmark's profile put the Redis socket writes
alone at ~7 % of a server process's CPU (docs/benchmarks.md, issue 17).

`group_send_many(layer, sends)` does the same work for any number of groups in two scripts per
shard: one that drops expired members and returns the members of every group held on that shard,
and one that, for every member channel key on a shard, drops its expired messages and adds the
message under its capacity. The semantics are channels_redis 4.3's: the same keys, expiries,
capacity (a channel over capacity drops the message and the drop is logged) and serialization
(`_map_channel_keys_to_connection`, which builds one message per channel key with its
`__asgi_channel__` list). A layer that is not channels_redis's core layer (the in-memory layer of
the embedded configuration, a test's layer) gets plain `group_send`s, in parallel.

Returns one entry per send: None, or the exception that failed it (a shard's failure fails the
sends that needed that shard).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

# KEYS: group keys; ARGV[1]: drop members older than this. Returns each group's members.
_MEMBERS = """
local out = {}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
  out[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
end
return out
"""
# KEYS: channel keys (one may repeat: two groups' messages for one process's sockets);
# ARGV: the messages, then their capacities, then now, expiry, drop-before.
# Returns how many messages were over capacity (dropped).
_DELIVER = """
local n = #KEYS
local now = ARGV[2 * n + 1]
local expiry = ARGV[2 * n + 2]
local cutoff = ARGV[2 * n + 3]
local over = 0
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, cutoff)
  if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
    redis.call('ZADD', KEYS[i], now, ARGV[i])
    redis.call('EXPIRE', KEYS[i], expiry)
  else
    over = over + 1
  end
end
return over
"""


async def group_send_many(layer: Any, sends: list[tuple[str, dict[str, Any]]]) -> list[BaseException | None]:
    if not sends:
        return []
    if type(layer).group_send is not RedisChannelLayer.group_send or not isinstance(layer, RedisChannelLayer):
        results = await asyncio.gather(*(layer.group_send(g, m) for g, m in sends), return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]
    errors: list[BaseException | None] = [None] * len(sends)

    # 1. Members of every group, one script per shard holding groups.
    by_shard: dict[int, list[int]] = defaultdict(list)
    for i, (group, _) in enumerate(sends):
        assert layer.require_valid_group_name(group), "Group name not valid"
        by_shard[layer.consistent_hash(group)].append(i)
    cutoff = int(time.time()) - layer.group_expiry

    async def members(shard: int, indexes: list[int]) -> list[list[bytes]]:
        keys = [layer._group_key(sends[i][0]) for i in indexes]
        return await layer.connection(shard).eval(_MEMBERS, len(keys), *keys, cutoff)

    shards = list(by_shard.items())
    found = await asyncio.gather(*(members(s, idx) for s, idx in shards), return_exceptions=True)

    # 2. Every message for every member channel key, one script per shard holding channel keys.
    per_shard: dict[int, list[tuple[int, bytes, bytes, int]]] = defaultdict(list)  # send, key, message, capacity
    for (_, indexes), result in zip(shards, found, strict=True):
        if isinstance(result, BaseException):
            for i in indexes:
                errors[i] = result
            continue
        for i, names in zip(indexes, result, strict=True):
            channel_names = [x.decode("utf8") for x in names]
            if not channel_names:
                continue
            to_connection, to_message, to_capacity = layer._map_channel_keys_to_connection(channel_names, sends[i][1])
            for shard, keys in to_connection.items():
                for key in keys:
                    per_shard[shard].append((i, key, to_message[key], to_capacity[key]))

    now = time.time()
    drop_before = int(now) - int(layer.expiry)

    async def deliver(shard: int, items: list[tuple[int, bytes, bytes, int]]) -> None:
        keys = [key for _, key, _, _ in items]
        args = [m for _, _, m, _ in items] + [c for _, _, _, c in items] + [now, layer.expiry, drop_before]
        over = await layer.connection(shard).eval(_DELIVER, len(keys), *keys, *args)
        if over:
            logger.info(
                "%s of %s channel messages over capacity (groups %s)",
                over,
                len(items),
                sorted({sends[i][0] for i, _, _, _ in items})[:10],
            )

    targets = list(per_shard.items())
    done = await asyncio.gather(*(deliver(s, items) for s, items in targets), return_exceptions=True)
    for (_, items), outcome in zip(targets, done, strict=True):
        if isinstance(outcome, BaseException):
            for i, _, _, _ in items:
                errors[i] = errors[i] or outcome
    return errors
