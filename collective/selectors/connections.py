"""Reads of connections, scoped to the caller: a user sees only connections they take part in,
so an outsider's lookup finds nothing (and the API answers 404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from collective.models import Connection

ROLE_INITIATOR = "initiator"
ROLE_RESPONDER = "responder"
ROLES = (ROLE_INITIATOR, ROLE_RESPONDER)


def connections_for_user(
    *, user, status: str | None = None, role: str | None = None, connection_type: str | None = None
) -> QuerySet[Connection]:
    """The caller's connections, newest first, with everything the representation needs loaded
    in the same query (users, offer, ask), so a page costs a constant number of queries."""
    if role == ROLE_INITIATOR:
        qs = Connection.objects.filter(initiator_id=user.pk)
    elif role == ROLE_RESPONDER:
        qs = Connection.objects.filter(responder_id=user.pk)
    else:
        qs = Connection.objects.filter(Q(initiator_id=user.pk) | Q(responder_id=user.pk))
    if status:
        qs = qs.filter(status=status)
    if connection_type:
        qs = qs.filter(connection_type=connection_type)
    return qs.select_related("initiator", "responder", "offer", "ask").order_by("-created_at", "-pk")


def connection_get_for_user(*, user, connection_id) -> Connection | None:
    """The connection if `user` is one of its participants, else None."""
    try:
        connection_id = int(connection_id)
    except (TypeError, ValueError):
        return None
    if not 1 <= connection_id <= 2**63 - 1:  # names no row; keep it away from the database
        return None
    return connections_for_user(user=user).filter(pk=connection_id).first()
