"""The event log (each user's stream of durable events) for operators: read-only, filtered by
type and day. Rows are written only by `realtime.publish` and pruned by its retention task."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Event, Stream


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "seq", "type", "created_at")
    list_filter = ("type",)
    search_fields = ("user__username", "type")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log is the largest table: no second COUNT(*) per page


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdmin):
    list_display = ("user", "last_event_id")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
