"""Thin views: serializers validate, services write, selectors scope (an outsider gets 404)."""

from __future__ import annotations

from typing import Any, TypeGuard, cast

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from core.pagination import PageNumberPagination

from .. import conf, selectors, services
from ..models import Thread
from .serializers import (
    MessageCreateSerializer,
    MessageEditSerializer,
    MessageSerializer,
    ReadMarkerSerializer,
    ThreadOpenSerializer,
    ThreadSerializer,
)

_ABSENT = object()


def _plain_text(value: Any, max_length: int) -> TypeGuard[str]:
    """A str the serializer's CharField (no trimming, no blank) takes as it is: non-empty, at most
    `max_length`, without NUL or surrogate characters."""
    if type(value) is not str or not value or len(value) > max_length or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _plain_send_input(data: Any) -> tuple[str, str | None] | None:
    """`(body, client_id)` when `MessageCreateSerializer` would accept `data` unchanged with no
    attachments; None when it might not (it then decides, with its own errors)."""
    if type(data) is not dict:
        return None
    body = data.get("body")
    if not _plain_text(body, conf.get("MAX_BODY_CHARS")) or not body.strip():
        return None
    client_id = data.get("client_id")
    if client_id is not None and not _plain_text(client_id, 64):
        return None
    attachments = data.get("attachments", _ABSENT)
    if attachments is not _ABSENT and not (type(attachments) is list and not attachments):
        return None
    return body, client_id


class MessageCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        """DRF's decoding, then the position checked: it is a message id. DRF passes any string
        on to the query (`?cursor=cD1hYmM=`, `p=abc`, raised ValueError: a 500). A cursor the
        server did not make is the client's error: 400 `invalid_cursor`, for every malformation."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise DomainError("Invalid cursor.", code="invalid_cursor", field="cursor") from None
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)  # the stubs say int: it is the query string's text
            if not (position.isascii() and position.isdigit() and 0 < int(position) < 2**63):
                raise DomainError("Invalid cursor.", code="invalid_cursor", field="cursor")
        return cursor


def _thread_or_404(request: Request, thread_id: int) -> Thread:
    thread = selectors.thread_get_for_user(user=request.user, thread_id=thread_id)
    if thread is None:
        raise Http404
    return thread


def _annotated_thread(request: Request, thread_id: int) -> Thread:
    thread = selectors.threads_annotated(user=request.user).filter(pk=thread_id).first()
    if thread is None:
        raise Http404
    return thread


class ThreadListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("archived", bool, description="true: only archived threads")],
        responses=ThreadSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        archived = request.query_params.get("archived", "").lower() in {"1", "true", "yes"}
        qs = selectors.threads_list_for_user(user=request.user, archived=archived)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ThreadSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=ThreadOpenSerializer, responses={200: ThreadSerializer, 201: ThreadSerializer})
    def post(self, request: Request) -> Response:
        data = ThreadOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread, created = services.thread_open(user=request.user, other_user_id=data.validated_data["user"])
        body = ThreadSerializer(_annotated_thread(request, thread.pk), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ThreadDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ThreadSerializer)
    def get(self, request: Request, thread_id: int) -> Response:
        return Response(ThreadSerializer(_annotated_thread(request, thread_id), context={"request": request}).data)


class ThreadArchiveView(APIView):
    permission_classes = [IsAuthenticated]
    archived = True

    @extend_schema(request=None, responses=ThreadSerializer)
    def post(self, request: Request, thread_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        services.thread_set_archived(thread=thread, user=request.user, archived=self.archived)
        return Response(ThreadSerializer(_annotated_thread(request, thread.pk), context={"request": request}).data)


class ThreadUnarchiveView(ThreadArchiveView):
    archived = False


class ThreadReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReadMarkerSerializer, responses=ThreadSerializer)
    def post(self, request: Request, thread_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        data = ReadMarkerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.thread_mark_read(thread=thread, user=request.user, message_id=data.validated_data["message"])
        return Response(ThreadSerializer(_annotated_thread(request, thread.pk), context={"request": request}).data)


class MessageListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request: Request, thread_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        paginator = MessageCursorPagination()
        page = paginator.paginate_queryset(selectors.messages_for_thread(thread=thread), request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=MessageCreateSerializer, responses={200: MessageSerializer, 201: MessageSerializer})
    def post(self, request: Request, thread_id: int) -> Response:
        # The hot path of delivery: the common request in fewer statements and without the
        # serializers (services.message_send_plain). Anything it does not cover answers through
        # the general path below, exactly as before.
        try:
            plain = _plain_send_input(request.data)
            parse_error = None
        except Exception as exc:  # unparsable body: the thread's 404 still comes first, as below
            plain, parse_error = None, exc
        context = services.send_context(
            sender_id=cast(int, request.user.pk),  # IsAuthenticated: a saved user's id
            thread_id=thread_id,
            client_id=plain[1] if plain else None,
        )
        if context is None:
            raise Http404
        if parse_error is not None:
            raise parse_error
        if plain is not None and context.plain:
            data = services.message_send_plain(context=context, sender=request.user, body=plain[0], client_id=plain[1])
            if data is not None:
                return Response(data, status=status.HTTP_201_CREATED)
        return self._post_general(request, thread_id)

    def _post_general(self, request: Request, thread_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.message_send_or_replay(
            thread=thread,
            sender=request.user,
            body=data.validated_data["body"],
            client_id=data.validated_data.get("client_id"),
            attachments=[dict(a) for a in data.validated_data.get("attachments", [])],
        )
        return Response(
            MessageSerializer(message).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MessageDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MessageSerializer)
    def get(self, request: Request, thread_id: int, message_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        message = selectors.messages_for_thread(thread=thread).filter(pk=message_id).first()
        if message is None:
            raise Http404
        return Response(MessageSerializer(message).data)

    @extend_schema(request=MessageEditSerializer, responses=MessageSerializer)
    def patch(self, request: Request, thread_id: int, message_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        data = MessageEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_edit(
            thread=thread, user=request.user, message_id=message_id, body=data.validated_data["body"]
        )
        return Response(MessageSerializer(message).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, thread_id: int, message_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        services.message_delete(thread=thread, user=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
