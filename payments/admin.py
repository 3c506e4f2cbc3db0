"""Admin for payments: packs are editable data; payments, the ledger and Stripe's events are
records (read-only: money moves only through the services, from what Stripe says)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin as _ReadOnly
from payments.models import CreditPack, LedgerEntry, Payment, PayoutAccount, StripeEvent


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "price_cents", "currency", "credits", "bonus_percent", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = ["id", "kind", "status", "amount_cents", "currency", "buyer", "seller", "created_at", "paid_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["stripe_payment_intent_id", "stripe_checkout_session_id", "buyer__username", "seller__username"]
    raw_id_fields = ["buyer", "seller", "connection", "offer"]
    list_select_related = ["buyer", "seller"]
    date_hierarchy = "created_at"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(_ReadOnly):
    list_display = ["id", "entry_type", "amount_cents", "currency", "user", "payment", "stripe_object_id", "created_at"]
    list_filter = ["entry_type", "currency"]
    search_fields = ["stripe_object_id", "user__username"]
    list_select_related = ["user", "payment"]
    raw_id_fields = ["user", "payment"]
    date_hierarchy = "created_at"


@admin.register(StripeEvent)
class StripeEventAdmin(_ReadOnly):
    list_display = ["event_id", "event_type", "deliveries", "attempts", "outcome", "processed_at", "received_at"]
    list_filter = ["event_type", "outcome"]
    search_fields = ["event_id", "account"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(_ReadOnly):
    list_display = [
        "user",
        "stripe_account_id",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "updated_at",
    ]
    search_fields = ["stripe_account_id", "user__username"]
    list_select_related = ["user"]
