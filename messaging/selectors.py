"""Reads of the messaging app, scoped to what the caller may see. Every thread lookup that serves
a user goes through here, so a non-participant finds nothing (and the API answers 404).

A participant whom the other participant has blocked also finds nothing: to them the blocker's
thread is gone until the block is lifted (nothing in it is deleted)."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from collective.models import Block

from .models import Message, Thread, ThreadMembership


def threads_for_user(*, user) -> QuerySet[Thread]:
    blocked_by_other = Block.objects.filter(blocked_id=user.pk).filter(
        Q(blocker_id=OuterRef("user_low_id")) | Q(blocker_id=OuterRef("user_high_id"))
    )
    return Thread.objects.filter(Q(user_low_id=user.pk) | Q(user_high_id=user.pk)).exclude(Exists(blocked_by_other))


def thread_get_for_user(*, user, thread_id: int) -> Thread | None:
    """The thread if `user` is one of its participants (and not blocked by the other), else None."""
    try:
        thread_id = int(thread_id)
    except (TypeError, ValueError):
        return None
    return threads_for_user(user=user).filter(pk=thread_id).first()


def threads_annotated(*, user) -> QuerySet[Thread]:
    """The caller's threads with everything the list shows, in one query whatever their number:
    both users, the last message, the caller's unread count, both read markers, the archive flag.
    Ordered by last activity (the last message, or creation for an empty thread), newest first."""
    mine = ThreadMembership.objects.filter(thread_id=OuterRef("pk"), user_id=user.pk)
    theirs = ThreadMembership.objects.filter(thread_id=OuterRef("pk")).exclude(user_id=user.pk)
    unread = (
        Message.objects.filter(
            thread_id=OuterRef("pk"),
            deleted_at__isnull=True,
            id__gt=Coalesce(OuterRef("my_last_read_id"), Value(0)),
        )
        .exclude(sender_id=user.pk)
        .order_by()
        .values("thread_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        threads_for_user(user=user)
        .select_related("user_low", "user_high", "last_message")
        .annotate(
            my_last_read_id=Subquery(mine.values("last_read_message_id")[:1]),
            my_archived_at=Subquery(mine.values("archived_at")[:1]),
            other_last_read_id=Subquery(theirs.values("last_read_message_id")[:1]),
        )
        .annotate(
            unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            last_activity_at=Coalesce("last_message_at", "created_at"),
        )
        .order_by("-last_activity_at", "-id")
    )


def threads_list_for_user(*, user, archived: bool = False) -> QuerySet[Thread]:
    qs = threads_annotated(user=user)
    # my_archived_at is threads_annotated's annotation, which the plugin does not follow.
    return qs.filter(my_archived_at__isnull=not archived)  # type: ignore[misc]


def messages_for_thread(*, thread: Thread) -> QuerySet[Message]:
    """Messages of a thread the caller was already allowed to see (look it up with
    `thread_get_for_user` first). Newest first by id: ids only grow, so a cursor on id stays
    correct while new messages arrive."""
    return Message.objects.filter(thread=thread).order_by("-id")
