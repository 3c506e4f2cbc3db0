"""Threads and messages for moderators: read-only records, and one moderation action, hiding a
message (and unhiding it), which goes through `messaging.services.message_hide` /
`message_unhide`: the participants then see a placeholder, live sessions get `message.updated`,
and a `ModerationAction` audit row records who did it, when and why.

Hiding needs the permission `messaging.moderate_message` (superusers have it); looking needs
staff status and the view permissions, as everywhere in the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin import ReadOnlyAdmin

from . import services
from .models import Message, ModerationAction, Thread, ThreadMembership


class ModerationActionForm(ActionForm):
    """The changelist's action bar, with the reason the audit row records."""

    reason = forms.CharField(required=False, max_length=500, label="Reason")


class HiddenFilter(admin.SimpleListFilter):
    title = "hidden by a moderator"
    parameter_name = "hidden"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Hidden"), ("no", "Not hidden")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if self.value() == "yes":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(hidden_at__isnull=True)
        return queryset


class ModerationActionInline(admin.TabularInline):
    model = ModerationAction
    fields = ("created_at", "action", "moderator", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "thread", "sender", "excerpt", "created_at", "edited_at", "deleted_at", "hidden_at")
    list_filter = (HiddenFilter, ("deleted_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("body", "sender__username")
    list_select_related = ("sender", "thread")
    raw_id_fields = ("thread", "sender", "hidden_by")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "thread",
        "sender",
        "body",
        "attachments",
        "actions",
        "client_id",
        "created_at",
        "edited_at",
        "deleted_at",
        "hidden_at",
        "hidden_by",
        "hidden_content",
        "moderation",
    )
    readonly_fields = fields
    inlines = (ModerationActionInline,)
    action_form = ModerationActionForm
    actions = ("hide_messages", "unhide_messages")

    @admin.display(description="body")
    def excerpt(self, obj: Message) -> str:
        return Truncator(obj.body).chars(80)

    @admin.display(description="moderation")
    def moderation(self, obj: Message) -> str:
        if obj.deleted_at is not None:
            return "Deleted by its sender: nothing to moderate."
        name = "unhide" if obj.hidden_at is not None else "hide"
        url = reverse(f"admin:messaging_message_{name}", args=[obj.pk])
        return format_html('<a class="button" href="{}">{} this message</a>', url, name.capitalize())

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.MODERATE_PERMISSION)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if self.has_moderate_permission(request) else [f for f in fields if f != "moderation"]

    # --- changelist actions -------------------------------------------------------------------

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Message], hide: bool) -> None:
        reason = request.POST.get("reason", "")[:500]
        service = services.message_hide if hide else services.message_unhide
        changed = 0
        for message_id, was_hidden in queryset.values_list("pk", "hidden_at"):
            message = service(message_id=message_id, moderator=request.user, reason=reason)
            changed += (message.hidden_at is not None) != (was_hidden is not None)
        verb = "hidden" if hide else "unhidden"
        self.message_user(request, f"{changed} message(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Hide the selected messages from their threads", permissions=["moderate"])
    def hide_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        self._moderate(request, queryset, hide=True)

    @admin.action(description="Unhide the selected messages", permissions=["moderate"])
    def unhide_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        self._moderate(request, queryset, hide=False)

    # --- the change page's button: a confirmation page with a reason ---------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/hide/", view(self.moderate_view), {"hide": True}, name="messaging_message_hide"),
            path("<int:object_id>/unhide/", view(self.moderate_view), {"hide": False}, name="messaging_message_unhide"),
            *super().get_urls(),
        ]

    def moderate_view(self, request: HttpRequest, object_id: int, hide: bool) -> HttpResponse:
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        message = self.get_object(request, str(object_id))
        if message is None:
            raise Http404("No such message.")
        change_url = reverse("admin:messaging_message_change", args=[message.pk])
        if request.method == "POST":
            reason = request.POST.get("reason", "")[:500]
            service = services.message_hide if hide else services.message_unhide
            service(message_id=message.pk, moderator=request.user, reason=reason)
            self.message_user(request, f"Message #{message.pk} {'hidden' if hide else 'unhidden'}.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{'Hide' if hide else 'Unhide'} message #{message.pk}",
            "opts": self.opts,
            "message_obj": message,
            "hide": hide,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/messaging/message/moderate.html", context)


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "action", "moderator", "message", "reason")
    list_filter = ("action",)
    search_fields = ("moderator__username", "reason")
    list_select_related = ("moderator", "message")
    raw_id_fields = ("message", "moderator")
    date_hierarchy = "created_at"


class ThreadMembershipInline(admin.TabularInline):
    model = ThreadMembership
    fields = ("user", "last_read_message", "last_read_at", "archived_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ("id", "user_low", "user_high", "created_by", "opened_to_stranger", "created_at", "last_message_at")
    list_filter = ("opened_to_stranger",)
    search_fields = ("user_low__username", "user_high__username")
    list_select_related = ("user_low", "user_high", "created_by")
    raw_id_fields = ("user_low", "user_high", "created_by", "last_message")
    date_hierarchy = "created_at"
    inlines = (ThreadMembershipInline,)


@admin.register(ThreadMembership)
class ThreadMembershipAdmin(ReadOnlyAdmin):
    list_display = ("id", "thread", "user", "last_read_at", "archived_at")
    search_fields = ("user__username",)
    list_select_related = ("thread", "user")
    raw_id_fields = ("thread", "user", "last_read_message")
