"""The one way any code emits an event: `publish(user_ids, type, data)`.

Durable events are written to the event log inside the caller's transaction and pushed through
the channel layer to each recipient's group `user.<id>` only after that transaction commits. A
rolled-back transaction leaves no row and sends nothing. The channel layer is the fast path and
is at-most-once; the log is the record that `resume` replays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections, router, transaction
from django.db.models import Field

from core import metrics
from core.errors import DEPENDENCY_ERRORS
from core.sql import prebuilt

from .catalogue import DURABLE_TYPES, EPHEMERAL_TYPES
from .groupsend import group_send_many
from .models import Event, Stream

logger = logging.getLogger(__name__)


def group_name(user_id: int) -> str:
    return f"user.{user_id}"


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def publish(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> list[Event]:
    """Record a durable event for each recipient and deliver it after commit.

    Recipients are de-duplicated. Returns the Event rows written (one per recipient).

    Two statements whatever the number of recipients: one upsert that creates or bumps every
    recipient's stream head and returns the new ids, and one insert of the events.
    """
    # Only the type is checked here (a set lookup), before anything else so that a bad type
    # fails even with no recipients; payloads are checked by the test suite, not on this path.
    if type not in DURABLE_TYPES:
        _refuse(type, durable=True)
    recipients = sorted({int(u) for u in user_ids if u is not None})
    if not recipients:
        return []
    now = datetime.now(UTC)
    # savepoint=False: joins the caller's transaction (or opens one) without SAVEPOINT/RELEASE
    # round trips; an error here propagates and rolls the caller's transaction back anyway.
    with transaction.atomic(using=_db(), savepoint=False):
        if connections[_db()].vendor == "postgresql":
            events = _bump_and_insert(recipients, type, data, now)
        else:
            heads = _bump_streams(recipients)
            events = Event.objects.bulk_create(
                [Event(user_id=u, seq=heads[u], type=type, data=data, created_at=now) for u in recipients]
            )
        envelopes = [(e.user_id, e.envelope()) for e in events]
        transaction.on_commit(lambda: _send(envelopes), using=_db())
    return events


def _db() -> str:
    return router.db_for_write(Stream)


def _bump_streams(user_ids: list[int]) -> dict[int, int]:
    """Hand out the next id of each user's stream: `{user_id: new last_event_id}`.

    One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (PostgreSQL; SQLite >= 3.35). The upsert
    locks each existing stream row until the transaction ends, like `SELECT ... FOR UPDATE`, so
    ids are handed out in commit order: a concurrent publisher to the same user waits here until
    this transaction commits or rolls back, then bumps the committed head. Rows are written in
    the (sorted) order of `user_ids`, so two publishers lock in the same order and never deadlock.
    """
    conn = connections[_db()]
    sql = _upsert_sql(conn.ops.quote_name, len(user_ids))
    with conn.cursor() as cursor:
        cursor.execute(sql, user_ids)
        heads = {int(u): int(n) for u, n in cursor.fetchall()}
    if len(heads) != len(user_ids):  # cannot happen: every row is inserted or updated
        raise RuntimeError(f"stream upsert returned {len(heads)} rows for {len(user_ids)} users")
    return heads


def _upsert_sql(qn, n: int) -> str:
    table = qn(Stream._meta.db_table)
    user_col = qn(Stream._meta.get_field("user").column)
    head_col = qn(cast(str, Stream._meta.get_field("last_event_id").column))  # a concrete field: has one
    values = ", ".join(["(%s, 1)"] * n)
    return (
        f"INSERT INTO {table} ({user_col}, {head_col}) VALUES {values} "
        f"ON CONFLICT ({user_col}) DO UPDATE SET {head_col} = {table}.{head_col} + 1 "
        f"RETURNING {user_col}, {head_col}"
    )


def _bump_and_insert(user_ids: list[int], type: str, data: dict[str, Any], now: datetime) -> list[Event]:
    """PostgreSQL: `_bump_streams` and the events' insert as one statement (a data-modifying CTE:
    one round trip instead of two, and the payload sent once, not once per recipient). The same
    upsert, so the same locking and order (see `_bump_streams`)."""
    conn = connections[_db()]
    opts = Event._meta

    n = len(user_ids)

    def build(qn) -> str:
        def col(name: str) -> str:
            return qn(cast(str, cast(Field, opts.get_field(name)).column))  # concrete fields: they have one

        cols = ", ".join(col(f) for f in ("user", "seq", "type", "data", "created_at"))
        return (
            f"WITH s (u, n) AS ({_upsert_sql(qn, n)}) "
            f"INSERT INTO {qn(opts.db_table)} ({cols}) SELECT u, n, %s, %s, %s FROM s "
            f"RETURNING {qn(cast(str, opts.pk.column))}, {col('user')}, {col('seq')}"
        )

    # Built once per number of recipients (a message: 2), like the send's statements (core/sql.py).
    sql = prebuilt(conn, f"realtime.bump_and_insert.{n}", build) if n <= 8 else build(conn.ops.quote_name)
    params = [*user_ids, type, cast(Field, opts.get_field("data")).get_db_prep_save(data, connection=conn)]
    params.append(conn.ops.adapt_datetimefield_value(now))
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) != len(user_ids):  # cannot happen: every stream row is inserted or updated
        raise RuntimeError(f"event insert returned {len(rows)} rows for {len(user_ids)} users")
    events = []
    for pk, user_id, seq in sorted(rows, key=lambda r: r[1]):
        event = Event(id=pk, user_id=user_id, seq=seq, type=type, data=data, created_at=now)
        event._state.adding, event._state.db = False, conn.alias
        events.append(event)
    return events


def _refuse(type: str, *, durable: bool) -> None:
    if type in (EPHEMERAL_TYPES if durable else DURABLE_TYPES):
        other = "publish_ephemeral" if durable else "publish"
        raise ValueError(f"{type!r} is {'ephemeral' if durable else 'durable'}; use {other}")
    raise ValueError(f"unknown event type {type!r}: add it to realtime/catalogue.py")


def ephemeral_envelope(type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The frame of an ephemeral event. Every ephemeral frame (the publishers' and the consumer's
    own protocol frames) is built here, so this is where an unknown type is refused."""
    if type not in EPHEMERAL_TYPES:
        _refuse(type, durable=False)
    return {"id": None, "type": type, "ts": utc_now_iso(), "data": data}


