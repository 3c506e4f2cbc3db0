"""Writes of the messaging app. Threads, messages and read markers change only through these
services; each announces what changed as a domain event (messaging/events.py), which realtime's
fan-out turns into the socket events of its participants (realtime/subscribers.py)."""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.fields import DateTimeField

from collective.models import Block, Connection, User
from collective.selectors.blocks import is_blocked
from core.errors import Conflict, CoreCode, DomainError, Forbidden, NotFound, RateLimited
from core.events import announce
from core.sql import prebuilt
from messaging.errors import MessagingCode

from . import conf, validation
from .events import MessageDeleted, MessageEdited, MessageHidden, MessageSent, ThreadRead
from .models import Message, ModerationAction, ModerationKind, Thread, ThreadMembership
from .rendering import render_body

logger = logging.getLogger(__name__)

# --- threads ---------------------------------------------------------------------------------


def _ensure_memberships(thread: Thread) -> None:
    ThreadMembership.objects.bulk_create(
        [ThreadMembership(thread=thread, user_id=uid) for uid in thread.participant_ids], ignore_conflicts=True
    )


def thread_get_or_create(*, user_a, user_b, opened_to_stranger: bool = False) -> tuple[Thread, bool]:
    """The single thread between two users, created if missing (by `user_a`). Safe under
    concurrent calls: the pair's unique constraint decides, and the loser reads the winner's row.

    Checks no block: callers (connections, `thread_open`) decide what a block means for them."""
    if user_a.pk == user_b.pk:
        raise DomainError("You cannot open a conversation with yourself.", code=MessagingCode.SELF_THREAD, field="user")
    low, high = sorted((user_a.pk, user_b.pk))
    thread = Thread.objects.filter(user_low_id=low, user_high_id=high).first()
    if thread:
        return thread, False
    try:
        with transaction.atomic():
            thread = Thread.objects.create(
                user_low_id=low, user_high_id=high, created_by_id=user_a.pk, opened_to_stranger=opened_to_stranger
            )
            _ensure_memberships(thread)
            return thread, True
    except IntegrityError:
        return Thread.objects.get(user_low_id=low, user_high_id=high), False


def _are_strangers(a_id: int, b_id: int) -> bool:
    return not Connection.objects.filter(
        Q(initiator_id=a_id, responder_id=b_id) | Q(initiator_id=b_id, responder_id=a_id)
    ).exists()


@transaction.atomic
def thread_open(*, user, other_user_id: int) -> tuple[Thread, bool]:
    """`POST /threads/`: the caller's thread with another user, opened if missing.

    A user who blocked the caller is indistinguishable from a user who does not exist (404).
    Opening a new thread with a stranger (no connection either way) counts toward a daily limit."""
    other = User.objects.filter(pk=other_user_id, is_active=True).first()
    if other is None or is_blocked(blocker_id=other_user_id, blocked_id=user.pk):
        raise NotFound("No such user.", code=CoreCode.NOT_FOUND, field="user")
    if other.pk == user.pk:
        raise DomainError("You cannot open a conversation with yourself.", code=MessagingCode.SELF_THREAD, field="user")
    low, high = sorted((user.pk, other.pk))
    existing = Thread.objects.filter(user_low_id=low, user_high_id=high).first()
    if existing:
        return existing, False
    stranger = _are_strangers(user.pk, other.pk)
    if stranger:
        _check_stranger_limit(user)
    return thread_get_or_create(user_a=user, user_b=other, opened_to_stranger=stranger)


def _check_stranger_limit(user) -> None:
    limit = conf.get("NEW_STRANGER_THREADS_PER_DAY")
    since = timezone.now() - timedelta(days=1)
    recent = list(
        Thread.objects.filter(created_by_id=user.pk, opened_to_stranger=True, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)[: limit + 1]
    )
    if len(recent) >= limit:
        # The window is rolling: a slot frees when the oldest counted thread turns a day old.
        retry = (recent[0] + timedelta(days=1) - timezone.now()).total_seconds()
        raise RateLimited(
            f"You can start at most {limit} conversations a day with people you are not connected to.",
            retry_after=int(retry) + 1,
            code=MessagingCode.STRANGER_THREAD_LIMIT,
        )


