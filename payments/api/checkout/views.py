"""Checkout (docs/payments.md): each call writes or reuses the payment and answers it with the
`checkout_url` of Stripe's hosted Checkout page, where the buyer pays. `201` when a payment was
opened, `200` when an open one was reused (the same session: the call is safe to repeat)."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.models import User
from core.schema import page_of
from payments import selectors, services
from payments.models import CreditPack, Payment
from payments.representations import CreditPackSerializer, PaymentSerializer

_ERRORS = {
    404: OpenApiResponse(description="No such connection, offer or pack, or not yours to see."),
    409: OpenApiResponse(description="A rule of payments refuses it (`already_paid`, `nothing_to_pay`, ...)."),
    502: OpenApiResponse(description="Stripe refused the request (`payment_provider_refused`)."),
    503: OpenApiResponse(description="`payments_not_configured`, or Stripe did not answer (`Retry-After`)."),
}


def _answer(payment: Payment, created: bool) -> Response:
    return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CreditPackListView(GenericAPIView):
    """The credit packs on sale (seed 001 §8.7). Listed whether or not payments are configured."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CreditPackSerializer
    queryset = CreditPack.objects.none()  # for the schema; the view reads through its selector

    @extend_schema(responses=page_of(CreditPackSerializer, "PaginatedCreditPacks"))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.credit_packs())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CreditPackBuyView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={201: PaymentSerializer, 200: PaymentSerializer, **_ERRORS})
    def post(self, request: Request, slug: str) -> Response:
        payment, created = services.credit_pack_checkout(slug=slug, actor=cast(User, request.user))
        return _answer(payment, created)


class ConnectionPayView(APIView):
    """The buyer (the participant who receives the help) pays the connection's agreed price."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={201: PaymentSerializer, 200: PaymentSerializer, **_ERRORS})
    def post(self, request: Request, connection_id: int) -> Response:
        payment, created = services.connection_checkout(connection_id=connection_id, actor=cast(User, request.user))
        return _answer(payment, created)


class OfferBuyView(APIView):
    """Buy a published app, course or template with a one-time price."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={201: PaymentSerializer, 200: PaymentSerializer, **_ERRORS})
    def post(self, request: Request, offer_id: int) -> Response:
        payment, created = services.offer_checkout(offer_id=offer_id, actor=cast(User, request.user))
        return _answer(payment, created)
