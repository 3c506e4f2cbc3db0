"""REST views for connections, follows and blocks (serializers: serializers.py). Views validate input, scope
lookups through selectors (outsiders get 404), call one service, and serialize the result."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.api.common import request_user
from collective.errors import CollectiveCode
from collective.models import Connection
from collective.selectors import blocks as block_selectors
from collective.selectors import connections as connection_selectors
from collective.selectors import follows as follow_selectors
from collective.selectors import negotiation as negotiation_selectors
from collective.services import blocks as block_services
from collective.services import connections as connection_services
from collective.services import follows as follow_services
from collective.services import negotiation as negotiation_services
from core.errors import CoreCode, DomainError, NotFound

from .serializers import (
    BlockCreateSerializer,
    BlockSerializer,
    ConnectionCreateSerializer,
    ConnectionFilterSerializer,
    ConnectionRateSerializer,
    ConnectionSerializer,
    ConnectionUpdateSerializer,
    FollowCreateSerializer,
    FollowerItemSerializer,
    FollowingItemSerializer,
    FollowSerializer,
    ProposalAcceptedSerializer,
    ProposalCreateSerializer,
    ProposalDeclineSerializer,
    ProposalSerializer,
)


class ConnectionListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConnectionSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = ConnectionFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return connection_selectors.connections_for_user(user=self.request.user, **params.validated_data)

    @extend_schema(parameters=[ConnectionFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ConnectionCreateSerializer, responses={201: ConnectionSerializer})
    def post(self, request: Request) -> Response:
        data = ConnectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_services.connection_create(initiator=request_user(request), **data.validated_data)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)


def _connection_or_404(request: Request, connection_id: int) -> Connection:
    connection = connection_selectors.connection_get_for_user(user=request.user, connection_id=connection_id)
    if connection is None:
        raise NotFound("No such connection.", code=CoreCode.NOT_FOUND)
    return connection


class ConnectionDetailView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConnectionSerializer

    def get(self, request: Request, connection_id: int) -> Response:
        return Response(ConnectionSerializer(_connection_or_404(request, connection_id)).data)

    @extend_schema(request=ConnectionUpdateSerializer, responses=ConnectionSerializer)
    def patch(self, request: Request, connection_id: int) -> Response:
        connection = _connection_or_404(request, connection_id)
        if hasattr(request.data, "keys") and "agreed_price_cents" in request.data:
            raise DomainError(
                f"The price is agreed through proposals: POST /api/v1/connections/{connection.pk}/proposals/ "
                "and accept one; PATCH changes the status only.",
                code=CollectiveCode.PRICE_SET_BY_PROPOSAL,
                field="agreed_price_cents",
            )
        data = ConnectionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_services.connection_update(
            connection=connection, actor=request_user(request), **data.validated_data
        )
        return Response(ConnectionSerializer(connection).data)


class ConnectionRateView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConnectionRateSerializer

    @extend_schema(request=ConnectionRateSerializer, responses=ConnectionSerializer)
    def post(self, request: Request, connection_id: int) -> Response:
        connection = _connection_or_404(request, connection_id)
        data = ConnectionRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_services.connection_rate(
            connection=connection, actor=request_user(request), **data.validated_data
        )
        return Response(ConnectionSerializer(connection).data)


class ProposalListCreateView(generics.ListAPIView):
    """A connection's price proposals, oldest first (the negotiation's history), and a new one."""

    permission_classes = [IsAuthenticated]
    serializer_class = ProposalSerializer
    filter_backends: list = []

    def get_queryset(self):
        connection = _connection_or_404(self.request, self.kwargs["connection_id"])
        return negotiation_selectors.proposals_for_connection(connection=connection)

    @extend_schema(request=ProposalCreateSerializer, responses={201: ProposalSerializer})
    def post(self, request: Request, connection_id: int) -> Response:
        connection = _connection_or_404(request, connection_id)
        data = ProposalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = negotiation_services.proposal_create(
            connection=connection, actor=request_user(request), **data.validated_data
        )
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


def _proposal_or_404(request: Request, connection_id: int, proposal_id: int):
    connection = _connection_or_404(request, connection_id)
    proposal = negotiation_selectors.proposal_get_for_connection(connection=connection, proposal_id=proposal_id)
    if proposal is None:
        raise NotFound("No such proposal.", code=CoreCode.NOT_FOUND)
    return proposal


class ProposalAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ProposalAcceptedSerializer)
    def post(self, request: Request, connection_id: int, proposal_id: int) -> Response:
        proposal = _proposal_or_404(request, connection_id, proposal_id)
        proposal, connection = negotiation_services.proposal_accept(proposal=proposal, actor=request_user(request))
        return Response(ProposalAcceptedSerializer({"proposal": proposal, "connection": connection}).data)


class ProposalDeclineView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ProposalDeclineSerializer

    @extend_schema(request=ProposalDeclineSerializer, responses=ProposalSerializer)
    def post(self, request: Request, connection_id: int, proposal_id: int) -> Response:
        proposal = _proposal_or_404(request, connection_id, proposal_id)
        data = ProposalDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = negotiation_services.proposal_decline(
            proposal=proposal, actor=request_user(request), **data.validated_data
        )
        return Response(ProposalSerializer(proposal).data)


class ProposalWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ProposalSerializer)
    def post(self, request: Request, connection_id: int, proposal_id: int) -> Response:
        proposal = _proposal_or_404(request, connection_id, proposal_id)
        proposal = negotiation_services.proposal_withdraw(proposal=proposal, actor=request_user(request))
        return Response(ProposalSerializer(proposal).data)


class FollowCreateView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = FollowCreateSerializer

    @extend_schema(request=FollowCreateSerializer, responses={201: FollowSerializer})
    def post(self, request: Request) -> Response:
        data = FollowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follow = follow_services.follow_create(
            follower=request_user(request), following=data.validated_data["following"]
        )
        return Response(FollowSerializer(follow).data, status=status.HTTP_201_CREATED)


class FollowDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        follow_services.follow_delete(follower=request_user(request), following=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PeopleFollowListView(generics.ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    filter_backends: list = []

    def _person(self):
        person = follow_selectors.user_get_by_username(username=self.kwargs["username"], viewer=self.request.user)
        if person is None:
            raise NotFound("No such user.", code=CollectiveCode.USER_NOT_FOUND)
        return person


class FollowersListView(_PeopleFollowListView):
    serializer_class = FollowerItemSerializer

    def get_queryset(self):
        return follow_selectors.followers_of(user=self._person())


class FollowingListView(_PeopleFollowListView):
    serializer_class = FollowingItemSerializer

    def get_queryset(self):
        return follow_selectors.following_of(user=self._person())


class BlockListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = BlockSerializer
    filter_backends: list = []

    def get_queryset(self):
        return block_selectors.blocks_made_by(user=self.request.user)

    @extend_schema(request=BlockCreateSerializer, responses={201: BlockSerializer})
    def post(self, request: Request) -> Response:
        data = BlockCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = block_services.block_create(blocker=request_user(request), blocked=data.validated_data["user"])
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        block_services.block_delete(blocker=request_user(request), blocked=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
