"""SMS backends, chosen like Django's email backends.

`get_backend()` returns the backend named by `settings.SMS_BACKEND`, or else the Twilio backend
when `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` and a sender (`TWILIO_FROM_NUMBER` or
`TWILIO_MESSAGING_SERVICE_SID`) are set, or else the console backend, which logs the SMS it would
send (so `make run` needs no credentials).

A backend's `send(to=, body=)` returns a `SendResult` or raises `SmsTransientError` (worth a retry:
network errors, provider 5xx/429) or `SmsPermanentError` (recorded, never retried: an invalid
number, an unsubscribed recipient).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str  # the provider's status, e.g. "queued"


class SmsError(Exception):
    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class SmsTransientError(SmsError):
    """The provider did not take the message, for now; the same call may succeed later."""


class SmsPermanentError(SmsError):
    """The provider refused the message; repeating the call would fail the same way."""


class SmsBackend(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> SendResult: ...


def twilio_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID)
    )


def backend_path() -> str:
    if settings.SMS_BACKEND:
        # The backends lived in `messaging.sms` before issue 12; a deployment may still name them so.
        legacy = "messaging.sms."
        if settings.SMS_BACKEND.startswith(legacy):
            return "notifications.sms." + settings.SMS_BACKEND[len(legacy) :]
        return settings.SMS_BACKEND
    if twilio_configured():
        return "notifications.sms.twilio.TwilioBackend"
    return "notifications.sms.console.ConsoleBackend"


def get_backend() -> SmsBackend:
    return import_string(backend_path())()
