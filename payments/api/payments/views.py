"""A member's payments (as buyer and as seller), a creator's "My Earnings", the ledger behind it,
and their payout account (Stripe Connect Express). Every view answers `503
payments_not_configured` without Stripe keys (contract §7)."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.models import User
from core.schema import page_of
from payments import selectors, services
from payments.models import LedgerEntry, Payment, PaymentKind
from payments.representations import PaymentSerializer

from .serializers import (
    EarningsSerializer,
    LedgerEntrySerializer,
    OnboardingAnswerSerializer,
    PaymentFilterSerializer,
    PayoutAccountAnswerSerializer,
)

_UNAVAILABLE = {503: OpenApiResponse(description="`payments_not_configured`, or Stripe did not answer.")}


class _Configured:
    """Payments endpoints exist only with a provider configured."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        services.backend()


class PaymentListView(_Configured, GenericAPIView):
    """The caller's payments, newest first: `role=buyer` what they bought, `role=seller` what they sold."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PaymentSerializer
    queryset = Payment.objects.none()  # for the schema; the view reads through its selector

    @extend_schema(
        parameters=[
            OpenApiParameter("role", str, enum=list(selectors.ROLES), required=False),
            OpenApiParameter("kind", str, enum=PaymentKind.values, required=False),
        ],
        responses={200: PaymentSerializer(many=True), **_UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        filters = PaymentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.payments_of(user=cast(User, request.user), **filters.validated_data)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PaymentDetailView(_Configured, APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: PaymentSerializer, 404: OpenApiResponse(description="Not yours."), **_UNAVAILABLE})
    def get(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_for(user=cast(User, request.user), payment_id=payment_id)
        return Response(PaymentSerializer(payment).data)


class PaymentRefreshView(_Configured, APIView):
    """Read the payment's state from Stripe now (after Checkout, when a webhook is late)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None, responses={200: PaymentSerializer, 404: OpenApiResponse(description="Not yours."), **_UNAVAILABLE}
    )
    def post(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_for(user=cast(User, request.user), payment_id=payment_id)
        payment = services.payment_refresh(payment=payment)
        return Response(
            PaymentSerializer(selectors.payment_for(user=cast(User, request.user), payment_id=payment.pk)).data
        )


class EarningsView(_Configured, APIView):
    """ "My Earnings": sales, platform fees, refunds, disputes and payouts, per currency."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: EarningsSerializer, **_UNAVAILABLE})
    def get(self, request: Request) -> Response:
        return Response(selectors.earnings_of(user=cast(User, request.user)))


class LedgerView(_Configured, GenericAPIView):
    """Every movement of the caller's earnings, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = LedgerEntrySerializer
    queryset = LedgerEntry.objects.none()  # for the schema; the view reads through its selector

    @extend_schema(responses=page_of(LedgerEntrySerializer, "PaginatedLedger"))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.ledger_of(user=cast(User, request.user)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PayoutAccountView(_Configured, APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: PayoutAccountAnswerSerializer, **_UNAVAILABLE})
    def get(self, request: Request) -> Response:
        account = getattr(cast(User, request.user), "payout_account", None)
        return Response({"payout_account": selectors.payout_account_data(account)})


class PayoutOnboardingView(_Configured, APIView):
    """Start or continue Stripe Connect Express onboarding: answers the link to open."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: OnboardingAnswerSerializer, **_UNAVAILABLE})
    def post(self, request: Request) -> Response:
        account, url = services.payout_onboarding_link(actor=cast(User, request.user))
        return Response({"url": url, "payout_account": selectors.payout_account_data(account)})
