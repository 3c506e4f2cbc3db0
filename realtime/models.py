from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.db import models


class Stream(models.Model):
    """One row per user: the last event id handed out in that user's stream.

    Publishing locks the recipient's row (`SELECT ... FOR UPDATE`) until the transaction commits,
    so ids within one stream are assigned in commit order: a client that has seen id N can never
    later receive a smaller id from a transaction that committed after it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Stream of user {self.user_id} at {self.last_event_id}"


class Event(models.Model):
    """A durable event in one user's stream: the record that `resume` replays from."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(help_text="The event id the client sees; strictly increasing per user.")
    type = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="unique_event_seq_per_user")]

    def __str__(self) -> str:
        return f"Event {self.seq} ({self.type}) for user {self.user_id}"

    def envelope(self) -> dict:
        return {"id": self.seq, "type": self.type, "ts": _iso(self.created_at), "data": self.data}


def _iso(dt) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
