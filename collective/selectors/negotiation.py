"""Reads of price proposals. Scoped through the connection: the caller looks the connection up
with `connections.connection_get_for_user` first (an outsider gets 404 there), then its proposals."""

from __future__ import annotations

from django.db.models import QuerySet

from collective.models import Connection, PriceProposal


def proposals_for_connection(*, connection: Connection) -> QuerySet[PriceProposal]:
    """The connection's proposals, oldest first (the history), with the proposer loaded."""
    return (
        PriceProposal.objects.filter(connection_id=connection.pk)
        .select_related("proposer")
        .order_by("created_at", "pk")
    )


def proposal_get_for_connection(*, connection: Connection, proposal_id) -> PriceProposal | None:
    """The proposal if it belongs to `connection`, else None."""
    try:
        proposal_id = int(proposal_id)
    except (TypeError, ValueError):
        return None
    if not 1 <= proposal_id <= 2**63 - 1:
        return None
    return proposals_for_connection(connection=connection).filter(pk=proposal_id).first()
