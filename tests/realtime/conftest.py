"""Helpers for socket tests: connect a user through the real ASGI app, as a client would."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from realtime import presence
from realtime.tickets import ticket_issue


@pytest.fixture(autouse=True)
def _fresh_presence():
    presence._local.clear()
    yield
    presence._local.clear()


async def open_socket(user, *, path: str = "/ws/", expect_hello: bool = True):
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    sep = "&" if "?" in path else "?"
    comm = WebsocketCommunicator(application, f"{path}{sep}ticket={ticket}")
    connected, _ = await comm.connect()
    assert connected
    hello = None
    if expect_hello:
        hello = await comm.receive_json_from(timeout=3)
        assert hello["type"] == "hello"
    return comm, hello


async def receive_until(comm, type_: str, timeout: float = 3) -> list[dict]:
    """Every frame up to and including the first of type `type_` (heartbeats skipped)."""
    frames = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if frame["type"] == "heartbeat":
            continue
        frames.append(frame)
        if frame["type"] == type_:
            return frames


async def send(comm, frame) -> None:
    await comm.send_to(text_data=json.dumps(frame))


async def expect_close(comm, timeout: float = 3) -> int:
    while True:
        out = await comm.receive_output(timeout=timeout)
        if out["type"] == "websocket.close":
            return out.get("code")
