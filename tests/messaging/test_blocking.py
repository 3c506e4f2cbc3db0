from __future__ import annotations

import pytest

from collective.models import Block
from core.errors import NotFound
from messaging.models import Message
from messaging.services import message_send, thread_mark_read

from .conftest import events_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/threads/"


@pytest.fixture
def history(alice, bob, thread):
    return [message_send(thread=thread, sender=s, body=b) for s, b in ((alice, "hi bob"), (bob, "hi alice"))]


def test_blocked_user_loses_the_blockers_thread(alice, bob, thread, history, bob_client):
    Block.objects.create(blocker=alice, blocked=bob)
    base = f"{URL}{thread.pk}/"
    assert bob_client.get(URL).data["results"] == []
    assert bob_client.get(base).status_code == 404
    assert bob_client.get(f"{base}messages/").status_code == 404
    assert bob_client.post(f"{base}messages/", {"body": "let me in"}).status_code == 404
    assert bob_client.post(f"{base}read/", {"message": history[0].pk}).status_code == 404
    assert bob_client.patch(f"{base}messages/{history[1].pk}/", {"body": "edit"}).status_code == 404
    assert bob_client.delete(f"{base}messages/{history[1].pk}/").status_code == 404
    # Opening a thread answers as for a user who does not exist.
    r = bob_client.post(URL, {"user": alice.pk})
    assert r.status_code == 404 and "user" in r.data["fields"]
    # The socket path goes through the same service checks.
    with pytest.raises(NotFound):
        thread_mark_read(thread=thread, user=bob, message_id=history[0].pk)
    with pytest.raises(NotFound):
        message_send(thread=thread, sender=bob, body="via socket")
    assert Message.objects.count() == 2


def test_blocker_keeps_history_but_cannot_send(alice, bob, thread, history, alice_client):
    Block.objects.create(blocker=alice, blocked=bob)
    assert [t["id"] for t in alice_client.get(URL).data["results"]] == [thread.pk]
    assert len(alice_client.get(f"{URL}{thread.pk}/messages/").data["results"]) == 2
    assert alice_client.post(f"{URL}{thread.pk}/read/", {"message": history[1].pk}).status_code == 200
    assert alice_client.post(URL, {"user": bob.pk}).status_code == 200
    r = alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "one last word"})
    assert r.status_code == 403 and r.data["code"] == "blocked"
    # Her own messages stay hers to fix or remove.
    assert alice_client.delete(f"{URL}{thread.pk}/messages/{history[0].pk}/").status_code == 204
    assert events_of("message.created") and len(events_of("message.created")) == 4  # only the history


def test_unblock_restores_everything(alice, bob, thread, history, bob_client, alice_client):
    block = Block.objects.create(blocker=alice, blocked=bob)
    assert bob_client.get(f"{URL}{thread.pk}/messages/").status_code == 404
    block.delete()
    r = bob_client.get(f"{URL}{thread.pk}/messages/")
    assert r.status_code == 200 and [m["body"] for m in r.data["results"]] == ["hi alice", "hi bob"]
    assert bob_client.post(f"{URL}{thread.pk}/messages/", {"body": "thanks"}).status_code == 201
    assert alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "welcome"}).status_code == 201


def test_block_does_not_affect_other_threads(alice, bob, thread, history):
    from tests.conftest import client_for
    from tests.factories import UserFactory

    carol = UserFactory()
    Block.objects.create(blocker=alice, blocked=bob)
    r = client_for(bob).post(URL, {"user": carol.pk})
    assert r.status_code == 201
