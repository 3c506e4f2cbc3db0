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
"""

from __future__ import annotations

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