def publish_ephemeral(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> None:
    """Send an event that is never stored nor replayed (typing, presence). From sync code.

    Sent at once, not on commit: ephemeral events describe the moment, not a database change."""
    envelope = ephemeral_envelope(type, data)
    _send([(int(u), envelope) for u in set(user_ids) if u is not None])


async def apublish_ephemeral(user_ids: Iterable[int], type: str, data: dict[str, Any]) -> None:
    """As publish_ephemeral, from async code (the consumer)."""
    envelope = ephemeral_envelope(type, data)  # first: an unknown type fails even without a layer
    layer = get_channel_layer()
    if layer is None:
        return
    recipients = {int(u) for u in user_ids if u is not None}
    metrics.EVENTS_PUBLISHED.labels(type).inc(len(recipients))
    for uid in recipients:
        try:
            await layer.group_send(group_name(uid), {"type": "event.deliver", "event": envelope})
        except Exception:  # ephemeral: a lost one is superseded by the next
            metrics.LAYER_FAILURES.labels("send_ephemeral").inc()
            logger.exception("channel layer send failed for user %s (%s)", uid, type)


def _send(envelopes: list[tuple[int, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not envelopes:
        return
    # One type per call (a publish, a publish_ephemeral); durable ones are here after their commit.
    metrics.EVENTS_PUBLISHED.labels(envelopes[0][1]["type"]).inc(len(envelopes))
    # One hop to the event loop for all recipients, their group sends in parallel (each
    # recipient gets one event per publish, so parallel sends cannot reorder a stream).
    async_to_sync(_asend)(layer, envelopes)


# Groups per batch of one publish: a publish to thousands of users sends them in batches of this
# many (two Redis scripts per shard each, realtime/groupsend.py; on other layers, this many
# group sends in flight at once), so it neither builds one huge script nor opens thousands of
# connections at once (the layer's pool is capped).
SEND_CONCURRENCY = 50


async def _asend(layer: Any, envelopes: list[tuple[int, dict[str, Any]]]) -> None:
    results: list[BaseException | None] = []
    for i in range(0, len(envelopes), SEND_CONCURRENCY):
        results += await group_send_many(
            layer,
            [(group_name(u), {"type": "event.deliver", "event": e}) for u, e in envelopes[i : i + SEND_CONCURRENCY]],
        )
    failed = [
        (user_id, envelope.get("id"), result)
        for (user_id, envelope), result in zip(envelopes, results, strict=True)
        if result is not None
    ]
    if not failed:
        return
    metrics.LAYER_FAILURES.labels("send").inc(len(failed))
    # The log holds the events: a socket catches up when the layer is back (the consumer's
    # layer.recovered replay) or on resume. A layer outage is one line per publish, not a
    # traceback per recipient; anything else is a bug and keeps its traceback.
    outage = [f for f in failed if isinstance(f[2], DEPENDENCY_ERRORS)]
    if outage:
        logger.warning(
            "channel layer send failed for %d recipient(s) (users %s, events %s): %s",
            len(outage),
            [u for u, _, _ in outage][:10],
            [e for _, e, _ in outage][:10],
            outage[0][2],
        )
    for user_id, event_id, exc in failed:
        if (user_id, event_id, exc) not in outage:
            logger.error("channel layer send failed for user %s (event %s)", user_id, event_id, exc_info=exc)
