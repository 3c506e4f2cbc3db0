"""Payload builders for the collective's durable events. The data of `connection.*` events is the
connection's REST representation (contract §3), so it is built by the same serializer the API
answers with; a client can replace its copy with the event's without another request."""

from __future__ import annotations

from typing import Any

from collective.models import Connection, User

CONNECTION_CREATED = "connection.created"
CONNECTION_UPDATED = "connection.updated"
FOLLOW_CREATED = "follow.created"


def connection_data(connection: Connection) -> dict[str, Any]:
    # Imported here: the API module imports the services, which import this module.
    from collective.api.connections import ConnectionSerializer

    return dict(ConnectionSerializer(connection).data)


def connection_created_payload(connection: Connection) -> dict[str, Any]:
    return {"connection": connection_data(connection)}


def connection_updated_payload(connection: Connection, *, previous_status: str) -> dict[str, Any]:
    return {"connection": connection_data(connection), "previous_status": previous_status}


def follow_created_payload(follower: User) -> dict[str, Any]:
    from collective.api.common import UserSummarySerializer

    return {"follower": dict(UserSummarySerializer(follower).data)}
