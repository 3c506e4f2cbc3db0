"""The Twilio backend, through the official `twilio` client.

`TWILIO_API_BASE_URL` (optional) sends the client's requests to another host (a local fake in
tests, an egress proxy in production); the request itself is the real client's, unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from . import SendResult, SmsPermanentError, SmsTransientError

REQUEST_TIMEOUT_SECONDS = 10.0


class BaseUrlHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends every request to `base_url` (scheme and host), path kept."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self.scheme, self.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def status_callback_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/api/v1/sms/status/"


def make_client() -> Client:
    http_client: TwilioHttpClient
    if settings.TWILIO_API_BASE_URL:
        http_client = BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=REQUEST_TIMEOUT_SECONDS)
    else:
        http_client = TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


class TwilioBackend:
    name = "twilio"

    def __init__(self) -> None:
        self.client = make_client()

    def send(self, *, to: str, body: str) -> SendResult:
        sender: dict[str, str]
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            sender = {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        else:
            sender = {"from_": settings.TWILIO_FROM_NUMBER}
        try:
            message = self.client.messages.create(to=to, body=body, status_callback=status_callback_url(), **sender)
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            if exc.status == 429 or exc.status >= 500:
                raise SmsTransientError(exc.msg or "Twilio error", code=code, status=exc.status) from exc
            raise SmsPermanentError(exc.msg or "Twilio refused the message", code=code, status=exc.status) from exc
        except requests.exceptions.RequestException as exc:
            # Connection refused, reset or timed out: Twilio did not answer. Retried; the SMS
            # row's state machine keeps a retry from sending twice once Twilio has answered.
            raise SmsTransientError(f"network error: {type(exc).__name__}", code="network") from exc
        except TwilioException as exc:
            raise SmsPermanentError(str(exc), code="twilio") from exc
        return SendResult(sid=message.sid, status=message.status or "queued")