def _membership(thread: Thread, user_id: int, *, lock: bool = False) -> ThreadMembership:
    qs = ThreadMembership.objects.select_for_update() if lock else ThreadMembership.objects
    membership = qs.filter(thread=thread, user_id=user_id).first()
    if membership is None:
        _ensure_memberships(thread)
        membership = qs.get(thread=thread, user_id=user_id)
    return membership


def _require_participant(thread: Thread, user) -> None:
    """Services are called with objects from trusted code too (the socket consumer): check again.
    A non-participant, or a participant the other has blocked, finds no thread."""
    if not thread.is_participant(user):
        raise NotFound("No such thread.", code=CoreCode.NOT_FOUND)
    if is_blocked(blocker_id=thread.other_participant_id(user.pk), blocked_id=user.pk):
        raise NotFound("No such thread.", code=CoreCode.NOT_FOUND)


@transaction.atomic
def thread_set_archived(*, thread: Thread, user, archived: bool) -> ThreadMembership:
    """Archive or unarchive the thread for `user` only. Idempotent."""
    _require_participant(thread, user)
    membership = _membership(thread, user.pk, lock=True)
    if (membership.archived_at is not None) == archived:
        return membership
    membership.archived_at = timezone.now() if archived else None
    membership.save(update_fields=["archived_at"])
    return membership


# --- messages --------------------------------------------------------------------------------


def _check_send_rate(sender) -> None:
    """At most SEND_RATE_PER_MINUTE sends in any minute, as a sliding-window estimate: the count of
    the current one-minute window plus the previous window's count weighted by how much of it still
    overlaps the last 60 s. A fixed window alone would let a sender fire twice the limit around a
    window edge. Counters live in the shared cache (Redis when configured, so every process counts
    together); `incr` is atomic, and a refused send is taken back so retries do not extend a block."""
    limit = conf.get("SEND_RATE_PER_MINUTE")
    period = 60.0
    now = time.time()
    window = int(now // period)
    elapsed = (now % period) / period
    key = f"messaging:send-rate:{sender.pk}:{window}"
    previous_key = f"messaging:send-rate:{sender.pk}:{window - 1}"
    counted = _count_send_redis(key, previous_key, int(3 * period))
    if counted is not None:
        current, previous = counted
    else:
        cache.add(key, 0, timeout=int(3 * period))
        try:
            current = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=int(3 * period))
            current = 1
        previous = int(cache.get(previous_key, 0) or 0)
    if previous * (1 - elapsed) + current <= limit:
        return
    try:
        cache.decr(key)
    except ValueError:
        pass
    raise RateLimited(
        f"You can send at most {limit} messages a minute.",
        retry_after=_send_retry_after(limit, previous, current - 1, elapsed, period),
        code=MessagingCode.SEND_RATE_LIMITED,
    )


def _count_send_redis(key: str, previous_key: str, timeout: int) -> tuple[int, int] | None:
    """With Django's Redis cache: count this send and read the previous window in one round trip
    (a pipeline of SET NX EX, INCR, GET) instead of four (add; incr = EXISTS + INCR; get).
    The counters stay ordinary cache entries (Django stores ints as plain integers). None with
    any other cache backend: the caller uses the portable cache API."""
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    k = backend.make_and_validate_key(key)
    pk = backend.make_and_validate_key(previous_key)
    client = backend._cache.get_client(k, write=True)
    pipe = client.pipeline(transaction=False)
    pipe.set(k, 0, ex=timeout, nx=True)
    pipe.incr(k)
    pipe.get(pk)
    _, current, previous = pipe.execute()
    return int(current), int(previous or 0)


