"""The channel layer of the production topology: channels_redis, with its blocking pop kept under
the Redis socket timeout (core/redis_options.py).

channels_redis waits for messages with `BZPOPMIN key 5`; redis-py 8 reads every reply with a 5 s
socket timeout. An idle socket's receive therefore raced the two timeouts, and when the read lost,
`redis.exceptions.TimeoutError` escaped the consumer and the socket dropped with no close frame
(1006) after ~5 s of silence (channels_redis issue 422, redis-py issue 4091). Here the pop waits at
most half the socket timeout: an empty pop returns `None` in time and channels_redis simply pops
again. For a process's sockets there is one pop at a time (channels_redis multiplexes all
process-local channels over one key), so a shorter pop costs one Redis command per pop interval
per process, not per socket.

Sharded over several Redis servers (CHANNEL_LAYER_URLS, docs/scaling.md), channels_redis hashes a
group's name to the shard holding its member set, and a process-local channel's non-local part
(`specific.<process>!`) to the shard its process pops from. Its `send` to a process-local channel,
though, hashes the *whole* name (`specific.<process>!<socket>`), so with two shards or more a
direct send (the health check's round trip, the `layer.recovered` notice) landed on a random shard
that no process pops: lost (channels issue 1492). `consistent_hash` here hashes the non-local part
of any process-local name, which is what `group_send` and `receive` already pass, so every path
picks the same shard for the same channel.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from channels_redis.core import RedisChannelLayer

from core import redis_options


class RedisLayer(RedisChannelLayer):
    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        options = redis_options.client_options(asyncio=True)
        hosts = [
            {**options, **host} if isinstance(host, dict) else {"address": host, **options} for host in hosts or []
        ]
        super().__init__(hosts=hosts, **kwargs)
        # Fractional seconds: BZPOPMIN takes a decimal timeout since Redis 6.
        self.brpop_timeout = max(0.1, redis_options.socket_timeout() / 2)

    def consistent_hash(self, value: Any) -> int:
        if isinstance(value, str) and "!" in value:
            value = self.non_local_name(value)
        return super().consistent_hash(value)

    async def check_shards(self) -> None:
        """A write and a read on every shard, at once; raises if any shard fails. The health check's
        layer round trip only reaches the shard of its own process's channels, while a shard that
        is down loses the groups (and so the events) of every user hashed to it."""

        async def check(index: int) -> None:
            connection = self.connection(index)
            key = f"{self.prefix}healthz:{uuid.uuid4().hex}"
            token = uuid.uuid4().hex
            async with connection.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {token: time.time()})
                pipe.expire(key, 10)
                pipe.zpopmin(key)
                _, _, popped = await pipe.execute()
            if not popped or popped[0][0] not in (token, token.encode()):
                raise RuntimeError(f"channel layer shard {index} returned a different value")

        await asyncio.gather(*(check(i) for i in range(self.ring_size)))
