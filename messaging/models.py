from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Thread(models.Model):
    """The one private conversation between a pair of users.

    The pair is stored ordered (`user_low.id < user_high.id`), so the unique constraint holds
    whichever of the two opened it.
    """

    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Denormalised so the thread list shows a preview with one join instead of a subquery per row.
    last_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when the opener shared no connection with the other user: counts toward the daily
    # limit of new conversations with strangers.
    opened_to_stranger = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="unique_thread_per_pair"),
            models.CheckConstraint(condition=Q(user_low__lt=F("user_high")), name="thread_pair_ordered"),
        ]
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self) -> str:
        return f"Thread #{self.pk} ({self.user_low_id}, {self.user_high_id})"

    @property
    def participant_ids(self) -> tuple[int, int]:
        return (self.user_low_id, self.user_high_id)

    def is_participant(self, user) -> bool:
        return user is not None and user.pk in self.participant_ids

    def other_participant_id(self, user_id: int) -> int:
        return self.user_high_id if user_id == self.user_low_id else self.user_low_id


class ThreadMembership(models.Model):
    """One participant's private state in a thread: read marker and archive flag."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_memberships")
    last_read_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="unique_membership_per_thread_user")]
        indexes = [models.Index(fields=["user", "thread"])]

    def __str__(self) -> str:
        return f"User {self.user_id} in thread {self.thread_id}"


class AttachmentType(models.TextChoices):
    OFFER = "offer", "Offer"
    ASK = "ask", "Ask"
    CONNECTION = "connection", "Connection"


class Message(models.Model):
    """One message in a thread. Deleting is soft: the body goes, the row (and its place) stays."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent")
    body = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    # `[{"type": "offer"|"ask"|"connection", "id": int}]`, validated by the service at send time.
    attachments = models.JSONField(default=list, blank=True)
    # Rich replies (an agent's message: chips, buttons, a text prompt; docs/onboarding.md gives the
    # shape). NULL for every message a person sends: set only by server code through
    # `services.message_send(actions=...)`, never from a request body.
    actions = models.JSONField(null=True, blank=True)
    # NULL when absent: the unique (sender, client_id) constraint must not treat all "" as one value.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Moderation (docs/messaging.md, "Hidden messages"): a hidden message is served with a
    # placeholder body; what the sender wrote waits in `hidden_content` (body, body_html,
    # attachments) for the moderators, and comes back if one unhides it.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_content = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("moderate_message", "Can hide and unhide messages")]
        indexes = [models.Index(fields=["thread", "-id"], name="message_thread_newest")]
        constraints = [
            # Idempotent sends: one message per (sender, client_id), also under concurrent requests.
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="unique_message_client_id_per_sender",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | (Q(body="") & Q(body_html="")),
                name="message_deleted_has_no_body",
            ),
        ]

    # Not a field: `services.message_send` sets it on the message it returns for a repeated
    # client_id (the first message, nothing emitted), so the API answers 200 instead of 201.
    replayed = False
    # Not a field either: the payload `message_send` built for `message.created`, which the API
    # answers with too (built once per send).
    representation: dict | None = None

    def __str__(self) -> str:
        return f"Message #{self.pk} in thread {self.thread_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ModerationKind(models.TextChoices):
    HIDE = "hide", "Hide"
    UNHIDE = "unhide", "Unhide"


class ModerationAction(models.Model):
    """The audit row of one moderation action on a message (append-only: `services.message_hide`
    and `message_unhide` write it, the admin only shows it)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="moderation_actions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="moderation_actions"
    )
    action = models.CharField(max_length=16, choices=ModerationKind.choices)
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["message", "-id"], name="moderation_message_newest")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} message #{self.message_id} by user {self.moderator_id}"