def _send_retry_after(limit: int, previous: int, current: int, elapsed: float, period: float) -> int:
    """Seconds until one more send fits under the sliding-window estimate."""
    if current + 1 <= limit and previous > 0:
        # Later in this window, once enough of the previous window has slid out.
        fraction = 1 - (limit - current - 1) / previous
        if fraction < 1:
            return math.ceil(max(0.0, fraction - elapsed) * period - 1e-6)
    # In the next window, this window's sends become the weighted "previous" ones.
    fraction = 0.0 if current <= 0 else max(0.0, 1 - (limit - 1) / current)
    return math.ceil((1 - elapsed + fraction) * period - 1e-6)


def _replay(sender, client_id: str | None, thread_id: int) -> Message:
    """The message an earlier send with this client_id stored, marked `replayed`; Conflict if it
    is in another thread."""
    existing = Message.objects.filter(sender_id=sender.pk, client_id=client_id).first()
    if existing is None:  # the index saw a row this statement does not: a constraint the service lost
        raise IntegrityError(f"message with client_id of sender {sender.pk} not found after a conflict")
    if existing.thread_id != thread_id:
        raise Conflict(
            "This client_id was already used for a message in another thread.",
            code=CoreCode.CLIENT_ID_REUSED,
            field="client_id",
        )
    existing.replayed = True
    return existing


def _after_send_updates(*, thread_id: int, sender_id: int, message_id: int, now) -> None:
    """The thread's preview and both memberships after a new message, in two plain statements.

    - Concurrent sends may commit out of order: the preview only ever moves to a newer message.
    - A new message brings the thread back for both participants (decided: see
      docs/messaging.md), and the sender has read everything up to their own message (silent:
      no thread.read event); rows needing neither are not touched. In an UPDATE every SET
      expression sees the row as it was, so the CASEs test the old marker.
    Raw SQL because this runs on every send and the ORM spent longer building these two
    statements (a Case/When update) than the database spent running them (profile in
    docs/benchmarks.md)."""
    conn = connections[router.db_for_write(Message)]
    qn = conn.ops.quote_name
    when = conn.ops.adapt_datetimefield_value(now)
    thread_t = qn(Thread._meta.db_table)
    member_t = qn(ThreadMembership._meta.db_table)
    behind = "(user_id = %s AND (last_read_message_id IS NULL OR last_read_message_id < %s))"
    with conn.cursor() as cursor:
        cursor.execute(
            f"UPDATE {thread_t} SET last_message_id = %s, last_message_at = %s "
            "WHERE id = %s AND (last_message_id IS NULL OR last_message_id < %s)",
            [message_id, when, thread_id, message_id],
        )
        cursor.execute(
            f"UPDATE {member_t} SET archived_at = NULL, "
            f"last_read_message_id = CASE WHEN {behind} THEN %s ELSE last_read_message_id END, "
            f"last_read_at = CASE WHEN {behind} THEN %s ELSE last_read_at END "
            f"WHERE thread_id = %s AND (archived_at IS NOT NULL OR {behind})",
            [sender_id, message_id, message_id, sender_id, message_id, when, thread_id, sender_id, message_id],
        )


# --- sending ----------------------------------------------------------------------------------
# `message_send` is the one way a message is posted (REST, the connection service, tasks). It is
# the hot path of delivery (docs/benchmarks.md), so it reads and writes with prebuilt statements:
# one query answers "may this sender post here, has anyone blocked anyone, was this client_id
# used", and the insert needs no savepoint (a race on the client_id is decided by the unique index
# and answered as a replay).

_MAX_ID = 2**63 - 1


def _context_sql(qn) -> str:
    # The thread if the sender takes part and the other participant has not blocked them
    # (as `selectors.thread_get_for_user`), whether the sender blocked the other, and
    # the message this (sender, client_id) already names, in any thread (NULL client_id: none).
    thread_t, message_t, block_t = (qn(m._meta.db_table) for m in (Thread, Message, Block))
    return (
        f"SELECT t.id, t.user_low_id, t.user_high_id, "
        f"EXISTS (SELECT 1 FROM {block_t} b WHERE b.blocker_id = %s AND b.blocked_id = "
        f"CASE WHEN t.user_low_id = %s THEN t.user_high_id ELSE t.user_low_id END), "
        f"(SELECT m.id FROM {message_t} m WHERE m.sender_id = %s AND m.client_id = %s) "
        f"FROM {thread_t} t WHERE t.id = %s AND (t.user_low_id = %s OR t.user_high_id = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {block_t} b WHERE b.blocked_id = %s "
        f"AND (b.blocker_id = t.user_low_id OR b.blocker_id = t.user_high_id))"
    )


