"""Accounts API: register, token login, browser session login/logout, CSRF cookie, /me/.

Register and login carry no authentication classes: a stale token header must not stop someone
from logging in again, and these endpoints act on credentials, not on a prior identity.
"""

from __future__ import annotations

from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from collective.api.accounts.serializers import (
    CredentialsSerializer,
    CsrfResponseSerializer,
    MeSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    SessionResponseSerializer,
    TokenResponseSerializer,
)
from collective.api.common import request_user
from collective.errors import CollectiveCode
from collective.services import users as user_services
from core.schema import errors

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{code, detail, fields}` naming the field."),
    429: OpenApiResponse(description="Throttled (`code: throttled`), with a Retry-After header."),
}


def enforce_csrf(request: Request) -> None:
    """The same check DRF's SessionAuthentication applies to session-authenticated writes, applied
    here to anonymous ones too: a cross-site form must not log a victim in as the attacker."""
    try:
        SessionAuthentication().enforce_csrf(request)
    except exceptions.PermissionDenied as exc:
        raise exceptions.PermissionDenied(detail=str(exc.detail), code=CollectiveCode.CSRF_FAILED) from None


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={201: RegisterResponseSerializer, **ERRORS},
        summary="Create an account; returns its API token.",
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, token = user_services.user_register(**serializer.validated_data)
        return Response({"id": user.pk, "username": user.username, "token": token}, status=status.HTTP_201_CREATED)


class TokenLoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        operation_id="auth_token",
        request=CredentialsSerializer,
        responses={200: TokenResponseSerializer, **ERRORS},
        summary="Exchange username + password for the API token (`invalid_credentials` on failure).",
    )
    def post(self, request: Request) -> Response:
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = user_services.user_token_login(request=request._request, **serializer.validated_data)
        return Response({"token": token})


class SessionView(APIView):
    """Browser login: sets the session cookie (used by the WebSocket too). CSRF is enforced."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    def get_throttles(self):  # only logging in is throttled, not logging out
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="auth_session_login",
        request=CredentialsSerializer,
        responses={200: SessionResponseSerializer, 403: OpenApiResponse(description="CSRF failed"), **ERRORS},
        summary="Log in with a session cookie (needs the CSRF cookie + X-CSRFToken header).",
    )
    def post(self, request: Request) -> Response:
        enforce_csrf(request)
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_services.credentials_check(request=request._request, **serializer.validated_data)
        # Rotates the session key and the CSRF token: the client must re-read the csrftoken cookie.
        django_login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response({"id": user.pk, "username": user.username})

    @extend_schema(operation_id="auth_session_logout", request=None, responses={204: None}, **errors(403))
    def delete(self, request: Request) -> Response:
        enforce_csrf(request)
        django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CsrfView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="auth_csrf", responses={200: CsrfResponseSerializer})
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request._request)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_partial_update",
        request=MeSerializer,
        responses={200: MeSerializer, **ERRORS},
        summary="Change profile fields and settings; read-only fields are a 400 naming the field.",
    )
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_services.user_profile_update(user=request_user(request), data=serializer.validated_changes())
        return Response(MeSerializer(user).data)
