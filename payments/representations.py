"""Payloads shared by the REST answers and the `payment.updated` event."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from collective.representations import UserSummarySerializer
from payments.models import OPEN_STATES, CreditPack, Payment


class CreditPackSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditPack
        fields = ["slug", "name", "price_cents", "currency", "credits", "bonus_percent"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """A payment as its buyer and seller see it. `checkout_url` is where the buyer pays while the
    payment is open (Stripe's hosted Checkout page)."""

    buyer = UserSummarySerializer(read_only=True)
    seller = UserSummarySerializer(read_only=True, allow_null=True)
    credit_pack: serializers.SlugRelatedField[CreditPack] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    checkout_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "status",
            "description",
            "amount_cents",
            "currency",
            "platform_fee_cents",
            "refunded_cents",
            "buyer",
            "seller",
            "connection",
            "offer",
            "credit_pack",
            "checkout_url",
            "stripe_payment_intent_id",
            "failure_code",
            "failure_message",
            "created_at",
            "updated_at",
            "paid_at",
            "refunded_at",
        ]
        read_only_fields = fields

    def get_checkout_url(self, payment: Payment) -> str | None:
        return payment.checkout_url if payment.status in OPEN_STATES and payment.checkout_url else None


def payment_data(payment: Payment) -> dict[str, Any]:
    return dict(PaymentSerializer(payment).data)


def payment_updated_payload(payment: Payment, *, previous_status: str) -> dict[str, Any]:
    return {"payment": payment_data(payment), "previous_status": previous_status}
