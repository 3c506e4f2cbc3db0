from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from realtime.tickets import ticket_issue, ticket_ttl


class TicketView(APIView):
    """`POST /api/v1/realtime/tickets/`: a single-use ticket for `/ws/?ticket=...`, valid 60 s."""

    permission_classes = [IsAuthenticated]
    # Per user (ScopedRateThrottle keys authenticated callers by user id), THROTTLE_REALTIME_TICKET,
    # default 30/min: a ticket is a socket, and a client that mints them without end is a runaway.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "realtime_ticket"

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "RealtimeTicket", {"ticket": serializers.CharField(), "expires_in": serializers.IntegerField()}
            ),
            429: OpenApiResponse(description="Too many tickets (`code: throttled`), with a Retry-After header."),
        },
    )
    def post(self, request: Request) -> Response:
        ticket = ticket_issue(user_id=cast(int, request.user.pk))  # IsAuthenticated: a saved user's id
        return Response({"ticket": ticket, "expires_in": ticket_ttl()}, status=status.HTTP_201_CREATED)
