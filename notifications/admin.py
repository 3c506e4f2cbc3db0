"""Notifications and SMS records for operators: read-only with filters. Rows are written only by
notifications' services and delivery tasks; an SMS opt-out comes from the recipient (STOP)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Notification, NotificationPreference, SmsMessage, SmsOptOut


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "title", "sms_state", "repeat_count", "read_at", "created_at")
    list_filter = ("kind", "sms_state", "sms_reason", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("recipient__username", "title")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "actor", "connection", "thread")
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "sms")
    list_filter = ("kind", "sms")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "purpose", "status", "user", "to", "provider", "error_code", "attempts", "created_at")
    list_filter = ("status", "purpose", "provider", "error_code")
    search_fields = ("user__username", "to", "provider_sid", "key")
    list_select_related = ("user",)
    raw_id_fields = ("user", "notification")
    date_hierarchy = "created_at"


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ReadOnlyAdmin):
    list_display = ("phone_number", "created_at")
    search_fields = ("phone_number",)
    date_hierarchy = "created_at"
