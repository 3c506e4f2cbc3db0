from __future__ import annotations

import pytest

from core.errors import DomainError, NotFound
from messaging.models import Message, ThreadMembership
from messaging.services import message_send, thread_get_or_create, thread_mark_read
from realtime.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    a, b = UserFactory(), UserFactory()
    thread, _ = thread_get_or_create(user_a=a, user_b=b)
    return a, b, thread


def test_send_creates_message_and_publishes_to_both(pair):
    a, b, thread = pair
    message = message_send(thread=thread, sender=a, body="Hello **there**")
    assert message.body == "Hello **there**"
    assert "<strong>there</strong>" in message.body_html
    thread.refresh_from_db()
    assert thread.last_message_id == message.pk
    events = Event.objects.filter(type="message.created")
    assert sorted(e.user_id for e in events) == sorted([a.pk, b.pk])
    assert all(e.data["thread"] == thread.pk and e.data["message"]["id"] == message.pk for e in events)


def test_outsider_cannot_send(pair):
    a, b, thread = pair
    with pytest.raises(NotFound):
        message_send(thread=thread, sender=UserFactory(), body="hi")
    assert Message.objects.count() == 0


def test_mark_read_moves_forward_only(pair):
    a, b, thread = pair
    m1 = message_send(thread=thread, sender=a, body="one")
    m2 = message_send(thread=thread, sender=a, body="two")
    thread_mark_read(thread=thread, user=b, message_id=m2.pk)
    thread_mark_read(thread=thread, user=b, message_id=m1.pk)
    membership = ThreadMembership.objects.get(thread=thread, user=b)
    assert membership.last_read_message_id == m2.pk
    reads = Event.objects.filter(type="thread.read")
    assert sorted(e.user_id for e in reads) == sorted([a.pk, b.pk])
    assert {e.data["message"] for e in reads} == {m2.pk}


def test_mark_read_rejects_message_of_another_thread(pair):
    a, b, thread = pair
    other_thread, _ = thread_get_or_create(user_a=a, user_b=UserFactory())
    foreign = message_send(thread=other_thread, sender=a, body="elsewhere")
    with pytest.raises(DomainError) as err:
        thread_mark_read(thread=thread, user=b, message_id=foreign.pk)
    assert err.value.field == "message"