def _insert_sql(qn) -> str:
    # The unique (sender, client_id) index decides a race: the loser inserts nothing
    # (after the winner commits) instead of failing, so no savepoint is needed.
    return (
        f"INSERT INTO {qn(Message._meta.db_table)} (thread_id, sender_id, body, body_html, attachments, "
        f"actions, client_id, created_at, edited_at, deleted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL) "
        f"ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING id"
    )


def _insert_folded_sql(qn) -> str:
    # PostgreSQL: `_insert_sql` and `_after_send_updates`'s two updates as one statement. The
    # updates join the inserted row `m`: a lost client_id race inserts nothing, so they update
    # nothing (as the unfolded path, which returns before them). Every sub-statement of a WITH runs
    # to completion whether or not the outer query reads it.
    thread_t, member_t = qn(Thread._meta.db_table), qn(ThreadMembership._meta.db_table)
    marker = f"{member_t}.last_read_message_id"
    behind = f"({member_t}.user_id = %s AND ({marker} IS NULL OR {marker} < m.id))"
    return (
        f"WITH m AS ({_insert_sql(qn)}), "
        f"t AS (UPDATE {thread_t} SET last_message_id = m.id, last_message_at = %s FROM m "
        f"WHERE {thread_t}.id = %s AND ({thread_t}.last_message_id IS NULL OR {thread_t}.last_message_id < m.id)), "
        f"u AS (UPDATE {member_t} SET archived_at = NULL, "
        f"last_read_message_id = CASE WHEN {behind} THEN m.id ELSE {marker} END, "
        f"last_read_at = CASE WHEN {behind} THEN %s ELSE {member_t}.last_read_at END FROM m "
        f"WHERE {member_t}.thread_id = %s AND ({member_t}.archived_at IS NOT NULL OR {behind})) "
        f"SELECT id FROM m"
    )


def _send_context(*, sender_id: int, thread_id: int, client_id: str | None) -> tuple | None:
    """(thread id, user_low_id, user_high_id, sender blocked the other, id of the message the
    client_id names or None), or None when the sender may not see the thread."""
    if not 0 <= thread_id <= _MAX_ID:  # the ORM finds nothing for an id out of range; so do we
        return None
    conn = connections[router.db_for_read(Thread)]
    with conn.cursor() as cursor:
        cursor.execute(
            prebuilt(conn, "messaging.send_context", _context_sql),
            [sender_id, sender_id, sender_id, client_id, thread_id, sender_id, sender_id, sender_id],
        )
        return cursor.fetchone()


_datetime_field = DateTimeField()  # DRF's own formatting of a datetime, as MessageSerializer's
_actions_field = Message._meta.get_field("actions")


def message_representation(message: Message) -> dict[str, Any]:
    """`MessageSerializer`'s representation of a message `message_send` just stored (not edited,
    not deleted), without building the serializer: the `message` of `message.created` and the
    REST response (tests/messaging/test_send_fast_path.py holds the two equal)."""
    return {
        "id": message.pk,
        "thread": message.thread_id,
        "sender": message.sender_id,
        "body": message.body,
        "body_html": message.body_html,
        "attachments": [{"type": a["type"], "id": a["id"]} for a in message.attachments],
        "actions": message.actions,
        "client_id": message.client_id,
        "created_at": _datetime_field.to_representation(message.created_at),
        "edited_at": None,
        "deleted_at": None,
        "is_deleted": False,
    }


