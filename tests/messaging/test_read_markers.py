from __future__ import annotations

import pytest

from core.errors import NotFound
from messaging.models import ThreadMembership
from messaging.services import message_send, thread_get_or_create, thread_mark_read
from tests.factories import UserFactory

from .conftest import events_of, recipients

pytestmark = pytest.mark.django_db


def read_url(thread) -> str:
    return f"/api/v1/threads/{thread.pk}/read/"


def test_rest_read_marker_publishes_to_both(alice, bob, thread, bob_client):
    m = message_send(thread=thread, sender=alice, body="hi")
    r = bob_client.post(read_url(thread), {"message": m.pk})
    assert r.status_code == 200 and r.data["last_read_message"] == m.pk and r.data["unread_count"] == 0
    assert recipients("thread.read") == sorted([alice.pk, bob.pk])
    assert events_of("thread.read")[0].data == {"thread": thread.pk, "user": bob.pk, "message": m.pk}


def test_marker_only_moves_forward(alice, bob, thread, bob_client):
    m1 = message_send(thread=thread, sender=alice, body="one")
    m2 = message_send(thread=thread, sender=alice, body="two")
    assert bob_client.post(read_url(thread), {"message": m2.pk}).status_code == 200
    r = bob_client.post(read_url(thread), {"message": m1.pk})
    assert r.status_code == 200 and r.data["last_read_message"] == m2.pk
    r = bob_client.post(read_url(thread), {"message": m2.pk})
    assert r.status_code == 200
    assert len(events_of("thread.read")) == 2  # only the first move, to both participants
    assert ThreadMembership.objects.get(thread=thread, user=bob).last_read_message_id == m2.pk


def test_message_must_belong_to_thread(alice, bob, thread, bob_client):
    elsewhere, _ = thread_get_or_create(user_a=bob, user_b=UserFactory())
    foreign = message_send(thread=elsewhere, sender=bob, body="x")
    r = bob_client.post(read_url(thread), {"message": foreign.pk})
    assert r.status_code == 400 and r.data["code"] == "message_not_in_thread" and "message" in r.data["fields"]
    for bad in ({"message": 999999}, {}, {"message": "abc"}, {"message": -1}):
        r = bob_client.post(read_url(thread), bad)
        assert r.status_code == 400 and "message" in r.data["fields"]
    assert events_of("thread.read") == []


def test_service_validates_participant_even_with_a_thread_object(alice, bob, thread):
    """The socket consumer passes a Thread it looked up; the service checks again."""
    m = message_send(thread=thread, sender=alice, body="hi")
    with pytest.raises(NotFound):
        thread_mark_read(thread=thread, user=UserFactory(), message_id=m.pk)
    assert events_of("thread.read") == []


def test_sending_silently_marks_own_message_read(alice, bob, thread):
    m = message_send(thread=thread, sender=alice, body="hi")
    assert ThreadMembership.objects.get(thread=thread, user=alice).last_read_message_id == m.pk
    assert ThreadMembership.objects.get(thread=thread, user=bob).last_read_message_id is None
    assert events_of("thread.read") == []


def test_marker_works_for_a_thread_created_without_memberships(alice, bob):
    """Threads made outside the service (older rows, direct creation) still get markers."""
    from messaging.models import Thread

    low, high = sorted((alice.pk, bob.pk))
    thread = Thread.objects.create(user_low_id=low, user_high_id=high)
    m = message_send(thread=thread, sender=alice, body="hi")
    membership = thread_mark_read(thread=thread, user=bob, message_id=m.pk)
    assert membership.last_read_message_id == m.pk
