"""Message events reach every open socket of both participants, the sender's other tabs included."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from messaging.services import message_delete, message_edit, message_send, thread_get_or_create
from tests.factories import UserFactory
from tests.realtime.conftest import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_message_events_reach_all_tabs_of_both_participants():
    alice, bob, outsider = await database_sync_to_async(lambda: [UserFactory() for _ in range(3)])()
    thread = await database_sync_to_async(lambda: thread_get_or_create(user_a=alice, user_b=bob)[0])()
    sockets = {"alice1": await open_socket(alice), "alice2": await open_socket(alice), "bob": await open_socket(bob)}
    sockets = {k: v[0] for k, v in sockets.items()}
    out, _ = await open_socket(outsider)

    message = await database_sync_to_async(message_send)(thread=thread, sender=alice, body="hello *bob*")
    await database_sync_to_async(message_edit)(thread=thread, user=alice, message_id=message.pk, body="hello bob")
    await database_sync_to_async(message_delete)(thread=thread, user=alice, message_id=message.pk)

    for name, comm in sockets.items():
        frames = [f for f in await receive_until(comm, "message.deleted") if f["type"].startswith("message.")]
        assert [f["type"] for f in frames] == ["message.created", "message.updated", "message.deleted"], name
        assert all(f["data"]["thread"] == thread.pk and f["data"]["message"]["id"] == message.pk for f in frames)
        assert [f["id"] for f in frames] == sorted(f["id"] for f in frames)
        assert frames[1]["data"]["message"]["body"] == "hello bob"
        assert frames[2]["data"]["message"]["body"] == "" and frames[2]["data"]["message"]["is_deleted"]
    assert await out.receive_nothing(timeout=0.3)
    for comm in [*sockets.values(), out]:
        await comm.disconnect()
