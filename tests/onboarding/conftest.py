"""Helpers for onboarding tests: Ava's conversation read off the member's socket, answered through
REST (chips, buttons, text prompts) or by typing in the thread."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from collective.services.reference import offer_categories_seed
from tests.conftest import client_for
from tests.realtime.conftest import _fresh_presence, open_socket, send  # noqa: F401 (fixture, re-exported)


@pytest.fixture
def categories():
    offer_categories_seed()


class Conversation:
    """One member's view of the onboarding: their API client and their socket."""

    def __init__(self, user, comm, client):
        self.user = user
        self.comm = comm
        self.client = client
        self.ava_id: int | None = None
        self.transcript: list[str] = []
        self.last_event_id = 0

    async def post(self, path: str, payload: dict | None = None):
        return await database_sync_to_async(self.client.post)(path, payload or {}, format="json")

    async def get(self, path: str):
        return await database_sync_to_async(self.client.get)(path)

    async def start(self) -> dict:
        r = await self.post("/api/v1/onboarding/start/")
        assert r.status_code == 200, r.content
        self.ava_id = r.json()["ava"]["id"]
        return r.json()

    async def answer(self, message: dict, action: str | None = None, *, status: int = 200, **payload):
        body = {"message": message["id"], "action": action or message["actions"][0]["id"], **payload}
        r = await self.post("/api/v1/onboarding/answer/", body)
        assert r.status_code == status, r.content
        if status == 200:
            shown = payload.get("values") or []
            labels = {o["id"]: o["label"] for a in message["actions"] for o in a.get("options", [])}
            said = [labels[v] for v in shown] + ([payload["text"]] if payload.get("text") else [])
            self.transcript.append(f"Member: [{body['action']}] {', '.join(said)}".rstrip())
        return r.json()

    async def type(self, thread: int, text: str) -> dict:
        r = await self.post(f"/api/v1/threads/{thread}/messages/", {"body": text})
        assert r.status_code == 201, r.content
        self.transcript.append(f"Member (typed): {text}")
        return r.json()

    async def ava(self, *, until_actions: bool = True, timeout: float = 5) -> list[dict]:
        """Ava's messages off the socket, up to and including the next one with actions (or,
        `until_actions=False`, the next one)."""
        messages = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
            if frame.get("id"):
                self.last_event_id = frame["id"]
            if frame["type"] != "message.created" or frame["data"]["message"]["sender"] != self.ava_id:
                continue
            message = frame["data"]["message"]
            messages.append(message)
            self.transcript.append(f"Ava: {message['body']}" + (f"  {_buttons(message)}" if message["actions"] else ""))
            if message["actions"] or not until_actions:
                return messages


def _buttons(message: dict) -> str:
    parts = []
    for action in message["actions"]:
        if action["type"] == "chips":
            parts.append("[" + " | ".join(o["label"] for o in action["options"]) + f"] [{action['submit_label']}]")
        elif action["type"] == "text":
            parts.append(f"[{action['placeholder']}] [{action['submit_label']}]")
        else:
            parts.append(f"[{action['label']}]")
    return " ".join(parts)


async def conversation(user) -> Conversation:
    comm, _ = await open_socket(user)
    return Conversation(user, comm, await database_sync_to_async(client_for)(user))
