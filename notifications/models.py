"""Notifications (the in-app feed), per-kind preferences, SMS records and opt-outs.

They were the messaging app's until issue 12 moved them here: `db_table` keeps their tables
(`messaging_*`), and the move was a state-only migration (notifications 0001, messaging 0006)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    CONNECTION_REQUEST = "connection_request", "New connection request"
    ASK_RESPONSE = "ask_response", "Response to your ask"
    CONNECTION_ACCEPTED = "connection_accepted", "Connection accepted"
    HELP_COMPLETED = "help_completed", "Help completed"
    NEW_FOLLOWER = "new_follower", "New follower"
    NEW_MESSAGE = "new_message", "New direct message"
    POINTS_UNLOCK = "points_unlock", "Points threshold reached"
    PRICE_PROPOSAL = "price_proposal", "Price negotiation"
    PAYMENT = "payment", "Payment"
    NEW_MATCH = "new_match", "New match for your ask or offer"


class SmsState(models.TextChoices):
    """Where a notification stands on the SMS channel (what the fallback decided, and why)."""

    NONE = "none", "Not considered"
    PENDING = "pending", "Task queued"
    HELD = "held", "Held for quiet hours"
    SKIPPED = "skipped", "Not sent"
    SENT = "sent", "Handed to the SMS record"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    # Explicit targets rather than a generic FK: every kind points at one of these, and a deleted
    # target takes its notifications with it.
    connection = models.ForeignKey(
        "collective.Connection", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    thread = models.ForeignKey("messaging.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    # The exact SMS text (seed 001 §7.2), fixed when the notification is made.
    sms_text = models.CharField(max_length=480, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Repeats of one kind from one actor about one subject ("offer:12", "ask:5", "direct",
    # "follow"; empty: never consolidated) update one unread notification instead of adding
    # rows: `repeat_count` says how often it happened, `updated_at` when it last did.
    subject = models.CharField(max_length=64, blank=True, default="")
    repeat_count = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    sms_state = models.CharField(max_length=16, choices=SmsState.choices, default=SmsState.NONE)
    sms_reason = models.CharField(max_length=32, blank=True, default="")
    sms_hold_until = models.DateTimeField(null=True, blank=True)
    # The first open of the SMS's tracked link (`/n/<token>`, notifications/links.py); later opens
    # change nothing. The community-health "SMS engagement" metric counts these (insights/).
    sms_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "messaging_notification"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_newest"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_recipient_unread"),
            models.Index(fields=["sms_hold_until"], condition=Q(sms_state="held"), name="notification_sms_held"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"),
            # One unread "new message" notification per thread: messages that pile up while the
            # recipient is away do not each notify (and do not each text them).
            models.UniqueConstraint(
                fields=["recipient", "thread"],
                condition=Q(kind="new_message", read_at__isnull=True),
                name="unique_unread_message_notification_per_thread",
            ),
            # One unread notification per (recipient, actor, kind, subject): a connect/cancel loop
            # leaves one item in the feed, also when two requests race.
            models.UniqueConstraint(
                fields=["recipient", "actor", "kind", "subject"],
                condition=Q(read_at__isnull=True) & ~Q(subject=""),
                name="unique_unread_repeat_notification",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} ({self.kind}) for user {self.recipient_id}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; kinds without a row use the defaults in notifications.conf."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    sms = models.BooleanField()

    class Meta:
        db_table = "messaging_notificationpreference"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_notification_pref_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} SMS {'on' if self.sms else 'off'} for user {self.user_id}"


class SmsPurpose(models.TextChoices):
    NOTIFICATION = "notification", "Notification"
    VERIFICATION = "verification", "Phone verification"


class SmsStatus(models.TextChoices):
    # Ours: queued -> sending -> sent | failed. Twilio's status callbacks move a sent message on.
    # A row whose worker died during the provider call stays "sending" until the beat sweep marks
    # it "unknown": it may have gone out, so it is never sent again and counts toward the limit.
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Outcome unknown"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"


class SmsMessage(models.Model):
    """Every SMS the service sends (or tried to). `key` makes sending idempotent: one row per
    notification (`notification:<id>`) or verification code, so a retried task finds the row
    and never calls the provider a second time once it has been called."""

    key = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=SmsPurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="sms_messages"
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="sms"
    )
    to = models.CharField(max_length=16)
    body = models.CharField(max_length=480)
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    provider = models.CharField(max_length=16, blank=True, default="")
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    provider_status = models.CharField(max_length=32, blank=True, default="")
    error_code = models.CharField(max_length=16, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "messaging_smsmessage"
        indexes = [models.Index(fields=["user", "purpose", "created_at"], name="sms_user_purpose_created")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SmsStatus.values), name="sms_status_valid"),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} to {self.to} ({self.status})"


class SmsOptOut(models.Model):
    """A number that replied STOP. Nothing is sent to it until it replies START."""

    phone_number = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "messaging_smsoptout"

    def __str__(self) -> str:
        return f"SMS opt-out {self.phone_number}"
