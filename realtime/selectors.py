"""Reads of the realtime layer: the event log for replay, and who may see whose presence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connections, router
from django.db.models import Q

from collective.models import Block, Connection, Follow
from core.sql import prebuilt
from messaging.models import Thread

from .models import Event, Stream

REPLAY_BATCH = 500  # events per query when replaying; bounds both queries and memory


def stream_last_event_id(*, user_id: int) -> int:
    return Stream.objects.filter(user_id=user_id).values_list("last_event_id", flat=True).first() or 0


def events_after(*, user_id: int, after: int, limit: int = REPLAY_BATCH, upto: int | None = None) -> list[dict]:
    """Up to `limit` envelopes of `user_id`'s stream with `after` < id (<= `upto`), oldest first.
    One query, on the (user, seq) unique index."""
    qs = Event.objects.filter(user_id=user_id, seq__gt=after)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    return [e.envelope() for e in qs.order_by("seq")[:limit]]


def replay_batches(*, user_id: int, after: int, batch: int = REPLAY_BATCH) -> Iterator[list[dict]]:
    """The consumer's replay, for sync callers: batches of envelopes after `after`, in order, one
    query per batch. Raises `ReplayGap` if an id is missing (the log was pruned past `after`)."""
    cursor = after
    while True:
        rows = events_after(user_id=user_id, after=cursor, limit=batch)
        for envelope in rows:
            if envelope["id"] != cursor + 1:
                # Ids are dense per user (one row lock hands them out), so a hole means the log
                # no longer holds what the client missed.
                raise ReplayGap(cursor + 1)
            cursor = envelope["id"]
        if rows:
            yield rows
        if len(rows) < batch:
            return


class ReplayGap(Exception):
    pass


def _pairs_blocked_with(user_id: int) -> set[int]:
    rows = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list("blocker_id", "blocked_id")
    return {b if a == user_id else a for a, b in rows}


def _partners(user_id: int) -> set[int]:
    """Users who share a connection (any status) or a message thread with `user_id`."""
    ids: set[int] = set()
    for a, b in Connection.objects.filter(Q(initiator_id=user_id) | Q(responder_id=user_id)).values_list(
        "initiator_id", "responder_id"
    ):
        ids.add(b if a == user_id else a)
    for a, b in Thread.objects.filter(Q(user_low_id=user_id) | Q(user_high_id=user_id)).values_list(
        "user_low_id", "user_high_id"
    ):
        ids.add(b if a == user_id else a)
    return ids


def _audience_sql(qn) -> str:
    conn_t, thread_t, follow_t, block_t = (qn(m._meta.db_table) for m in (Connection, Thread, Follow, Block))
    parts = [
        (conn_t, "responder_id", "initiator_id", 0),
        (conn_t, "initiator_id", "responder_id", 0),
        (thread_t, "user_high_id", "user_low_id", 0),
        (thread_t, "user_low_id", "user_high_id", 0),
        (follow_t, "follower_id", "following_id", 0),
        (block_t, "blocked_id", "blocker_id", 1),
        (block_t, "blocker_id", "blocked_id", 1),
    ]
    return " UNION ALL ".join(
        f"SELECT {qn(other)}, {tag} FROM {table} WHERE {qn(me)} = %s" for table, other, me, tag in parts
    )


def presence_audience_ids(*, user_id: int) -> set[int]:
    """Who hears `user_id`'s presence: users sharing a connection or thread with them, and their
    followers; never someone on either side of a block with them.

    One query (a UNION ALL of the five relations and the blocks, tagged), since every socket
    handshake that brings a user online asks it. Its SQL is built once: building the same
    seven-part union with the ORM on every handshake was 22 % of the server's CPU in the mass
    reconnect benchmark (docs/benchmarks.md)."""
    connection = connections[router.db_for_read(Connection)]
    with connection.cursor() as cursor:
        cursor.execute(prebuilt(connection, "realtime.presence_audience", _audience_sql), [user_id] * 7)
        rows = cursor.fetchall()
    ids: set[int] = set()
    blocked: set[int] = set()
    for uid, is_block in rows:
        (blocked if is_block else ids).add(uid)
    ids.discard(user_id)
    return ids - blocked


def presence_visible_ids(*, viewer_id: int, user_ids: Iterable[int]) -> set[int]:
    """Of `user_ids`, those whose presence `viewer_id` may see: the mirror of the audience rule
    (a partner of the viewer, or someone the viewer follows). The viewer always sees themself."""
    wanted = {int(u) for u in user_ids}
    if not wanted:
        return set()
    allowed = _partners(viewer_id)
    allowed.update(
        Follow.objects.filter(follower_id=viewer_id, following_id__in=wanted).values_list("following_id", flat=True)
    )
    allowed -= _pairs_blocked_with(viewer_id)
    allowed.add(viewer_id)
    return wanted & allowed
