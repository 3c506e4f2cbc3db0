"""Django admin for every model of the collective app.

Counters, balances and points are read-only here: they are maintained by services (F() updates,
ledgers), and an edit in the admin would desynchronise them from their source rows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models

from core.admin import ReadOnlyAdmin

from .models import (
    AgentProfile,
    Ask,
    Block,
    Connection,
    Follow,
    Match,
    Offer,
    PhoneVerification,
    PriceProposal,
    Taxonomy,
    Tool,
    User,
)

USER_COUNTERS = (
    "followers_count",
    "following_count",
    "helped_count",
    "total_points",
    "credit_balance",
    "points_gifted_total",
    "credits_gifted_total",
)

# URLs typed without a scheme are taken as https (Django 6's default; says so explicitly now).
URL_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


class ModelAdmin(admin.ModelAdmin):
    formfield_overrides = URL_OVERRIDES


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    formfield_overrides = URL_OVERRIDES
    list_display = ("username", "email", "role", "total_points", "helped_count", "is_staff", "date_joined")
    list_filter = ("role", "avatar_frame", "sms_enabled", "is_staff", "is_superuser", "is_active")
    search_fields = ("username", "email", "tagline")
    readonly_fields = (*USER_COUNTERS, "avatar_frame", "phone_verified_at", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),  # Django's, always set
        ("Profile", {"fields": ("role", "tagline", "bio", "avatar_url", "avatar_frame")}),
        ("Counters (maintained by services)", {"fields": USER_COUNTERS}),
        (
            "Notifications",
            {
                "fields": (
                    "phone_number",
                    "phone_verified_at",
                    "sms_enabled",
                    "time_zone",
                    "quiet_hours_start",
                    "quiet_hours_end",
                )
            },
        ),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "role", "password1", "password2")}),)


@admin.register(Taxonomy)
class TaxonomyAdmin(ModelAdmin):
    list_display = ("name", "slug", "taxonomy_type", "parent", "is_active", "created_at")
    list_filter = ("taxonomy_type", "is_active")
    search_fields = ("name", "slug", "description")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("created_at",)


@admin.register(Tool)
class ToolAdmin(ModelAdmin):
    list_display = ("name", "slug", "category", "pricing_model", "has_free_tier", "is_featured", "is_active")
    list_filter = ("pricing_model", "has_free_tier", "is_featured", "is_active", "category")
    search_fields = ("name", "slug", "tagline", "description")
    list_select_related = ("category",)
    raw_id_fields = ("taxonomy",)
    readonly_fields = ("created_at", "updated_at")


class _ContentAdmin(ModelAdmin):
    search_fields = ("title", "slug", "description", "user__username")
    list_select_related = ("user", "category")
    raw_id_fields = ("user",)
    filter_horizontal = ("tags", "tools")
    date_hierarchy = "created_at"


@admin.register(Offer)
class OfferAdmin(_ContentAdmin):
    list_display = ("title", "user", "offer_type", "status", "is_paid", "price_cents", "is_featured", "created_at")
    list_filter = ("status", "offer_type", "pricing_type", "is_paid", "is_featured", "is_archived", "category")
    readonly_fields = ("body_html", "view_count", "connection_count", "created_at", "updated_at", "published_at")


@admin.register(Ask)
class AskAdmin(_ContentAdmin):
    list_display = ("title", "user", "ask_type", "status", "is_paid_opportunity", "response_count", "created_at")
    list_filter = ("status", "ask_type", "is_paid_opportunity", "is_archived", "category")
    readonly_fields = ("view_count", "response_count", "created_at", "updated_at", "fulfilled_at")


@admin.register(Connection)
class ConnectionAdmin(ModelAdmin):
    list_display = ("id", "initiator", "responder", "connection_type", "status", "agreed_price_cents", "created_at")
    list_filter = ("status", "connection_type")
    search_fields = ("initiator__username", "responder__username", "initial_message")
    list_select_related = ("initiator", "responder")
    raw_id_fields = ("initiator", "responder", "ask", "offer", "dm_thread")
    readonly_fields = ("created_at", "updated_at", "completed_at", "paid_at", "stripe_payment_intent_id")
    date_hierarchy = "created_at"


@admin.register(Follow)
class FollowAdmin(ModelAdmin):
    list_display = ("id", "follower", "following", "created_at")
    search_fields = ("follower__username", "following__username")
    list_select_related = ("follower", "following")
    raw_id_fields = ("follower", "following")
    readonly_fields = ("created_at",)


@admin.register(AgentProfile)
class AgentProfileAdmin(ModelAdmin):
    list_display = ("user", "owner", "tagline", "created_at")
    search_fields = ("user__username", "owner__username", "tagline")
    list_select_related = ("user", "owner")
    raw_id_fields = ("user", "owner")
    readonly_fields = ("created_at",)


@admin.register(Block)
class BlockAdmin(ModelAdmin):
    list_display = ("id", "blocker", "blocked", "created_at")
    search_fields = ("blocker__username", "blocked__username")
    list_select_related = ("blocker", "blocked")
    raw_id_fields = ("blocker", "blocked")
    readonly_fields = ("created_at",)


# --- generosity economy (docs/economy.md) ---------------------------------------------------------
# Ledgers are append-only: their rows are read-only here; balances move through the services.
from .models import (  # noqa: E402
    CreditCost,
    CreditGift,
    CreditTransaction,
    Endorsement,
    PeerBadgeAward,
    PeerBadgeType,
    PointGift,
    PointsAccount,
    PointsTransaction,
    UserReputation,
)


class _LedgerAdmin(ReadOnlyAdmin):
    """Append-only rows: viewable, never added or changed by hand."""


@admin.register(PointsTransaction)
class PointsTransactionAdmin(_LedgerAdmin):
    list_display = ("id", "user", "action", "amount", "balance_after", "created_at")
    list_filter = ("action",)
    search_fields = ("user__username", "reason")
    list_select_related = ("user",)
    raw_id_fields = ("user", "related_user")
    date_hierarchy = "created_at"


@admin.register(PointsAccount)
class PointsAccountAdmin(_LedgerAdmin):
    list_display = ("user", "lifetime_points", "streak_days", "longest_streak_days", "streak_last_day")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(CreditTransaction)
class CreditTransactionAdmin(_LedgerAdmin):
    list_display = ("id", "user", "transaction_type", "amount", "balance_after", "feature", "created_at")
    list_filter = ("transaction_type",)
    search_fields = ("user__username", "description", "feature")
    list_select_related = ("user",)
    raw_id_fields = ("user", "related_user", "related_transaction")
    date_hierarchy = "created_at"


@admin.register(CreditCost)
class CreditCostAdmin(ModelAdmin):
    list_display = ("slug", "name", "cost", "is_active", "updated_at")
    list_editable = ("cost", "is_active")
    search_fields = ("slug", "name")


@admin.register(PointGift, CreditGift)
class GiftAdmin(_LedgerAdmin):
    list_display = ("id", "sender", "recipient", "amount", "created_at")
    search_fields = ("sender__username", "recipient__username", "message")
    list_select_related = ("sender", "recipient")
    raw_id_fields = ("sender", "recipient", "connection")


@admin.register(Endorsement)
class EndorsementAdmin(ModelAdmin):
    """Moderation: clear `is_flagged` to restore a flagged endorsement, or untick `is_approved`
    to withdraw it."""

    list_display = ("id", "endorser", "endorsee", "is_approved", "is_flagged", "is_featured", "created_at")
    list_filter = ("is_flagged", "is_approved", "is_featured")
    search_fields = ("endorser__username", "endorsee__username", "content")
    list_select_related = ("endorser", "endorsee")
    raw_id_fields = ("endorser", "endorsee", "connection")
    readonly_fields = ("created_at", "flagged_at")


@admin.register(PeerBadgeType)
class PeerBadgeTypeAdmin(ModelAdmin):
    list_display = ("slug", "icon", "name", "category", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("slug", "name")


@admin.register(PeerBadgeAward)
class PeerBadgeAwardAdmin(ModelAdmin):
    list_display = ("id", "badge_type", "awarder", "recipient", "created_at")
    list_filter = ("badge_type",)
    search_fields = ("awarder__username", "recipient__username")
    list_select_related = ("badge_type", "awarder", "recipient")
    raw_id_fields = ("awarder", "recipient", "connection")
    readonly_fields = ("created_at",)


@admin.register(UserReputation)
class UserReputationAdmin(_LedgerAdmin):
    list_display = ("user", "score", "tier", "ratings_count", "rating_average", "completed_count", "updated_at")
    list_filter = ("tier",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)


# Phone verification codes (moved here from messaging, issue 12): who asked when, for support;
# only the code's HMAC is stored, and nothing is edited by hand.


@admin.register(PhoneVerification)
class PhoneVerificationAdmin(_LedgerAdmin):
    list_display = ("id", "user", "phone_number", "created_at", "expires_at", "attempts", "verified_at")
    search_fields = ("user__username", "phone_number")
    list_select_related = ("user",)
    exclude = ("code_hash",)


# Price proposals (issue 14): the negotiation's history, written only by
# collective.services.negotiation (accepting one sets the connection's price), so read-only here.


@admin.register(PriceProposal)
class PriceProposalAdmin(_LedgerAdmin):
    list_display = ("id", "connection", "proposer", "amount_cents", "currency", "status", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("proposer__username", "scope", "message")
    list_select_related = ("proposer",)
    raw_id_fields = ("connection", "proposer", "replaces", "responded_by")


# Match records (docs/matching.md): written by collective.services.match_records, read-only here.


@admin.register(Match)
class MatchAdmin(_LedgerAdmin):
    list_display = ("id", "ask", "offer", "score", "notified_user", "notified_at", "connection", "created_at")
    search_fields = ("ask__title", "offer__title")
    list_select_related = ("ask", "offer", "notified_user")
    raw_id_fields = ("ask", "offer", "notified_user", "connection")