def message_send(
    *,
    sender,
    body: str,
    thread: Thread | None = None,
    thread_id: int | None = None,
    client_id: str | None = None,
    attachments: list | None = None,
    notify: bool = True,
    actions: list[dict[str, Any]] | None = None,
    rate_limit: bool = True,
) -> Message:
    """Post a message in `thread` (or the thread `thread_id`: no need to load it first).

    Idempotent on (sender, client_id): a repeat returns the first message, with
    `message.replayed` True, and emits nothing. Publishes `message.created` to both participants
    and announces `MessageSent` (notifications: a `new_message` notification when the recipient
    is offline, one per thread while unread). `notify=False`: the caller notifies in its own words
    (a connection's first message).

    In order: NotFound if the sender may not see the thread (not a participant, or blocked by the
    other); a client_id that is not 1 to 64 characters; a replay; Forbidden if the sender blocked
    the other; the body, the attachments (messaging.validation); the send rate."""
    if thread is not None:
        thread_id = thread.pk
    if thread_id is None:
        raise TypeError("message_send needs a thread or a thread_id")
    client_id_ok = validation.client_id_valid(client_id)
    row = _send_context(sender_id=sender.pk, thread_id=thread_id, client_id=client_id if client_id_ok else None)
    if row is None:
        raise NotFound("No such thread.", code=CoreCode.NOT_FOUND)
    thread_id, user_low_id, user_high_id, sender_blocked_other, used_by = row
    if not client_id_ok:
        raise validation.client_id_error()
    if used_by is not None:
        return _replay(sender, client_id, thread_id)
    if sender_blocked_other:
        raise Forbidden("You blocked this user: unblock them to send messages.", code=MessagingCode.BLOCKED)
    body = validation.body_clean(body)
    cleaned_attachments = validation.attachments_clean(sender, attachments)
    if rate_limit:
        _check_send_rate(sender)
    body_html = render_body(body)
    # Only the write holds a transaction: with SQLite's IMMEDIATE transactions (embedded), the
    # reads, the rate check and the rendering above would otherwise hold the database's one write
    # lock (and its writer lane) too; on PostgreSQL, the thread's row lock.
    return _message_store(
        thread=thread,
        thread_id=thread_id,
        participant_ids=(user_low_id, user_high_id),
        sender=sender,
        body=body,
        body_html=body_html,
        client_id=client_id,
        attachments=cleaned_attachments,
        notify=notify,
        actions=actions,
    )


@transaction.atomic
def _message_store(
    *,
    thread: Thread | None,
    thread_id: int,
    participant_ids: tuple[int, int],
    sender,
    body: str,
    body_html: str,
    client_id: str | None,
    attachments: list[dict[str, Any]],
    notify: bool,
    actions: list[dict[str, Any]] | None = None,
) -> Message:
    """The write of `message_send`, its input checked and the rate counted: the row, the thread's
    preview and memberships, `message.created`, `MessageSent`."""
    now = timezone.now()
    conn = connections[router.db_for_write(Message)]
    # PostgreSQL: the insert and the thread's and memberships' updates in one statement (one round
    # trip instead of three: data-modifying CTEs); SQLite has none, and its statements cost no
    # round trip: the insert, then `_after_send_updates`.
    folded = conn.vendor == "postgresql"
    when = conn.ops.adapt_datetimefield_value(now)
    params = [
        thread_id,
        sender.pk,
        body,
        body_html,
        Message._meta.get_field("attachments").get_db_prep_save(attachments, connection=conn),
        None if actions is None else _actions_field.get_db_prep_save(actions, connection=conn),
        client_id,
        when,
    ]
    with conn.cursor() as cursor:
        if folded:
            cursor.execute(
                prebuilt(conn, "messaging.send_insert_folded", _insert_folded_sql),
                [*params, when, thread_id, sender.pk, sender.pk, when, thread_id, sender.pk],
            )
        else:
            cursor.execute(prebuilt(conn, "messaging.send_insert", _insert_sql), params)
        inserted = cursor.fetchone()
    if inserted is None:  # a concurrent send with this client_id committed first: answer with its message
        logger.info("client_id race lost by sender %s in thread %s", sender.pk, thread_id)
        return _replay(sender, client_id, thread_id)
    message = Message(
        id=inserted[0],
        thread_id=thread_id,
        sender=sender,
        body=body,
        body_html=body_html,
        attachments=attachments,
        actions=actions,
        client_id=client_id,
        created_at=now,
    )
    message._state.adding, message._state.db = False, conn.alias
    if not folded:
        _after_send_updates(thread_id=thread_id, sender_id=sender.pk, message_id=message.pk, now=now)
    if thread is not None:
        message.thread = thread
        thread.last_message_id, thread.last_message_at = message.pk, now

    data = message.representation = message_representation(message)
    recipient_id = participant_ids[1] if sender.pk == participant_ids[0] else participant_ids[0]
    announce(
        MessageSent(
            message_id=message.pk,
            thread_id=thread_id,
            sender_id=sender.pk,
            recipient_id=recipient_id,
            body=body,
            notify=notify,
            sender=sender,
            participant_ids=participant_ids,
            representation=data,
        )
    )
    return message


