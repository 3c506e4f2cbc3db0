"""The toast reaches the helper's open socket live when a help session is completed over REST
(the same path `make run` serves)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from collective.services.connections import connection_create, connection_transition
from tests.conftest import client_for
from tests.factories import AskFactory, UserFactory
from tests.realtime.conftest import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def _accepted_ask_response(helper, asker):
    c = connection_create(initiator=helper, ask=AskFactory(user=asker), initial_message="I can help")
    return connection_transition(connection=c, actor=asker, status="accepted")


async def test_completing_a_help_session_toasts_the_helper_live():
    helper = await database_sync_to_async(UserFactory)(username="ben")
    asker = await database_sync_to_async(UserFactory)(username="sarah")
    c = await database_sync_to_async(_accepted_ask_response)(helper, asker)
    helper_socket, _ = await open_socket(helper)
    asker_socket, _ = await open_socket(asker)

    def complete():
        return client_for(asker).patch(f"/api/v1/connections/{c.pk}/", {"status": "completed"}, format="json")

    assert (await database_sync_to_async(complete)()).status_code == 200
    frames = await receive_until(helper_socket, "points.awarded")
    toast = frames[-1]
    assert isinstance(toast["id"], int)
    assert toast["data"] == {
        "amount": 25,
        "action": "complete_help",
        "reason": "You helped @sarah with their ask",
        "total_points": 40,
    }
    asker_toast = (await receive_until(asker_socket, "points.awarded"))[-1]
    assert asker_toast["data"]["action"] == "help_received" and asker_toast["data"]["amount"] == 5
    for comm in (helper_socket, asker_socket):
        await comm.disconnect()
