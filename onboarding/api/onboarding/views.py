"""Ava's onboarding conversation (docs/onboarding.md). Each write answers with the state.

Registration announces no event collective-side, so the first `GET /onboarding/` starts the
onboarding of a member who has none (the web app calls it after sign-up); `start` is idempotent."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.models import User
from onboarding import services
from onboarding.representations import OnboardingStateSerializer, onboarding_state

from .serializers import AnswerSerializer


def _state(session) -> Response:
    return Response(onboarding_state(session, services.ava_ensure()))


class OnboardingView(APIView):
    """The caller's onboarding, started if they have none yet."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: OnboardingStateSerializer})
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        session = services.onboarding_session_get(user=user)
        if session is None:
            session = services.onboarding_start(user=user)
        return _state(session)


class OnboardingStartView(APIView):
    """Start, or resume (after a skip: Ava asks the current question again). Idempotent."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: OnboardingStateSerializer})
    def post(self, request: Request) -> Response:
        return _state(services.onboarding_start(user=cast(User, request.user)))


class OnboardingSkipView(APIView):
    """Finish later; `start` resumes at the same step."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: OnboardingStateSerializer, 409: OpenApiResponse(description="`onboarding_completed`")},
    )
    def post(self, request: Request) -> Response:
        return _state(services.onboarding_skip(user=cast(User, request.user)))


class OnboardingAnswerView(APIView):
    """Answer Ava's message through one of its actions."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=AnswerSerializer,
        responses={
            200: OnboardingStateSerializer,
            400: OpenApiResponse(description="`invalid_action`, `invalid_option`, `text_required`, `invalid_link`"),
            404: OpenApiResponse(description="Not one of Ava's messages in the caller's onboarding thread."),
            409: OpenApiResponse(description="`already_answered`, `onboarding_completed`"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = services.onboarding_answer(
            user=cast(User, request.user),
            message_id=data["message"],
            action_id=data["action"],
            values=data.get("values"),
            text=data.get("text"),
        )
        return _state(session)
