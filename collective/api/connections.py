"""REST views and serializers for connections, follows and blocks. Views validate input, scope
lookups through selectors (outsiders get 404), call one service, and serialize the result."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.api.common import UserSummarySerializer
from collective.models import Block, Connection, ConnectionStatus, ConnectionType, Follow
from collective.representations import ConnectionSerializer
from collective.selectors import blocks as block_selectors
from collective.selectors import connections as connection_selectors
from collective.selectors import follows as follow_selectors
from collective.services import blocks as block_services
from collective.services import connections as connection_services
from collective.services import follows as follow_services
from config.exceptions import NotFound

ID_MAX = 2**63 - 1  # bigint primary keys; larger numbers are a 400, never a database error


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


# --- Connections -------------------------------------------------------------------------------


class ConnectionCreateSerializer(serializers.Serializer):
    offer = _id_field(required=False, allow_null=True)
    ask = _id_field(required=False, allow_null=True)
    connection_type = serializers.ChoiceField(choices=ConnectionType.choices, required=False, allow_null=True)
    responder = _id_field(required=False, allow_null=True)
    initial_message = serializers.CharField(
        max_length=connection_services.INITIAL_MESSAGE_MAX_LENGTH, allow_blank=False, trim_whitespace=True
    )


class ConnectionUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConnectionStatus.choices, required=False)
    agreed_price_cents = serializers.IntegerField(
        min_value=0, max_value=connection_services.PRICE_MAX_CENTS, required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send status and/or agreed_price_cents.")
        return attrs


class ConnectionRateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    feedback = serializers.CharField(
        required=False, allow_blank=True, max_length=connection_services.FEEDBACK_MAX_LENGTH, default=""
    )


class ConnectionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConnectionStatus.choices, required=False)
    role = serializers.ChoiceField(choices=connection_selectors.ROLES, required=False)
    connection_type = serializers.ChoiceField(choices=ConnectionType.choices, required=False)


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
        connection = connection_services.connection_create(initiator=request.user, **data.validated_data)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)


def _connection_or_404(request: Request, connection_id: int) -> Connection:
    connection = connection_selectors.connection_get_for_user(user=request.user, connection_id=connection_id)
    if connection is None:
        raise NotFound("No such connection.", code="not_found")
    return connection


class ConnectionDetailView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConnectionSerializer

    def get(self, request: Request, connection_id: int) -> Response:
        return Response(ConnectionSerializer(_connection_or_404(request, connection_id)).data)

    @extend_schema(request=ConnectionUpdateSerializer, responses=ConnectionSerializer)
    def patch(self, request: Request, connection_id: int) -> Response:
        connection = _connection_or_404(request, connection_id)
        data = ConnectionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connection_services.connection_update(
            connection=connection, actor=request.user, **data.validated_data
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
            connection=connection, actor=request.user, **data.validated_data
        )
        return Response(ConnectionSerializer(connection).data)


# --- Follows -----------------------------------------------------------------------------------


class FollowSerializer(serializers.ModelSerializer):
    follower = UserSummarySerializer(read_only=True)
    following = UserSummarySerializer(read_only=True)

    class Meta:
        model = Follow
        fields = ["follower", "following", "created_at"]
        read_only_fields = fields


class FollowCreateSerializer(serializers.Serializer):
    following = _id_field()


class FollowerItemSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="follower", read_only=True)

    class Meta:
        model = Follow
        fields = ["user", "created_at"]
        read_only_fields = fields


class FollowingItemSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="following", read_only=True)

    class Meta:
        model = Follow
        fields = ["user", "created_at"]
        read_only_fields = fields


class FollowCreateView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = FollowCreateSerializer

    @extend_schema(request=FollowCreateSerializer, responses={201: FollowSerializer})
    def post(self, request: Request) -> Response:
        data = FollowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follow = follow_services.follow_create(follower=request.user, following=data.validated_data["following"])
        return Response(FollowSerializer(follow).data, status=status.HTTP_201_CREATED)


class FollowDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        follow_services.follow_delete(follower=request.user, following=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _PeopleFollowListView(generics.ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    filter_backends: list = []

    def _person(self):
        person = follow_selectors.user_get_by_username(username=self.kwargs["username"], viewer=self.request.user)
        if person is None:
            raise NotFound("No such user.", code="user_not_found")
        return person


class FollowersListView(_PeopleFollowListView):
    serializer_class = FollowerItemSerializer

    def get_queryset(self):
        return follow_selectors.followers_of(user=self._person())


class FollowingListView(_PeopleFollowListView):
    serializer_class = FollowingItemSerializer

    def get_queryset(self):
        return follow_selectors.following_of(user=self._person())


# --- Blocks ------------------------------------------------------------------------------------


class BlockSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(source="blocked", read_only=True)

    class Meta:
        model = Block
        fields = ["user", "created_at"]
        read_only_fields = fields


class BlockCreateSerializer(serializers.Serializer):
    user = _id_field()


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
        block = block_services.block_create(blocker=request.user, blocked=data.validated_data["user"])
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        block_services.block_delete(blocker=request.user, blocked=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
