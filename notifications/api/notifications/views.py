"""The notification feed and preferences. Every lookup is scoped to the caller: someone else's
notification is a 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import CoreCode, DomainError
from core.pagination import PageNumberPagination
from core.schema import page_of
from notifications import selectors, services
from notifications.serializers import (
    NotificationSerializer,
    PreferencesSerializer,
    ReadAllSerializer,
    UnreadCountSerializer,
)

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}


def _unread_param(request: Request) -> bool:
    raw = request.query_params.get("unread", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise DomainError("unread must be true or false.", code=CoreCode.INVALID, field="unread")


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="true: only unread notifications")],
        responses=page_of(NotificationSerializer, "PaginatedNotifications"),
        operation_id="v1_notifications_list",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.notifications_for_user(user=request.user, unread=_unread_param(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class UnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request.user)})


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, notification_id: int) -> Response:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ReadAllSerializer)
    def post(self, request: Request) -> Response:
        return Response({"marked_read": services.notification_mark_all_read(user=request.user)})


class NotificationPreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(services.preferences_get(user=request.user))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request: Request) -> Response:
        return Response(services.preferences_update(user=request.user, data=request.data))
