"""Onboarding sessions (the conversation with Ava) for support: read-only, the state machine
moves only through onboarding's services."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import OnboardingSession


@admin.register(OnboardingSession)
class OnboardingSessionAdmin(ReadOnlyAdmin):
    list_display = ("user", "step", "status", "said", "created_at", "completed_at", "skipped_at")
    list_filter = ("status", "step")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user", "thread", "current_message")
    date_hierarchy = "created_at"
