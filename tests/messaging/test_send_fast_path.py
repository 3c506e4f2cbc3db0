"""`POST /threads/{id}/messages/` sends through one service, `services.message_send`, which builds
the new message's representation itself (`services.message_representation`, shared by the event
and the response) instead of running `MessageSerializer`; the common request skips the request
serializer too (`validation.plain_send_input`). Both shortcuts must say what the serializers
would, byte for byte where a client can see it."""

from __future__ import annotations

import pytest

from collective.models import Block, Connection, ConnectionType
from messaging.api.messages.serializers import MessageSerializer
from messaging.models import Message
from messaging.services import message_send
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory

from .conftest import events_of

pytestmark = pytest.mark.django_db


def url(thread) -> str:
    return f"/api/v1/threads/{thread.pk}/messages/"


@pytest.mark.parametrize("client_id", [None, "fast-1"])
def test_plain_send_answers_as_the_serializer_would(alice, bob, thread, alice_client, client_id):
    payload = {"body": "Hi *there* <script>x</script>"}
    if client_id:
        payload["client_id"] = client_id
    r = alice_client.post(url(thread), payload)
    assert r.status_code == 201, r.content
    stored = Message.objects.get(pk=r.data["id"])
    assert r.json() == MessageSerializer(stored).data
    assert [e.data for e in events_of("message.created")] == [{"thread": thread.pk, "message": r.json()}] * 2
    thread.refresh_from_db()
    assert thread.last_message_id == stored.pk and thread.last_message_at == stored.created_at
    assert client_for(bob).get(url(thread)).json()["results"][0] == r.json()


def test_send_with_attachments_answers_as_the_serializer_would(alice, bob, thread, alice_client):
    offer = OfferFactory(user=bob, status="active")
    connection = Connection.objects.create(
        initiator=alice, responder=bob, connection_type=ConnectionType.DIRECT, initial_message="hi"
    )
    attachments = [{"type": "offer", "id": offer.pk}, {"type": "connection", "id": connection.pk}]
    r = alice_client.post(url(thread), {"body": "see", "client_id": "att-1", "attachments": attachments})
    assert r.status_code == 201, r.content
    stored = Message.objects.get(pk=r.data["id"])
    assert r.json() == MessageSerializer(stored).data
    assert [e.data for e in events_of("message.created")] == [{"thread": thread.pk, "message": r.json()}] * 2
    again = alice_client.post(url(thread), {"body": "see", "client_id": "att-1", "attachments": attachments})
    assert again.status_code == 200 and again.json() == r.json()


def test_the_service_publishes_what_the_serializer_says(alice, bob, thread):
    sent = message_send(thread=thread, sender=bob, body="a **reply**", client_id="svc-1")
    stored = Message.objects.get(pk=sent.pk)
    assert not sent.replayed
    assert [e.data for e in events_of("message.created")] == [
        {"thread": thread.pk, "message": MessageSerializer(stored).data}
    ] * 2
    assert MessageSerializer(sent).data == MessageSerializer(stored).data
    again = message_send(thread_id=thread.pk, sender=bob, body="a **reply**", client_id="svc-1")
    assert again.replayed and again.pk == sent.pk and len(events_of("message.created")) == 2


def test_plain_send_statements(thread, alice_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice_client.post(url(thread), {"body": "warm up"})
    with CaptureQueriesContext(connection) as captured:
        assert alice_client.post(url(thread), {"body": "counted", "client_id": "q-1"}).status_code == 201
    # Savepoints exist here only because the test runs inside a transaction.
    statements = [q["sql"].split()[0] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        # auth, send context, the message with its thread's preview and memberships (one
        # statement), the stream heads with the events (one statement), and (bob is offline) the
        # check for an unread notification of this thread
        assert statements == ["SELECT", "SELECT", "WITH", "WITH", "SELECT"]
    else:
        # SQLite has no data-modifying CTEs (and no round trips): auth, send context, insert,
        # preview, memberships, stream heads, events, the unread-notification check
        assert statements == ["SELECT", "SELECT", "INSERT", "UPDATE", "UPDATE", "INSERT", "INSERT", "SELECT"]


def test_outsider_gets_404_before_any_body_error(thread):
    outsider = client_for(UserFactory())
    for payload in ({"body": "x"}, {}, {"body": ""}):
        assert outsider.post(url(thread), payload).status_code == 404
    r = outsider.post(url(thread), "{not json", content_type="application/json")
    assert r.status_code == 404
    assert outsider.post("/api/v1/threads/99999999999999999999/messages/", {"body": "x"}).status_code == 404


def test_unparsable_body_in_own_thread_is_the_parsers_400(thread, alice_client):
    r = alice_client.post(url(thread), "{not json", content_type="application/json")
    assert r.status_code == 400 and set(r.json()) == {"code", "detail"}
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"body": 123},
        {"body": "x", "client_id": None},
        {"body": "x", "attachments": []},
        {"body": "  padded  "},
    ],
)
def test_inputs_the_serializer_accepts(thread, alice_client, payload):
    r = alice_client.post(url(thread), payload)
    assert r.status_code == 201, r.content
    assert r.json() == MessageSerializer(Message.objects.get(pk=r.data["id"])).data
    assert r.data["body"] == str(payload["body"])


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"body": "a\x00b"}, "body"),
        ('{"body": "a\\ud800b"}', "body"),  # a lone surrogate, as JSON can carry it
        ({"body": "   "}, "body"),
        ({"body": "x", "client_id": "a\x00"}, "client_id"),
        ({"body": "x", "client_id": ""}, "client_id"),
        ({"body": "x", "attachments": None}, "attachments"),
        ({"body": "x", "attachments": "no"}, "attachments"),
    ],
)
def test_inputs_the_serializer_refuses(thread, alice_client, payload, field):
    if isinstance(payload, str):
        r = alice_client.post(url(thread), payload, content_type="application/json")
    else:
        r = alice_client.post(url(thread), payload)
    assert r.status_code == 400, r.content
    assert r.data["code"] == "invalid" and field in r.data["fields"]
    assert Message.objects.count() == 0


def test_replay_block_and_reuse_still_take_the_general_path(alice, bob, thread, alice_client):
    first = alice_client.post(url(thread), {"body": "once", "client_id": "same"})
    again = alice_client.post(url(thread), {"body": "once", "client_id": "same"})
    assert (first.status_code, again.status_code) == (201, 200) and again.json() == first.json()
    Block.objects.create(blocker=alice, blocked=bob)
    # A replay still answers while the sender blocks the other; a new message is refused.
    assert alice_client.post(url(thread), {"body": "once", "client_id": "same"}).status_code == 200
    r = alice_client.post(url(thread), {"body": "new"})
    assert r.status_code == 403 and r.data["code"] == "blocked"
    Block.objects.all().delete()
    Block.objects.create(blocker=bob, blocked=alice)
    assert alice_client.post(url(thread), {"body": "new"}).status_code == 404
    assert Event.objects.filter(type="message.created").count() == 2
