"""Phone verification: `POST /me/phone/verify/start/` sends a code, `.../confirm/` checks it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.services import phone
from core.schema import errors

from .serializers import PhoneConfirmedSerializer, PhoneConfirmSerializer, PhoneStartSerializer


class PhoneVerifyStartView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: PhoneStartSerializer}, **errors(400, 429))
    def post(self, request: Request) -> Response:
        started = phone.phone_verification_start(user=request.user)
        body = {"phone_number": started.phone_number, "expires_in": started.expires_in, "resend_in": started.resend_in}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PhoneVerifyConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PhoneConfirmSerializer, responses=PhoneConfirmedSerializer, **errors(429))
    def post(self, request: Request) -> Response:
        data = PhoneConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = phone.phone_verification_confirm(user=request.user, code=data.validated_data["code"])
        return Response(
            {"phone_number": user.phone_number, "phone_verified": user.phone_verified, "sms_enabled": user.sms_enabled}
        )
