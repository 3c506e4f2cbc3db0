"""The WebSocket consumer of `/ws/` (contract §3; protocol details in docs/realtime.md).

One consumer per socket. It authenticates, joins the user's group `user.<id>`, says `hello`, and
from then on writes out every event of the user's stream. Durable events carry dense ids (1, 2, 3,
... per user), so the consumer keeps `cursor`, the last id this socket has delivered, and:
- drops a live event with id <= cursor (already sent by a replay);
- fills a hole (id > cursor + 1: the at-most-once channel layer lost something) from the log
  before sending the event, so a live socket never skips an event.
Channel-layer messages are dispatched one at a time, after the current handler returns: while a
`resume` replays, live events wait in the layer and are then deduplicated by the rule above.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import weakref
from collections import deque
from typing import Any, TypeGuard
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from core import logs, metrics
from core.errors import DEPENDENCY_ERRORS, DomainError
from messaging.selectors import thread_get_for_user
from messaging.services import thread_mark_read

from . import frames, presence, selectors
from .auth import active_user, authenticate, ticket_of
from .publish import apublish_ephemeral, ephemeral_envelope, group_name
from .tickets import aticket_consume

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_SLOW_CONSUMER = 4408
CLOSE_TOO_MANY_SOCKETS = 4409
CLOSE_RATE_LIMITED = 4429
CLOSE_TOO_BIG = 1009
# RFC 6455 "Try Again Later": a dependency (Redis, PostgreSQL) could not serve the handshake.
CLOSE_TRY_AGAIN_LATER = 1013


def conf(name: str, default: Any) -> Any:
    return settings.REALTIME.get(name, default)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class FrameError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


# Sockets open in this process, and the sweeper that declares offline the users whose sockets
# (on any process) stopped refreshing. It runs while this process holds at least one socket.
_open_sockets: set[str] = set()
_sweepers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def announce_presence(user_id: int, status: str, last_seen: str | None) -> None:
    metrics.PRESENCE_CHANGES.labels(status).inc()
    audience = await database_sync_to_async(selectors.presence_audience_ids)(user_id=user_id)
    if audience:
        await apublish_ephemeral(audience, "presence", {"user": user_id, "status": status, "last_seen": last_seen})


async def sweep_presence() -> list[int]:
    """Declare offline (once, across processes) every user whose sockets all expired."""
    store = presence.backend()
    gone = await store.sweep()
    if gone:
        states = await store.query(gone)
        for uid in gone:
            await announce_presence(uid, "offline", presence.iso(states[uid].last_seen))
    return gone


async def _sweeper_loop() -> None:
    try:
        while _open_sockets:
            await asyncio.sleep(float(conf("HEARTBEAT_SECONDS", 25)))
            try:
                await sweep_presence()
            except DEPENDENCY_ERRORS as exc:  # Redis away: the next sweep catches up
                logger.warning("presence sweep failed: %s", exc)
            except Exception:
                logger.exception("presence sweep failed")
    finally:
        _sweepers.pop(asyncio.get_running_loop(), None)


def _ensure_sweeper() -> None:
    loop = asyncio.get_running_loop()
    task = _sweepers.get(loop)
    if task is None or task.done():
        _sweepers[loop] = loop.create_task(_sweeper_loop())


# --- the channel layer's health, per process ------------------------------------------------------
# A Redis restart loses every group membership (Redis keeps nothing on disk), and the layer's
# connections reconnect by themselves (core/redis_options.py): a socket would stay open, joined
# to nothing, and hear nothing more. And whatever was published while Redis was away exists only
# in the event log. So one watcher per process asks Redis who it is (`run_id`, which changes on
# every restart) every LAYER_WATCH_SECONDS; when Redis changed, or answers again after failing, it
# tells every socket of the process (`layer.recovered`), and each rejoins its group, renews its
# presence and replays from the log what it missed. One command per second per process, not per
# socket.
_watchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _layer_identity(layer: Any) -> str | None:
    """The run ids of the Redis servers behind the layer, one per shard (CHANNEL_LAYER_URLS): a
    restart of any shard loses the groups hashed to it, so every socket of the process rejoins
    (a group_add that is already there changes nothing). None for a layer without Redis."""
    connection = getattr(layer, "connection", None)
    if connection is None:
        return None
    infos = await asyncio.gather(*(connection(i).info("server") for i in range(getattr(layer, "ring_size", 1))))
    return ",".join(str(info.get("run_id")) for info in infos)


async def _announce_recovery(layer: Any) -> None:
    for channel in list(_open_sockets):
        try:
            await layer.send(channel, {"type": "layer.recovered"})
        except Exception:
            logger.warning("could not tell socket %s that the channel layer is back", channel)


async def _watcher_loop(layer: Any) -> None:
    known: str | None = None
    failing = False
    try:
        while _open_sockets:
            await asyncio.sleep(float(conf("LAYER_WATCH_SECONDS", 1)))
            try:
                identity = await _layer_identity(layer)
            except DEPENDENCY_ERRORS as exc:
                if not failing:
                    logger.warning("channel layer unreachable: %s; sockets stay open and catch up when it is back", exc)
                failing = True
                continue
            if identity is None:
                return
            if failing or (known is not None and identity != known):
                logger.warning(
                    "channel layer back (%s); %d sockets of this process rejoin and replay",
                    "restarted" if known not in (None, identity) else "reachable again",
                    len(_open_sockets),
                )
                await _announce_recovery(layer)
            known, failing = identity, False
    finally:
        _watchers.pop(asyncio.get_running_loop(), None)


def _ensure_watcher(layer: Any) -> None:
    if getattr(layer, "connection", None) is None:
        return  # the in-memory layer lives in this process: nothing to lose
    loop = asyncio.get_running_loop()
    task = _watchers.get(loop)
    if task is None or task.done():
        _watchers[loop] = loop.create_task(_watcher_loop(layer))


def _active_user_and_head(user_id: int) -> tuple[Any, int]:
    user = active_user(user_id)
    return user, (selectors.stream_last_event_id(user_id=user_id) if user is not None else 0)


class EventConsumer(AsyncWebsocketConsumer):
    user = None
    user_id: int | None = None
    cursor: int = 0
    _closed: bool = False
    _send_timeout: float = 10.0

    # --- lifecycle ---------------------------------------------------------------------------
    # channels' AsyncConsumer.__call__ assigns `self.channel_receive` (the layer's receive for this
    # socket's channel) and awaits it in a loop; an exception there ends the consumer and drops the
    # socket with no close frame. The property keeps the layer's receive and hands channels a
    # version that outlives an outage of the layer (see _receive_from_layer).
    @property
    def channel_receive(self):
        return self._receive_from_layer

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        self._layer_receive = receive

    async def _receive_from_layer(self) -> dict:
        """The next channel-layer message. While the layer fails, retry with capped, jittered
        backoff (the socket stays open: heartbeats and client frames go on); once it answers again,
        rejoin the group and hand the consumer `layer.recovered` so it replays what it missed."""
        try:
            return await self._layer_receive()
        except DEPENDENCY_ERRORS as exc:
            self._raise_if_stopping(exc)
            metrics.LAYER_FAILURES.labels("receive").inc()
            logger.warning("channel layer receive failed for socket %s: %s", self.channel_name, exc)
        delay = 0.1
        while True:
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, float(conf("LAYER_RETRY_MAX_SECONDS", 5)))
            if self.user_id is None:
                continue
            try:
                await self.channel_layer.group_add(group_name(self.user_id), self.channel_name)
            except DEPENDENCY_ERRORS as exc:
                self._raise_if_stopping(exc)
                continue
            return {"type": "layer.recovered"}

    def _raise_if_stopping(self, exc: BaseException) -> None:
        """A receive cancelled because the socket is closing can surface from redis-py as a
        connection error rather than CancelledError: that is the end of this socket, not an outage
        to ride out (retrying would keep the consumer's task alive for ever after its socket)."""
        task = asyncio.current_task()
        if self._closed or (task is not None and task.cancelling()):
            raise asyncio.CancelledError() from exc

    async def __call__(self, scope, receive, send):
        # The socket's request id (the handshake's X-Request-ID, else a new one), bound for its log
        # lines; one `ws.session` line when it ends (core/logs.py).
        self._session = logs.SocketSession(scope)
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Cancelled by the server (or a test) without a disconnect: stop this socket's tasks
            # so nothing outlives it; its presence entry ages out by the TTL.
            for task in [
                getattr(self, "_heartbeat_task", None),
                *(t for t, _ in getattr(self, "_typing", {}).values()),
            ]:
                if task is not None:
                    task.cancel()
            _open_sockets.discard(getattr(self, "channel_name", ""))
            self._unmeter()
            self._session.end(self.user_id)

    def _unmeter(self) -> None:
        # This socket leaves the open-sockets and presence-entries gauges, once (core/metrics.py).
        if getattr(self, "_metered", False):
            self._metered = False
            metrics.WS_OPEN.dec()
            metrics.PRESENCE_ENTRIES.dec()

    async def websocket_connect(self, message: dict) -> None:
        # Read once per socket, not per frame sent (a settings lookup showed in the replay profile).
        self._send_timeout = float(conf("SEND_TIMEOUT", 10))
        self._heartbeat_task: asyncio.Task | None = None
        self._typing: dict[int, tuple[asyncio.Task, float]] = {}
        self._thread_others: dict[int, list[int]] = {}
        self._frame_times: deque[float] = deque()
        self._error_times: deque[float] = deque()
        self._typing_times: deque[float] = deque()
        self._joined = False
        try:
            user, head = await self._authenticate_and_join()
            came_online = None
            if user is not None:
                came_online = await presence.backend().touch(
                    user.pk, self.channel_name, limit=int(conf("MAX_SOCKETS_PER_USER", 20))
                )
        except DEPENDENCY_ERRORS as exc:
            # Redis or PostgreSQL cannot serve the handshake: a clean close the client retries
            # (with backoff) instead of an HTTP 500. Nothing was joined that outlives the socket.
            logger.warning("handshake refused with %s, a dependency is unavailable: %s", CLOSE_TRY_AGAIN_LATER, exc)
            await self._refuse(CLOSE_TRY_AGAIN_LATER)
            return
        if user is None:
            await self._refuse(CLOSE_UNAUTHORIZED)
            return
        self.user, self.user_id = user, user.pk
        if came_online is None:
            # Over the per-user cap of open sockets (on every process together).
            logger.info(
                "user %s has %s sockets open already: refused with %s",
                user.pk,
                conf("MAX_SOCKETS_PER_USER", 20),
                CLOSE_TOO_MANY_SOCKETS,
            )
            self.user_id = None  # nothing of this socket's to clean up in presence
            await self._leave_group(user.pk)
            await self._refuse(CLOSE_TOO_MANY_SOCKETS)
            return
        self.cursor = head
        await self.accept()
        await self._emit(
            "hello", {"user": {"id": user.pk, "username": user.get_username()}, "last_event_id": self.cursor}
        )
        _open_sockets.add(self.channel_name)
        metrics.WS_CONNECTIONS.labels("accepted").inc()
        metrics.WS_OPEN.inc()
        metrics.PRESENCE_ENTRIES.inc()
        self._metered = True
        _ensure_sweeper()
        _ensure_watcher(self.channel_layer)
        if came_online:
            await announce_presence(user.pk, "online", presence.iso(time.time()))
        self._heartbeat_task = asyncio.create_task(self._heartbeat())
        # `?last_event_id=N` resumes before any live event is written: no race with `resume`.
        raw = parse_qs(self.scope.get("query_string", b"").decode("latin1")).get("last_event_id")
        if raw:
            try:
                await self._resume(int(raw[0]))
            except ValueError:
                await self._error("invalid", "last_event_id must be an integer.")

    async def _refuse(self, code: int) -> None:
        self._session.close_code = code
        metrics.WS_CONNECTIONS.labels(str(code)).inc()
        await self.accept()
        await self.close(code=code)
        self._closed = True

    async def _leave_group(self, user_id: int) -> None:
        if not self._joined:
            return
        self._joined = False
        try:
            await self.channel_layer.group_discard(group_name(user_id), self.channel_name)
        except DEPENDENCY_ERRORS as exc:  # the group entry expires by itself (group_expiry)
            logger.warning("group_discard failed for user %s: %s", user_id, exc)

    async def _authenticate_and_join(self) -> tuple[Any, int]:
        """The handshake's user, joined to their group, and their stream head read after joining
        (anything committed later reaches the socket live); (None, 0) if not authenticated.

        With a ticket (the usual way in) the ticket names the user id, so the group is joined
        first and the user check and the head read share one trip to the database thread."""
        ticket = ticket_of(self.scope)
        if ticket is None:
            user = await authenticate(self.scope)
            if user is None:
                return None, 0
            await self.channel_layer.group_add(group_name(user.pk), self.channel_name)
            self._joined = True
            return user, await database_sync_to_async(selectors.stream_last_event_id)(user_id=user.pk)
        user_id = await aticket_consume(ticket)
        if user_id is None:
            return None, 0
        await self.channel_layer.group_add(group_name(user_id), self.channel_name)
        user, head = await database_sync_to_async(_active_user_and_head)(user_id)
        if user is None:
            await self.channel_layer.group_discard(group_name(user_id), self.channel_name)
            return None, 0
        self._joined = True
        return user, head

    async def websocket_disconnect(self, message: dict) -> None:
        if self._session.close_code is None:
            self._session.close_code = message.get("code")
        await self._cleanup()
        raise StopConsumer()

    async def _cleanup(self) -> None:
        if getattr(self, "_cleaned", False):
            return
        self._cleaned = True
        self._closed = True
        heartbeat = getattr(self, "_heartbeat_task", None)
        if heartbeat:
            heartbeat.cancel()
        if self.user_id is None:
            return
        for thread_id, (task, _) in list(getattr(self, "_typing", {}).items()):
            task.cancel()
            await self._relay_typing(thread_id, "stop")
        self._typing = {}
        _open_sockets.discard(self.channel_name)
        self._unmeter()
        try:
            if await presence.backend().leave(self.user_id, self.channel_name):
                await announce_presence(self.user_id, "offline", presence.iso(time.time()))
        except DEPENDENCY_ERRORS as exc:  # the entry ages out by PRESENCE_TTL
            logger.warning("presence leave failed for user %s: %s", self.user_id, exc)
        await self._leave_group(self.user_id)

    # --- writing -----------------------------------------------------------------------------
    async def _send_envelope(self, envelope: dict) -> None:
        if self._closed:
            return
        try:
            # The server applies backpressure (uvicorn awaits the socket's drain): a client that
            # stops reading blocks this send. Past the timeout it is dropped; it resumes later.
            # `asyncio.timeout` rather than `wait_for`: no task created per frame sent.
            async with asyncio.timeout(self._send_timeout):
                await self.send(text_data=json.dumps(envelope))
            metrics.frame_out(envelope["type"])
            self._session.frames_out += 1
        except TimeoutError:
            await self._drop(CLOSE_SLOW_CONSUMER)

    async def _emit(self, type: str, data: dict) -> None:
        await self._send_envelope(ephemeral_envelope(type, data))

    async def _error(self, code: str, detail: str) -> None:
        now = time.monotonic()
        self._error_times.append(now)
        while self._error_times and now - self._error_times[0] > 60:
            self._error_times.popleft()
        if len(self._error_times) > int(conf("MAX_ERRORS_PER_MINUTE", 20)):
            await self._drop(CLOSE_RATE_LIMITED)
        await self._emit("error", {"code": code, "detail": detail})

    async def _drop(self, code: int) -> None:
        """Close with `code` and stop this consumer now (the frames after are not processed)."""
        if self._session.close_code is None:
            self._session.close_code = code
        if not self._closed:
            self._closed = True
            try:
                await asyncio.wait_for(self.close(code=code), 1.0)
            except TimeoutError:
                pass
        await self._cleanup()
        raise StopConsumer()

    async def _heartbeat(self) -> None:
        try:
            while not self._closed:
                await asyncio.sleep(float(conf("HEARTBEAT_SECONDS", 25)))
                await self._emit("heartbeat", {})
                await self._renew_presence()
        except StopConsumer:
            pass

    async def _renew_presence(self) -> None:
        """Refresh this socket's presence entry; a failure (Redis away) is logged and the next
        heartbeat tries again: heartbeats to the client never stop because Redis did."""
        user_id = self.user_id
        if user_id is None:  # cleaned up: no presence entry of this socket's to renew
            return
        try:
            if await presence.backend().touch(user_id, self.channel_name):
                # The sweeper had declared us gone (a stalled process, a Redis restart): say we are back.
                await announce_presence(user_id, "online", presence.iso(time.time()))
        except DEPENDENCY_ERRORS as exc:
            logger.warning("presence refresh failed for user %s: %s", self.user_id, exc)

    async def layer_recovered(self, message: dict) -> None:
        """The channel layer is back after an outage or a restart (see _watcher_loop): rejoin the
        group (a restarted Redis forgot it), renew presence, replay what the log holds past
        this socket's cursor. Live events arriving meanwhile are deduplicated by the cursor."""
        if self.user_id is None or self._closed:
            return
        await self.channel_layer.group_add(group_name(self.user_id), self.channel_name)
        self._joined = True
        await self._renew_presence()
        await self._replay(self.cursor)

    async def dispatch(self, message: dict) -> None:
        try:
            await super().dispatch(message)
        except DEPENDENCY_ERRORS as exc:
            # A dependency failed while handling one frame or event: the socket stays open. A
            # client frame gets an error it may retry; an event left undelivered is filled in
            # from the log when the next one arrives (or by layer.recovered).
            logger.warning(
                "%s failed on socket %s, a dependency is unavailable: %s",
                message.get("type"),
                getattr(self, "channel_name", "?"),
                exc,
            )
            if message.get("type") == "websocket.receive" and not self._closed:
                await self._emit(
                    "error", {"code": "unavailable", "detail": "A service this needs is unavailable; retry shortly."}
                )

    # --- the channel layer -------------------------------------------------------------------
    async def event_deliver(self, message: dict) -> None:
        envelope = message["event"]
        eid = envelope.get("id")
        if eid is None:
            await self._send_envelope(envelope)
            return
        if eid <= self.cursor:
            return
        if eid > self.cursor + 1:
            if not await self._replay(self.cursor, upto=eid - 1):
                return
        await self._send_envelope(envelope)
        self.cursor = eid
        metrics.EVENTS_DELIVERED_LIVE.inc()

    async def _replay(self, after: int, upto: int | None = None, first: list[dict] | None = None) -> bool:
        """Send the logged events after `after` (to `upto`), in batches; False if the log has a
        hole there (pruned), in which case `resync_required` was sent and the cursor moved on.
        `first`: the first batch, when the caller already read it."""
        batch = int(conf("REPLAY_BATCH", selectors.REPLAY_BATCH))
        cursor = after
        fetch = database_sync_to_async(selectors.events_after)
        while True:
            if first is not None:
                rows, first = first, None
            else:
                rows = await fetch(user_id=self.user_id, after=cursor, limit=batch, upto=upto)
            for envelope in rows:
                if envelope["id"] != cursor + 1:
                    return await self._resync()
                await self._send_envelope(envelope)
                cursor = self.cursor = envelope["id"]
                metrics.EVENTS_DELIVERED_REPLAY.inc()
            if len(rows) < batch:
                break
        if upto is not None and cursor < upto:
            return await self._resync()
        return True

    async def _resync(self) -> bool:
        head = await database_sync_to_async(selectors.stream_last_event_id)(user_id=self.user_id)
        self.cursor = max(self.cursor, head)
        await self._emit("resync_required", {"last_event_id": self.cursor})
        metrics.WS_RESYNC_REQUIRED.inc()
        return False

    async def _resume(self, last_event_id: int) -> None:
        batch = int(conf("REPLAY_BATCH", selectors.REPLAY_BATCH))
        user_id = self.user_id
        assert user_id is not None  # frames and the replay come only from an authenticated socket

        def head_and_first_batch() -> tuple[int, list[dict]]:
            # One trip to the database thread for the head and the first batch of the replay.
            head = selectors.stream_last_event_id(user_id=user_id)
            if not 0 <= last_event_id < head:
                return head, []
            return head, selectors.events_after(user_id=user_id, after=last_event_id, limit=batch)

        head, first = await database_sync_to_async(head_and_first_batch)()
        if last_event_id < 0 or last_event_id > head:
            # Not an id of this stream (say, from before a database reset): start over.
            await self._resync()
            metrics.WS_RESUMES.labels("resync").inc()
            return
        self.cursor = last_event_id
        if last_event_id < head and not await self._replay(last_event_id, first=first):
            metrics.WS_RESUMES.labels("resync").inc()
            return
        metrics.WS_RESUMES.labels("resumed").inc()
        metrics.WS_REPLAY_EVENTS.observe(self.cursor - last_event_id)
        await self._emit("resumed", {"last_event_id": self.cursor})

    # --- reading -----------------------------------------------------------------------------
    async def websocket_receive(self, message: dict) -> None:
        self._session.frames_in += 1
        if self._closed:
            return
        text, data = message.get("text"), message.get("bytes")
        size = len(data) if data is not None else len(text or "")
        limit = int(conf("MAX_FRAME_BYTES", 64 * 1024))
        if text is not None and size <= limit < size * 4:
            size = len(text.encode("utf-8"))  # only encode when the char count is not decisive
        if size > limit:
            await self._drop(CLOSE_TOO_BIG)
        now = time.monotonic()
        self._frame_times.append(now)
        while now - self._frame_times[0] > 1.0:
            self._frame_times.popleft()
        if len(self._frame_times) > int(conf("MAX_FRAMES_PER_SECOND", 30)):
            await self._drop(CLOSE_RATE_LIMITED)
        try:
            await self._handle(text, data)
        except FrameError as exc:
            metrics.WS_FRAMES_REJECTED.labels(exc.code).inc()
            await self._error(exc.code, exc.detail)

    async def _handle(self, text: str | None, data: bytes | None) -> None:
        if text is None:
            raise FrameError("invalid_frame", "Frames must be JSON text, not binary.")
        problem = frames.shape_problem(
            text, max_depth=int(conf("MAX_FRAME_DEPTH", 8)), max_elements=int(conf("MAX_FRAME_ELEMENTS", 1000))
        )
        if problem:
            raise FrameError("frame_too_complex", problem)
        try:
            frame = json.loads(text)
        except ValueError:
            raise FrameError("invalid_json", "The frame is not valid JSON.") from None
        if not isinstance(frame, dict):
            raise FrameError("invalid_frame", "A frame must be a JSON object.")
        kind = frame.get("type")
        handler = (
            {
                "ping": self._on_ping,
                "resume": self._on_resume,
                "typing": self._on_typing,
                "read": self._on_read,
                "presence.query": self._on_presence_query,
            }.get(kind)
            if isinstance(kind, str)
            else None
        )
        if handler is None:
            raise FrameError("unknown_type", f"Unknown frame type: {kind!r}.")
        metrics.WS_FRAMES_IN.labels(kind).inc()
        await handler(frame)

    async def _on_ping(self, frame: dict) -> None:
        await self._emit("pong", {})

    async def _on_resume(self, frame: dict) -> None:
        n = frame.get("last_event_id")
        if not _is_int(n) or n < 0:
            raise FrameError("invalid", "last_event_id must be a non-negative integer.")
        await self._resume(n)

    async def _on_presence_query(self, frame: dict) -> None:
        users = frame.get("users")
        if not isinstance(users, list) or not all(_is_int(u) for u in users):
            raise FrameError("invalid", "users must be a list of user ids (integers).")
        if len(users) > int(conf("PRESENCE_QUERY_MAX", 200)):
            raise FrameError("invalid", "users: at most 200 ids per query.")
        visible = await database_sync_to_async(selectors.presence_visible_ids)(viewer_id=self.user_id, user_ids=users)
        ordered = sorted(visible)
        states = await presence.backend().query(ordered)
        await self._emit("presence.state", {"users": {str(u): states[u].as_dict() for u in ordered}})

    async def _participant_others(self, thread_id: int) -> list[int]:
        """The other participants of a thread the user is in; FrameError(not_found) otherwise."""
        if thread_id in self._thread_others:
            return self._thread_others[thread_id]

        def load() -> list[int] | None:
            thread = thread_get_for_user(user=self.user, thread_id=thread_id)
            return None if thread is None else [u for u in thread.participant_ids if u != self.user_id]

        others = await database_sync_to_async(load)()
        if others is None:
            raise FrameError("not_found", "No such thread.")
        # Participants of a thread never change, so the answer holds for the socket's life.
        self._thread_others[thread_id] = others
        return others

    async def _on_typing(self, frame: dict) -> None:
        thread_id, state = frame.get("thread"), frame.get("state")
        if not _is_int(thread_id):
            raise FrameError("invalid", "thread must be an integer.")
        if state not in ("start", "stop"):
            raise FrameError("invalid", "state must be 'start' or 'stop'.")
        now = time.monotonic()
        window, limit = float(conf("TYPING_RATE_WINDOW", 10)), int(conf("TYPING_RATE_LIMIT", 20))
        while self._typing_times and now - self._typing_times[0] > window:
            self._typing_times.popleft()
        if len(self._typing_times) >= limit:
            raise FrameError("rate_limited", f"At most {limit} typing frames per {window:g} s.")
        self._typing_times.append(now)
        await self._participant_others(thread_id)
        current = self._typing.get(thread_id)
        if state == "stop":
            if current is not None:
                current[0].cancel()
                del self._typing[thread_id]
                await self._relay_typing(thread_id, "stop")
            return
        ttl = float(conf("TYPING_TTL", 5))
        relayed_at = now
        if current is not None:
            current[0].cancel()
            # A renewal within the throttle window extends the timer without a new frame out.
            if now - current[1] < float(conf("TYPING_RELAY_INTERVAL", 2)):
                relayed_at = current[1]
        self._typing[thread_id] = (asyncio.create_task(self._typing_expiry(thread_id, ttl)), relayed_at)
        if relayed_at == now:
            await self._relay_typing(thread_id, "start", expires_in=ttl)

    async def _typing_expiry(self, thread_id: int, ttl: float) -> None:
        await asyncio.sleep(ttl)
        self._typing.pop(thread_id, None)
        await self._relay_typing(thread_id, "stop")

    async def _relay_typing(self, thread_id: int, state: str, expires_in: float | None = None) -> None:
        others = self._thread_others.get(thread_id, [])
        data: dict[str, Any] = {"thread": thread_id, "user": self.user_id, "state": state}
        if expires_in is not None:
            data["expires_in"] = expires_in
        await apublish_ephemeral(others, "typing", data)

    async def _on_read(self, frame: dict) -> None:
        thread_id, message_id = frame.get("thread"), frame.get("message")
        if not _is_int(thread_id) or not _is_int(message_id):
            raise FrameError("invalid", "thread and message must be integers.")
        await self._participant_others(thread_id)

        def mark() -> None:
            thread = thread_get_for_user(user=self.user, thread_id=thread_id)
            if thread is None:
                raise FrameError("not_found", "No such thread.")
            try:
                thread_mark_read(thread=thread, user=self.user, message_id=message_id)
            except DomainError as exc:
                raise FrameError(exc.code, exc.detail) from None
            except ObjectDoesNotExist:
                raise FrameError("not_found", "No such message in this thread.") from None

        await database_sync_to_async(mark)()
