"""Thin views: serializers validate, services write, selectors scope (an outsider gets 404)."""

from __future__ import annotations

from typing import Any

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
from core.errors import NotFound as NoSuchThread
from core.pagination import PageNumberPagination
from core.schema import page_of
from messaging.errors import MessagingCode

from ... import selectors, services, validation
from ...models import Thread
from .serializers import (
    MessageCreateSerializer,
    MessageEditSerializer,
    MessageSerializer,
    ReadMarkerSerializer,
    ThreadOpenSerializer,
    ThreadSerializer,
)


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
            raise DomainError("Invalid cursor.", code=MessagingCode.INVALID_CURSOR, field="cursor") from None
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)  # the stubs say int: it is the query string's text
            if not (position.isascii() and position.isdigit() and 0 < int(position) < 2**63):
                raise DomainError("Invalid cursor.", code=MessagingCode.INVALID_CURSOR, field="cursor")
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
        responses=page_of(ThreadSerializer, "PaginatedThreads"),
        operation_id="v1_threads_list",
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

    @extend_schema(
        responses=page_of(MessageSerializer, "CursorPaginatedMessages", cursor=True),
        operation_id="v1_threads_messages_list",
    )
    def get(self, request: Request, thread_id: int) -> Response:
        thread = _thread_or_404(request, thread_id)
        paginator = MessageCursorPagination()
        page = paginator.paginate_queryset(selectors.messages_for_thread(thread=thread), request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=MessageCreateSerializer, responses={200: MessageSerializer, 201: MessageSerializer})
    def post(self, request: Request, thread_id: int) -> Response:
        # One service for every send (services.message_send). The common request, JSON that
        # messaging.validation takes as it is, skips the serializer: this is the hot path of
        # delivery. Anything else is read by the serializer, for its field errors, after the
        # thread's 404 (an outsider learns nothing from a bad body).
        try:
            plain = validation.plain_send_input(request.data)
            parse_error = None
        except Exception as exc:  # unparsable body: the thread's 404 still comes first
            plain, parse_error = None, exc
        attachments: list[dict[str, Any]] | None = None
        if plain is not None:
            body, client_id = plain
        else:
            _thread_or_404(request, thread_id)
            if parse_error is not None:
                raise parse_error
            data = MessageCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            body, client_id = data.validated_data["body"], data.validated_data.get("client_id")
            attachments = [dict(a) for a in data.validated_data.get("attachments", [])]
        try:
            message = services.message_send(
                sender=request.user, thread_id=thread_id, body=body, client_id=client_id, attachments=attachments
            )
        except NoSuchThread:  # answered as every thread route answers who may not see the thread
            raise Http404 from None
        if message.replayed:
            return Response(MessageSerializer(message).data, status=status.HTTP_200_OK)
        return Response(message.representation, status=status.HTTP_201_CREATED)


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