def _own_message(*, thread: Thread, user, message_id: int, lock: bool = True) -> Message:
    _require_participant(thread, user)
    qs = Message.objects.select_for_update() if lock else Message.objects
    message = qs.filter(thread=thread, pk=message_id).first()
    if message is None:
        raise NotFound("No such message.", code=CoreCode.NOT_FOUND)
    if message.sender_id != user.pk:
        raise Forbidden("Only the sender can change a message.", code=MessagingCode.NOT_SENDER)
    return message


@transaction.atomic
def message_edit(*, thread: Thread, user, message_id: int, body: str) -> Message:
    """Edit one's own message within the edit window. Publishes `message.updated`."""
    message = _own_message(thread=thread, user=user, message_id=message_id)
    if message.deleted_at is not None:
        raise Conflict("A deleted message cannot be edited.", code=MessagingCode.MESSAGE_DELETED)
    if message.hidden_at is not None:
        raise Conflict("A message hidden by a moderator cannot be edited.", code=MessagingCode.MESSAGE_HIDDEN)
    window = conf.get("EDIT_WINDOW_SECONDS")
    if timezone.now() - message.created_at > timedelta(seconds=window):
        raise Forbidden(
            f"A message can be edited only within {window // 60} minutes of sending.",
            code=MessagingCode.EDIT_WINDOW_CLOSED,
        )
    body = validation.body_clean(body)
    if body == message.body:
        return message
    message.body = body
    message.body_html = render_body(body)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    announce(
        MessageEdited(
            message_id=message.pk,
            thread_id=thread.pk,
            sender_id=message.sender_id,
            participant_ids=thread.participant_ids,
            message=message,
        )
    )
    return message


@transaction.atomic
def message_delete(*, thread: Thread, user, message_id: int) -> Message:
    """Soft-delete one's own message: body, HTML and attachments are gone for everyone, the row
    stays. Idempotent. Publishes `message.deleted`."""
    message = _own_message(thread=thread, user=user, message_id=message_id)
    if message.deleted_at is not None:
        return message
    message.body = ""
    message.body_html = ""
    message.attachments = []
    message.hidden_content = None  # deleted by its sender: gone for the moderators too
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "body_html", "attachments", "hidden_content", "deleted_at"])
    announce(
        MessageDeleted(
            message_id=message.pk,
            thread_id=thread.pk,
            sender_id=message.sender_id,
            participant_ids=thread.participant_ids,
            message=message,
        )
    )
    return message


# --- moderation (docs/messaging.md, "Hidden messages") ---------------------------------------

MODERATE_PERMISSION = "messaging.moderate_message"
HIDDEN_BODY = "This message was hidden by a moderator."


def _moderated(*, message_id: int, moderator) -> Message:
    if not (moderator.is_active and moderator.is_staff and moderator.has_perm(MODERATE_PERMISSION)):
        raise Forbidden("Only a moderator can hide or unhide a message.", code=CoreCode.PERMISSION_DENIED)
    message = Message.objects.select_for_update().select_related("thread").filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message.", code=CoreCode.NOT_FOUND)
    return message


