"""`notification.created` reaches the recipient's open sockets live, and a recipient with an open
socket (presence from the real consumer) is not considered for SMS."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from collective.services.connections import connection_create
from messaging.services import message_send, thread_get_or_create
from notifications.models import Notification
from tests.factories import OfferFactory, UserFactory
from tests.fakes.sms import _no_one_online, phone_user  # noqa: F401
from tests.realtime.conftest import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_notification_created_is_pushed_to_the_recipient_only():
    owner = await database_sync_to_async(phone_user)()
    initiator = await database_sync_to_async(UserFactory)(username="sarah")
    offer = await database_sync_to_async(OfferFactory)(user=owner, title="Mentoring")
    owner_socket, _ = await open_socket(owner)
    initiator_socket, _ = await open_socket(initiator)

    connection = await database_sync_to_async(connection_create)(initiator=initiator, offer=offer, initial_message="Hi")

    frames = await receive_until(owner_socket, "notification.created")
    frame = frames[-1]
    note = await database_sync_to_async(Notification.objects.get)(recipient=owner)
    assert frame["id"] is not None
    assert frame["data"] == {
        "notification": {
            "id": note.pk,
            "kind": "connection_request",
            "title": "@sarah wants to connect about your Mentoring",
            "body": "Hi",
            "url": note.url,
            "created_at": frame["data"]["notification"]["created_at"],
        }
    }
    assert note.url.endswith(f"/connections/{connection.pk}")
    # The owner had a socket open: no SMS will be tried.
    assert (note.sms_state, note.sms_reason) == ("skipped", "online")
    initiator_frames = await receive_until(initiator_socket, "connection.created")
    assert "notification.created" not in [f["type"] for f in initiator_frames]
    assert await initiator_socket.receive_nothing(timeout=0.3)

    # An online recipient sees the message itself: no "new message" notification.
    thread = await database_sync_to_async(lambda: thread_get_or_create(user_a=initiator, user_b=owner)[0])()
    await database_sync_to_async(message_send)(thread=thread, sender=initiator, body="Still there?")
    assert await database_sync_to_async(Notification.objects.filter(kind="new_message").count)() == 0
    await owner_socket.disconnect()
    await database_sync_to_async(message_send)(thread=thread, sender=initiator, body="Gone?")
    assert await database_sync_to_async(Notification.objects.filter(kind="new_message", recipient=owner).count)() == 1
    await initiator_socket.disconnect()
