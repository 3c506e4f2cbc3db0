"""Presence: a user is online while at least one of their sockets is open, on any process.

Each open socket holds an entry with an expiry (now + PRESENCE_TTL) that its heartbeat refreshes,
so a socket whose process was killed without a `disconnect` ages out by itself. An index of online
users (score: the latest expiry of their sockets) lets a sweeper find users whose every socket has
expired and declare them offline exactly once: the Redis scripts run atomically, so of several
sweeping processes only one sees the user leave the index.

Backends: Redis (keys shared by every process) when `REDIS_URL` is set, a process-local store on
the embedded default. `last_seen` is the time of the user's last connect, heartbeat or disconnect.

Redis Cluster safe: each script touches keys of one hash slot only. The online index is split in
SHARDS parts by user id, and a user's keys carry the hash tag of their part (`{p<n>}`), so touch
and leave touch one slot, a sweep runs once per part, and the users spread over SHARDS slots
rather than all sharing one (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from core.redis_options import client_options

PREFIX = "collective:presence:"
# Parts of the online index (a hash slot each on Redis Cluster). Changing it moves every user's
# keys, like a deploy that changes the key names (docs/scaling.md, "rolling deploy").
SHARDS = 16


def shard_of(user_id: int) -> int:
    return int(user_id) % SHARDS


def _tagged(shard: int) -> str:
    """The key prefix of one part of the index: its hash tag puts every key under it in one slot."""
    return f"{PREFIX}{{p{shard}}}:"


def socket_key(user_id: int) -> str:
    return f"{_tagged(shard_of(user_id))}u:{user_id}"


def seen_key(user_id: int) -> str:
    return f"{_tagged(shard_of(user_id))}seen:{user_id}"


def online_key(shard: int) -> str:
    return f"{_tagged(shard)}online"


def legacy_seen_key(user_id: int) -> str:
    """Where processes before the hash tags kept `last_seen`: read when the tagged key is missing,
    so a rolling deploy does not forget when users were last seen."""
    return f"{PREFIX}seen:{user_id}"


def presence_ttl() -> float:
    ttl: Any = settings.REALTIME.get("PRESENCE_TTL", 60)  # Any: mypy joins dict[str, Any].get's default to object
    return float(ttl)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class State:
    online: bool
    last_seen: float | None

    def as_dict(self) -> dict:
        return {"status": "online" if self.online else "offline", "last_seen": iso(self.last_seen)}


# --- Redis ---------------------------------------------------------------------------------------
# KEYS[1] user's socket zset, KEYS[2] online index, KEYS[3] last-seen key.
# ARGV: now, expiry, socket id, ttl ms, user id, limit. Returns 1 if the user just came online,
# -1 if the socket is new and the user already holds `limit` live sockets (0: no limit).
_TOUCH = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[6])
if limit > 0 and not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= limit then
  return -1
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[3], ARGV[1])
local cur = redis.call('ZSCORE', KEYS[2], ARGV[5])
if not cur then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
  return 1
end
if tonumber(cur) < tonumber(ARGV[2]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5]) end
return 0
"""
# ARGV: now, socket id, user id. Returns 1 if the user just went offline.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('SET', KEYS[3], ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top == 0 then
  return redis.call('ZREM', KEYS[2], ARGV[3])
end
redis.call('ZADD', KEYS[2], top[2], ARGV[3])
return 0
"""
# KEYS[1] one part of the online index; ARGV: now, that part's key prefix (its users' socket keys,
# same hash tag, so the same slot). Returns the users that just went offline.
_SWEEP = """
local gone = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, uid in ipairs(due) do
  local k = ARGV[2] .. 'u:' .. uid
  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[1])
  local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('ZREM', KEYS[1], uid)
    table.insert(gone, uid)
  else
    redis.call('ZADD', KEYS[1], top[2], uid)
  end
