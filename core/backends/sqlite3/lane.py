"""The writer lane: one fair, bounded, in-process queue per SQLite database file.

SQLite lets one connection write at a time. Without a lane, twenty request threads that want to
write all call BEGIN IMMEDIATE and the losers sleep in SQLite's busy handler (1, 2, 5 ... up to
100 ms between retries), so a writer may sleep long after the lock came free, and who gets it
next is luck: tail latency and lost throughput. With the lane a writer first queues here (FIFO,
woken the moment its turn comes), then runs BEGIN, which finds the lock free.

- Per holder (a DatabaseWrapper): taken once per transaction, given back at COMMIT, ROLLBACK
  or close; nested atomic blocks (savepoints) do not take it again.
- Re-entrant per thread: a thread that holds the lane through one connection and writes through
  another connection to the same file is let through (SQLite's busy timeout then decides, as
  without a lane), instead of waiting here for itself.
- Bounded: a writer that does not get its turn within the timeout gets `LaneTimeout`, which the
  backend raises as django.db.OperationalError("database is locked ...") — answered 503
  retry_later with Retry-After, like SQLite's own busy timeout (core/errors.py).
- A holder whose thread died (or whose connection was garbage-collected) without giving the lane
  back is skipped: waiters check for that every STALE_CHECK seconds.

Only this process queues here; other processes (manage.py commands, a second server on the same
file) still meet at SQLite's lock, where the busy timeout is the backstop.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from typing import Any

STALE_CHECK = 0.25  # s: how often a waiter looks for a holder that died


class LaneTimeout(Exception):
    def __init__(self, name: str, waited: float) -> None:
        super().__init__(f"database is locked (writer lane of {name}: no turn within {waited:.2f} s)")
        self.waited = waited


class _Waiter:
    __slots__ = ("thread", "holder", "wake")

    def __init__(self, holder: Any) -> None:
        self.thread = threading.current_thread()
        self.holder = holder
        self.wake = threading.Lock()
        self.wake.acquire()


class WriterLane:
    """A FIFO lock with direct hand-over: `release` gives the lane to the oldest waiter, so a
    thread arriving later cannot take it first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._mutex = threading.Lock()
        self._queue: deque[_Waiter] = deque()
        self._thread: threading.Thread | None = None  # the thread that took the lane
        self._holders: dict[int, weakref.ref[Any]] = {}  # id(holder) -> holder, all of one thread
        self._shareable = False  # the holder's connection may be used by other threads
        # Counters for tests and the docs' figures.
        self.acquired = 0
        self.waited = 0
        self.timeouts = 0
        self.stolen = 0

    # -- state, under _mutex ------------------------------------------------------------------

    def _grant(self, holder: Any, thread: threading.Thread) -> None:
        self._thread = thread
        self._holders = {id(holder): weakref.ref(holder)}
        self._shareable = bool(getattr(holder, "allow_thread_sharing", False))
        self.acquired += 1

    def _hand_over(self) -> None:
        self._thread, self._holders = None, {}
        if self._queue:
            waiter = self._queue.popleft()
            self._grant(waiter.holder, waiter.thread)
            waiter.wake.release()

    def _stale(self) -> bool:
        """The holder can no longer give the lane back: its thread ended (a thread-local
        connection is never used again) or every holding connection was garbage-collected."""
        if self._thread is None:
            return False
        if all(ref() is None for ref in self._holders.values()):
            return True
        return not self._thread.is_alive() and not self._shareable

    # -- API ---------------------------------------------------------------------------------

    def held_by(self, holder: Any) -> bool:
        with self._mutex:
            return id(holder) in self._holders and self._holders[id(holder)]() is holder

    def acquire(self, holder: Any, timeout: float) -> None:
        """Wait (at most `timeout` s) for the lane, then hold it for `holder` until `release`."""
        me = threading.current_thread()
        with self._mutex:
            if self._thread is None and not self._queue:
                self._grant(holder, me)
                return
            if self._thread is me:  # this thread holds it through another connection
                self._holders[id(holder)] = weakref.ref(holder)
                return
            waiter = _Waiter(holder)
            self._queue.append(waiter)
            self.waited += 1
        start = time.monotonic()
        deadline = start + timeout
        while True:
            remaining = deadline - time.monotonic()
            if waiter.wake.acquire(timeout=max(0.0, min(remaining, STALE_CHECK))):
                return
            with self._mutex:
                if self._thread is me and id(holder) in self._holders:  # granted meanwhile
                    return
                if self._stale():
                    self.stolen += 1
                    self._hand_over()
                    if self._thread is me:
                        return
                    continue
                if time.monotonic() >= deadline:
                    self._queue.remove(waiter)
                    self.timeouts += 1
                    raise LaneTimeout(self.name, time.monotonic() - start)

    def release(self, holder: Any) -> bool:
        """Give back what `holder` holds; False if it held nothing (safe to call always)."""
        with self._mutex:
            ref = self._holders.get(id(holder))
            if ref is None or ref() is not holder:
                return False
            del self._holders[id(holder)]
            if not self._holders:
                self._hand_over()
            return True

    @property
    def queued(self) -> int:
        with self._mutex:
            return len(self._queue)


_lanes: dict[str, WriterLane] = {}
_lanes_mutex = threading.Lock()


def lane_key(name: str) -> str | None:
    """The lane of a database NAME: its real path, the URI of a shared-cache in-memory database,
    or None for a private in-memory database (each connection its own database: no sharing)."""
    if not name or name == ":memory:":
        return None
    if name.startswith("file:"):
        if "mode=memory" in name and "cache=shared" not in name:
            return None
        return name
    return os.path.realpath(name)


def lane_for(name: str) -> WriterLane | None:
    key = lane_key(name)
    if key is None:
        return None
    with _lanes_mutex:
        lane = _lanes.get(key)
        if lane is None:
            lane = _lanes[key] = WriterLane(key)
        return lane
