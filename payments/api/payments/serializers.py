from __future__ import annotations

from rest_framework import serializers

from payments.models import LedgerEntry, PaymentKind
from payments.selectors import ROLES


class PaymentFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES, required=False)
    kind = serializers.ChoiceField(choices=PaymentKind.choices, required=False)


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "entry_type", "amount_cents", "currency", "payment", "stripe_object_id", "created_at"]
        read_only_fields = fields


class PayoutAccountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["onboarding", "restricted", "active"])
    charges_enabled = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()
    details_submitted = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class PayoutAccountAnswerSerializer(serializers.Serializer):
    payout_account = PayoutAccountSerializer(allow_null=True)


class OnboardingAnswerSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Stripe's onboarding page for the creator; open it in the browser.")
    payout_account = PayoutAccountSerializer()


class EarningsTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    sales_cents = serializers.IntegerField()
    fees_cents = serializers.IntegerField()
    refunds_cents = serializers.IntegerField()
    fee_refunds_cents = serializers.IntegerField()
    disputes_cents = serializers.IntegerField()
    payouts_cents = serializers.IntegerField()
    net_cents = serializers.IntegerField()
    balance_cents = serializers.IntegerField()


class EarningsSerializer(serializers.Serializer):
    sales_count = serializers.IntegerField()
    totals = EarningsTotalSerializer(many=True)
    payout_account = PayoutAccountSerializer(allow_null=True)