end
return gone
"""

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis():
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        # A blocking pool: past its cap a command waits for a free connection instead of failing
        # (redis-py 8's default pool fails past 100: 2,000 sockets closing at once lost their
        # presence updates in the delivery benchmark).
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=getattr(settings, "REDIS_MAX_CONNECTIONS", 1000),
            timeout=20,
            **client_options(asyncio=True),
        )
        client = aioredis.Redis(connection_pool=pool)
        _clients[loop] = client
    return client


def script_keys(user_id: int) -> list[str]:
    """The keys of touch and leave (KEYS[1..3]): one hash slot."""
    return [socket_key(user_id), online_key(shard_of(user_id)), seen_key(user_id)]


def sweep_keys(shard: int) -> tuple[list[str], str]:
    """KEYS and the key prefix of the sweep of one part: the index, and the socket keys it reaches."""
    return [online_key(shard)], _tagged(shard)


class RedisPresence:
    async def touch(self, user_id: int, socket_id: str, limit: int = 0) -> bool | None:
        """Add or refresh a socket's entry: True if the user just came online. With `limit`, a
        new socket of a user who already holds that many live ones is not added: None."""
        now = time.time()
        ttl = presence_ttl()
        res = await _redis().eval(
            _TOUCH, 3, *script_keys(user_id), now, now + ttl, socket_id, int(ttl * 1000) + 1000, user_id, int(limit)
        )
        return None if res == -1 else bool(res)

    async def leave(self, user_id: int, socket_id: str) -> bool:
        res = await _redis().eval(_LEAVE, 3, *script_keys(user_id), time.time(), socket_id, user_id)
        return bool(res)

    async def sweep(self) -> list[int]:
        now = time.time()
        # One script per part, each atomic on its own slot; one round trip for all of them.
        async with _redis().pipeline(transaction=False) as pipe:
            for shard in range(SHARDS):
                keys, prefix = sweep_keys(shard)
                pipe.eval(_SWEEP, len(keys), *keys, now, prefix)
            res = await pipe.execute()
        return [int(u) for part in res for u in part]

    async def query(self, user_ids: list[int]) -> dict[int, State]:
        if not user_ids:
            return {}
        now = time.time()
        client = _redis()
        async with client.pipeline(transaction=False) as pipe:
            # Single-key commands only (a pipeline, not MULTI or MGET): on a cluster each goes to
            # its own slot. The untagged key answers for a user not seen since the deploy that
            # tagged the keys.
            for uid in user_ids:
                pipe.zcount(socket_key(uid), f"({now}", "+inf")
                pipe.get(seen_key(uid))
                pipe.get(legacy_seen_key(uid))
            res = await pipe.execute()
        out = {}
        for i, uid in enumerate(user_ids):
            count, seen, legacy = res[3 * i : 3 * i + 3]
            seen = seen if seen is not None else legacy
            out[uid] = State(online=count > 0, last_seen=float(seen) if seen is not None else None)
        return out


# --- In process ----------------------------------------------------------------------------------
class LocalPresence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[int, dict[str, float]] = {}
        self._online: dict[int, float] = {}
        self._seen: dict[int, float] = {}

    def _live(self, user_id: int, now: float) -> dict[str, float]:
        socks = {s: e for s, e in self._sockets.get(user_id, {}).items() if e > now}
        if socks:
            self._sockets[user_id] = socks
        else:
            self._sockets.pop(user_id, None)
        return socks

    async def touch(self, user_id: int, socket_id: str, limit: int = 0) -> bool | None:
        now = time.time()
        with self._lock:
            socks = self._live(user_id, now)
            if limit > 0 and socket_id not in socks and len(socks) >= limit:
                return None
            socks[socket_id] = now + presence_ttl()
            self._sockets[user_id] = socks
            self._seen[user_id] = now
            came = user_id not in self._online
            self._online[user_id] = max(socks.values())
            return came

    async def leave(self, user_id: int, socket_id: str) -> bool:
        now = time.time()
        with self._lock:
            self._sockets.get(user_id, {}).pop(socket_id, None)
            socks = self._live(user_id, now)
            self._seen[user_id] = now
            if not socks:
                return self._online.pop(user_id, None) is not None
            self._online[user_id] = max(socks.values())
            return False

    async def sweep(self) -> list[int]:
        now = time.time()
        gone = []
        with self._lock:
            for uid in [u for u, exp in self._online.items() if exp <= now]:
                socks = self._live(uid, now)
                if socks:
                    self._online[uid] = max(socks.values())
                else:
                    del self._online[uid]
                    gone.append(uid)
        return gone

    async def query(self, user_ids: list[int]) -> dict[int, State]:
        now = time.time()
        with self._lock:
            return {
                uid: State(
                    online=any(e > now for e in self._sockets.get(uid, {}).values()), last_seen=self._seen.get(uid)
                )
                for uid in user_ids
            }

    def clear(self) -> None:
        with self._lock:
            self._sockets.clear()
            self._online.clear()
            self._seen.clear()


_local = LocalPresence()


def backend() -> RedisPresence | LocalPresence:
    return RedisPresence() if settings.REDIS_URL else _local


# --- Sync read for services and tasks -------------------------------------------------------------
_sync_client = None


def is_online(user_id: int) -> bool:
    """True while the user has at least one live socket on any process. For sync code (services,
    Celery tasks), which must not run the async backend on an event loop of its own. Added for
    the SMS fallback of notifications (docs/notifications.md)."""
    global _sync_client
    now = time.time()
    if settings.REDIS_URL:
        if _sync_client is None:
            import redis

            # A read timeout of 1 s, not the default 5: callers (notification_create) ask inside
            # a database transaction, which a Redis that stopped answering must not hold for long.
            _sync_client = redis.Redis.from_url(
                settings.REDIS_URL, **{**client_options(asyncio=False), "socket_timeout": 1.0}
            )
        return _sync_client.zcount(socket_key(user_id), f"({now}", "+inf") > 0
    with _local._lock:
        return any(e > now for e in _local._sockets.get(user_id, {}).values())


def online_count() -> int:
    """Users with a live socket on any process, read once per metrics scrape (core/metrics.py):
    one ZCOUNT per part of the online index on Redis, a look at the in-process table otherwise."""
    global _sync_client
    now = time.time()
    if settings.REDIS_URL:
        if _sync_client is None:
            import redis

            _sync_client = redis.Redis.from_url(
                settings.REDIS_URL, **{**client_options(asyncio=False), "socket_timeout": 1.0}
            )
        pipe = _sync_client.pipeline(transaction=False)
        for shard in range(SHARDS):
            pipe.zcount(online_key(shard), f"({now}", "+inf")
        return int(sum(pipe.execute()))
    with _local._lock:
        return sum(1 for expiry in _local._online.values() if expiry > now)


def online_collector():
    from prometheus_client.core import GaugeMetricFamily

    from core.metrics import PRESENCE_USERS_ONLINE

    family = GaugeMetricFamily(PRESENCE_USERS_ONLINE, "Users with a live socket on any process.")
    family.add_metric([], online_count())
    yield family
