"""Twilio webhooks: delivery status callbacks and inbound replies (STOP / START).

Both verify `X-Twilio-Signature` with Twilio's RequestValidator over the URL Twilio called and
the POSTed form; anything else gets 403. Without TWILIO_AUTH_TOKEN nothing can be verified, so
everything is refused."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator

from core.errors import Forbidden
from core.schema import errors
from notifications import delivery
from notifications.errors import NotificationsCode

logger = logging.getLogger(__name__)


def _candidate_urls(request: Request) -> list[str]:
    # Behind a proxy the URL Django sees may differ from the one Twilio signed; SITE_URL names
    # the public one.
    public = f"{settings.SITE_URL.rstrip('/')}{request.get_full_path()}"
    seen = request.build_absolute_uri()
    return [public] if public == seen else [public, seen]


def verify_twilio_signature(request: Request) -> dict[str, str]:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    params = {key: value for key, value in request.data.items()} if hasattr(request.data, "items") else {}
    if token and signature:
        validator = RequestValidator(token)
        if any(validator.validate(url, params, signature) for url in _candidate_urls(request)):
            return params
    raise Forbidden("Missing or invalid X-Twilio-Signature.", code=NotificationsCode.INVALID_SIGNATURE)


class _TwilioWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]


class SmsStatusCallbackView(_TwilioWebhook):
    @extend_schema(request=None, responses={204: None}, **errors(403))
    def post(self, request: Request) -> Response:
        params = verify_twilio_signature(request)
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        if sid:
            delivery.sms_status_update(
                sid=sid,
                status=status,
                error_code=params.get("ErrorCode", ""),
                error_message=params.get("ErrorMessage", ""),
            )
        return Response(status=204)


class SmsInboundView(_TwilioWebhook):
    @extend_schema(request=None, responses={200: None}, **errors(403))
    def post(self, request: Request) -> HttpResponse:
        params = verify_twilio_signature(request)
        outcome = delivery.sms_inbound_receive(from_number=params.get("From", ""), body=params.get("Body", ""))
        logger.info("inbound SMS from %s: %s", params.get("From", ""), outcome)
        # Empty TwiML: no reply of ours (Twilio answers STOP/START itself on long codes).
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
