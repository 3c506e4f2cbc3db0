from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class FloorConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/?user=<id>`: joins `user.<id>` and writes out whatever is sent to the group."""

    async def connect(self) -> None:
        qs = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.user_id = int(qs["user"][0])
        except (KeyError, ValueError, IndexError):
            await self.close(code=4401)
            return
        self.group = f"user.{self.user_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Same first frame as the project's consumer, so clients treat both alike.
        await self.send_json(
            {"id": None, "type": "hello", "ts": None, "data": {"user": {"id": self.user_id}, "last_event_id": 0}}
        )

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"id": None, "type": "pong", "ts": None, "data": {}})

    async def event_deliver(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
