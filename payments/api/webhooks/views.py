"""Stripe's webhooks: `POST /api/v1/payments/stripe/webhook/` (contract §7, docs/payments.md).

The signature (`Stripe-Signature`) is verified over the raw body with the official library's
`stripe.Webhook.construct_event` first: a missing, stale or wrong one is a `400`, logged as a
warning. A verified event is stored once by its id and its processing queued for a Celery task
after commit; the answer is immediate (`200 {"received": true, "duplicate": ...}`), so Stripe never
waits on the work. A redelivery of an event already stored answers 200 and does nothing more."""

from __future__ import annotations

import logging

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from payments import services
from payments.errors import PaymentsCode
from payments.providers import WebhookSignatureError

logger = logging.getLogger(__name__)


class _RawParser(BaseParser):
    """Any content type: the body is verified as bytes, never parsed before."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class StripeWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [_RawParser]
    throttle_classes: list = []

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "StripeWebhookReceived",
                {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()},
            ),
            400: OpenApiResponse(description="Missing or invalid Stripe-Signature (`invalid_stripe_signature`)."),
            503: OpenApiResponse(description="Payments are not configured (`payments_not_configured`)."),
        },
    )
    def post(self, request: Request) -> Response:
        payload = request._request.body  # the raw bytes Stripe signed
        signature = request.headers.get("Stripe-Signature", "")
        try:
            row, created = services.webhook_receive(payload=payload, signature=signature)
        except WebhookSignatureError as exc:
            logger.warning(
                "payments: webhook refused from %s: %s", request.META.get("REMOTE_ADDR", "?"), str(exc)[:200]
            )
            raise DomainError(
                "Missing or invalid Stripe-Signature.", code=PaymentsCode.INVALID_STRIPE_SIGNATURE
            ) from exc
        return Response({"received": True, "duplicate": not created})