def _announce_update(message: Message) -> None:
    # A hidden or restored message reaches live sessions as `message.updated` (its new body).
    announce(
        MessageEdited(
            message_id=message.pk,
            thread_id=message.thread_id,
            sender_id=message.sender_id,
            participant_ids=message.thread.participant_ids,
            message=message,
        )
    )


@transaction.atomic
def message_hide(*, message_id: int, moderator, reason: str = "") -> Message:
    """Hide a message from its thread's participants: it is served with the placeholder
    `HIDDEN_BODY` and no attachments; what the sender wrote is kept in `hidden_content` for the
    moderators. Writes a `ModerationAction` audit row and publishes `message.updated`.
    Idempotent (a hidden or deleted message is returned as is, with no audit row).
    Raises Forbidden unless `moderator` is staff with `messaging.moderate_message`."""
    message = _moderated(message_id=message_id, moderator=moderator)
    if message.hidden_at is not None or message.deleted_at is not None:
        return message
    message.hidden_content = {
        "body": message.body,
        "body_html": message.body_html,
        "attachments": message.attachments,
    }
    message.body = HIDDEN_BODY
    message.body_html = render_body(HIDDEN_BODY)
    message.attachments = []
    message.hidden_at = timezone.now()
    message.hidden_by = moderator
    message.save(update_fields=["body", "body_html", "attachments", "hidden_content", "hidden_at", "hidden_by"])
    ModerationAction.objects.create(message=message, moderator=moderator, action=ModerationKind.HIDE, reason=reason)
    _announce_update(message)
    announce(MessageHidden(message_id=message.pk, thread_id=message.thread_id, moderator_id=moderator.pk))
    return message


@transaction.atomic
def message_unhide(*, message_id: int, moderator, reason: str = "") -> Message:
    """Undo `message_hide`: the sender's body, HTML and attachments come back. Writes a
    `ModerationAction` audit row and publishes `message.updated`. Idempotent (a message not
    hidden is returned as is, with no audit row)."""
    message = _moderated(message_id=message_id, moderator=moderator)
    if message.hidden_at is None:
        return message
    content = message.hidden_content or {}
    message.body = content.get("body", "")
    message.body_html = content.get("body_html", "")
    message.attachments = content.get("attachments", [])
    message.hidden_content = None
    message.hidden_at = None
    message.hidden_by = None
    message.save(update_fields=["body", "body_html", "attachments", "hidden_content", "hidden_at", "hidden_by"])
    ModerationAction.objects.create(message=message, moderator=moderator, action=ModerationKind.UNHIDE, reason=reason)
    _announce_update(message)
    return message


# --- read markers ----------------------------------------------------------------------------


@transaction.atomic
def thread_mark_read(*, thread: Thread, user, message_id: int) -> ThreadMembership:
    """Move `user`'s read marker in `thread` to `message_id`. Markers only move forward: an older
    or equal message is a no-op and emits nothing. Publishes `thread.read` to both participants.

    Raises NotFound if `user` may not see the thread, DomainError(field="message") if the
    message is not in it."""
    _require_participant(thread, user)
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise DomainError("message must be a message id.", code=CoreCode.INVALID, field="message") from None
    if not Message.objects.filter(thread=thread, pk=message_id).exists():
        raise DomainError(
            "This message is not in this thread.", code=MessagingCode.MESSAGE_NOT_IN_THREAD, field="message"
        )
    membership = _membership(thread, user.pk, lock=True)
    if membership.last_read_message_id is not None and membership.last_read_message_id >= message_id:
        return membership
    membership.last_read_message_id = message_id
    membership.last_read_at = timezone.now()
    membership.save(update_fields=["last_read_message", "last_read_at"])
    last = Thread.objects.filter(pk=thread.pk).values_list("last_message_id", flat=True).first()
    announce(
        ThreadRead(
            thread_id=thread.pk,
            user_id=user.pk,
            message_id=message_id,
            to_end=last is None or message_id >= last,
            participant_ids=thread.participant_ids,
        )
    )
    return membership
