"""Per-user limits on sockets and tickets, and frames bounded in shape before parsing (issue 10
items 6 and 7)."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from realtime.frames import shape_problem
from realtime.tickets import ticket_issue
from tests.conftest import client_for
from tests.factories import UserFactory

from .conftest import expect_close, open_socket, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 2000,  # the 4 KB frame that raised RecursionError and dropped the socket
        "{" * 2000,
        '{"type": "ping", "x": ' + "[" * 9 + "]" * 9 + "}",  # one level over the bound, well formed
        '{"type": "presence.query", "users": [' + ",".join(["1"] * 1001) + "]}",  # too many values
        "[" * 30000 + "]" * 30000,  # 60 KB: under the byte limit, far over the depth
    ],
)
async def test_frames_over_the_shape_bounds_get_an_error_and_the_socket_stays_open(raw):
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    await comm.send_to(text_data=raw)
    (error,) = await receive_until(comm, "error")
    assert error["data"]["code"] == "frame_too_complex"
    await send(comm, {"type": "ping"})
    assert (await receive_until(comm, "pong"))[-1]["type"] == "pong"
    await comm.disconnect()


async def test_frames_within_the_bounds_parse_as_before():
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    # Brackets and commas inside strings neither nest nor count.
    await send(comm, {"type": "ping", "note": "[" * 500 + "," * 2000})
    assert (await receive_until(comm, "pong"))[-1]["type"] == "pong"
    await send(comm, {"type": "presence.query", "users": list(range(1, 201))})
    state = (await receive_until(comm, "presence.state"))[-1]
    assert set(state["data"]["users"]) <= {str(user.pk)}  # 200 ids parsed; only the caller is visible
    await comm.disconnect()


def test_shape_check_is_linear_on_hostile_text():
    worst = ['"\\"' * 20000, '"' + "\\" * 60000, "[" * 65536, ",".join(["[1]"] * 16000), '"a",' * 16000]
    started = time.thread_time()  # CPU time: other processes on the machine do not count
    for text in worst:
        shape_problem(text, max_depth=8, max_elements=1000)
    assert time.thread_time() - started < 0.5  # a few milliseconds each; quadratic would be seconds


async def test_sockets_per_user_are_capped_with_4409(settings):
    settings.REALTIME = {**settings.REALTIME, "MAX_SOCKETS_PER_USER": 3}
    user, other = await database_sync_to_async(lambda: (UserFactory(), UserFactory()))()
    open_ = [(await open_socket(user))[0] for _ in range(3)]
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    extra = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    connected, _ = await extra.connect()
    assert connected
    assert await expect_close(extra) == 4409
    await extra.disconnect()
    # Other users are not affected, and closing one socket frees a place.
    other_comm, _ = await open_socket(other)
    await open_[0].disconnect()
    again, _ = await open_socket(user)
    # The refused socket was never counted: the user is still online through the others.
    await send(open_[1], {"type": "ping"})
    assert (await receive_until(open_[1], "pong"))[-1]["type"] == "pong"
    for comm in (*open_[1:], again, other_comm):
        await comm.disconnect()


@pytest.fixture
def five_tickets_a_minute():
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates into the class when it is defined (as in tests/collective/test_auth.py).
    original = ScopedRateThrottle.THROTTLE_RATES
    assert original["realtime_ticket"] == "30/min"  # the documented default
    ScopedRateThrottle.THROTTLE_RATES = {**original, "realtime_ticket": "5/min"}
    yield
    ScopedRateThrottle.THROTTLE_RATES = original


def test_tickets_per_user_are_rate_limited(five_tickets_a_minute):
    user, other = UserFactory(), UserFactory()
    client = client_for(user)
    codes = [client.post("/api/v1/realtime/tickets/").status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    refused = client.post("/api/v1/realtime/tickets/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client_for(other).post("/api/v1/realtime/tickets/").status_code == 201  # per user, not global


async def test_handshake_with_the_channel_layer_down_closes_1013_fast(settings):
    """Redis unreachable: the handshake is accepted and closed with 1013 (try again later), within
    about the connect timeout, instead of an HTTP 500."""
    from tests.procs import free_port

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.RedisLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{free_port()}/0"}]},
        }
    }
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    comm = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    started = time.monotonic()
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert await expect_close(comm) == 1013
    assert time.monotonic() - started < 2
    await comm.disconnect()
