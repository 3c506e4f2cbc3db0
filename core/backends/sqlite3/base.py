"""Django's SQLite backend with a writer lane (core/backends/sqlite3/lane.py; docs/embedded.md).

ENGINE "core.backends.sqlite3". OPTIONS it reads (and does not pass on to sqlite3.connect):

- `writer_lane` (bool, default True): queue this process's writers in the lane.
- `writer_lane_timeout` (s, default 2.0): how long a writer waits for its turn before
  django.db.OperationalError("database is locked ...") — 503 retry_later, Retry-After.

Where the lane is taken:
- a transaction that takes SQLite's write lock at BEGIN (`transaction_mode` IMMEDIATE or
  EXCLUSIVE; Django's atomic): before BEGIN, held until COMMIT, ROLLBACK or close;
- a transaction that does not (DEFERRED, or autocommit turned off): at its first write
  statement, held until it ends;
- a write statement in autocommit mode (Model.save or QuerySet.update outside atomic): for
  that statement only.
Reads never take it (WAL readers do not block writers, nor writers readers).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base as sqlite3_base

from .lane import LaneTimeout, WriterLane, lane_for

DEFAULT_LANE_TIMEOUT = 2.0

# Statements that take SQLite's write lock. A WITH statement writes if it holds a DML keyword;
# reading a CTE whose text merely contains the word takes the lane needlessly, never wrongly.
_WRITE = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|REINDEX|VACUUM|ANALYZE)\b", re.I)
_WITH = re.compile(r"\s*WITH\b", re.I)
_DML = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def is_write(sql: str) -> bool:
    if _WRITE.match(sql):
        return True
    return bool(_WITH.match(sql)) and bool(_DML.search(sql))


class DatabaseWrapper(sqlite3_base.DatabaseWrapper):
    lane: WriterLane | None = None
    lane_timeout: float = DEFAULT_LANE_TIMEOUT
    lane_held = False  # this connection holds (or shares, see lane.py) its lane

    def get_connection_params(self) -> dict[str, Any]:
        options = self.settings_dict["OPTIONS"]
        lane_on = options.get("writer_lane", True)
        timeout = options.get("writer_lane_timeout")
        self.lane_timeout = DEFAULT_LANE_TIMEOUT if timeout is None else float(timeout)
        kwargs = super().get_connection_params()
        kwargs.pop("writer_lane", None)
        kwargs.pop("writer_lane_timeout", None)
        self.lane = lane_for(str(self.settings_dict["NAME"])) if lane_on else None
        return kwargs

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=LaneCursor)
        cursor.db = self
        return cursor

    # -- the lane ------------------------------------------------------------------------------

    def lane_acquire(self) -> bool:
        """Take the lane for this connection; False if it already holds it (or has none)."""
        lane = self.lane
        if lane is None or self.lane_held:
            return False
        try:
            lane.acquire(self, self.lane_timeout)
        except LaneTimeout as exc:
            raise OperationalError(str(exc)) from exc
        self.lane_held = True
        return True

    def lane_release(self) -> None:
        if self.lane_held:
            self.lane_held = False
            if self.lane is not None:
                self.lane.release(self)

    def in_transaction(self) -> bool:
        return self.in_atomic_block or not self.autocommit

    def _start_transaction_under_autocommit(self) -> None:
        if getattr(self, "transaction_mode", None) not in ("IMMEDIATE", "EXCLUSIVE"):  # DEFERRED: at a write
            return super()._start_transaction_under_autocommit()  # type: ignore[misc]
        took = self.lane_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            if took:
                self.lane_release()
            raise

    def _commit(self) -> None:
        super()._commit()  # type: ignore[misc]  # a failed COMMIT keeps the transaction, and the lane, until ROLLBACK
        self.lane_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # (not in the stubs)
        finally:
            self.lane_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self.lane_release()

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)  # type: ignore[misc]
        if autocommit:  # sqlite3 commits an open transaction when autocommit is turned on
            self.lane_release()


class LaneCursor(sqlite3_base.SQLiteCursorWrapper):
    db: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        return self._in_lane(super().execute, query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        return self._in_lane(super().executemany, query, param_list)

    def _in_lane(self, run: Any, query: str, params: Any) -> Any:
        took = self._lane_for(query)
        try:
            return run(query, params)
        finally:
            if took and not self.db.in_transaction():
                self.db.lane_release()

    def _lane_for(self, query: str) -> bool:
        db = self.db
        if db.lane is None or db.lane_held or not is_write(query):
            return False
        return db.lane_acquire()
