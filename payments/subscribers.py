"""What payments does when other apps announce something: a connection that ends (cancelled or
declined) gives a paid payment back, or closes an open checkout (docs/payments.md, "Refunds")."""

from __future__ import annotations

from collective.events import ConnectionStatusChanged
from collective.models import ConnectionStatus
from core.events import subscribe
from payments import services


def on_connection_status_changed(event: ConnectionStatusChanged) -> None:
    if event.status in (ConnectionStatus.CANCELLED, ConnectionStatus.DECLINED):
        services.connection_ended(connection=event.connection)


def register() -> None:
    subscribe(ConnectionStatusChanged, on_connection_status_changed)
