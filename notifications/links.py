"""Tracked SMS links: the link an SMS carries is `/n/<token>`, which records the notification's
first open (`Notification.sms_opened_at`) and redirects (302) to the notification's own page.

The token is the notification's id (base 62) signed with `django.core.signing` under its own salt
(`notifications.sms-link`), the signature cut to SIGNATURE_CHARS characters (96 bits) to keep the
SMS short: `/n/1c.Xq3v9-_aB2cD4eF6`. It holds no phone number, name or text, and ids cannot be
enumerated (a wrong signature is a 404). The redirect goes only to a path of this site: the path
(and query) of the notification's `url`, never its host, so a stored URL cannot send anyone
elsewhere (no open redirect). docs/notifications.md "Tracked links".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from .conf import site_url
from .models import Notification

SALT = "notifications.sms-link"
SIGNATURE_CHARS = 16
PATH_PREFIX = "/n/"
# Where a valid link whose notification (or target) is gone, or whose URL is not a path, lands.
FALLBACK_PATH = "/notifications"
_SMS_MAX_CHARS = 480  # SmsMessage.body / Notification.sms_text
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _ShortSigner(signing.Signer):
    """A Signer whose signature is cut to SIGNATURE_CHARS: `unsign` compares against the same
    cut (constant time), so it verifies what it made, under SECRET_KEY and its fallbacks."""

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return super().signature(value, key)[:SIGNATURE_CHARS]


def _signer() -> _ShortSigner:
    return _ShortSigner(salt=SALT, sep=".")


def _b62(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _ALPHABET[rest] + digits
        if not number:
            return digits


def _from_b62(text: str) -> int | None:
    if not text or len(text) > 11 or any(c not in _ALPHABET for c in text):
        return None
    number = 0
    for c in text:
        number = number * 62 + _ALPHABET.index(c)
    return number if 1 <= number <= 2**63 - 1 else None


def link_token(notification_id: int) -> str:
    return _signer().sign(_b62(notification_id))


def notification_id_from_token(token: str) -> int | None:
    """The notification id a token names, or None when its signature is wrong."""
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return _from_b62(value)


def tracked_url(notification_id: int) -> str:
    return site_url(f"{PATH_PREFIX}{link_token(notification_id)}")


def tracked_sms_text(notification: Notification) -> str:
    """The SMS body of a notification: its `sms_text` with the link (`url`) replaced by the
    tracked link. A text that carries no link (help completed) is sent as it is, and so is one
    the replacement would push past the SMS limit."""
    text, url = notification.sms_text, notification.url
    if not url or url not in text:
        return text
    tracked = text.replace(url, tracked_url(notification.pk))
    return tracked if len(tracked) <= _SMS_MAX_CHARS else text


def safe_target(url: str) -> str:
    """The path (and query) of `url` on this site; FALLBACK_PATH for anything that is not a
    plain absolute path (a scheme-relative `//host`, a backslash, an empty URL)."""
    parts = urlsplit(url or "")
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or "\\" in url:
        return FALLBACK_PATH
    target = f"{path}?{parts.query}" if parts.query else path
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        return FALLBACK_PATH
    return target


def notification_link_open(*, notification_id: int) -> str | None:
    """Record the first open of a notification's SMS link (later opens change nothing) and return
    where it leads; None when the notification is gone. Two queries."""
    Notification.objects.filter(pk=notification_id, sms_opened_at__isnull=True).update(sms_opened_at=timezone.now())
    return Notification.objects.filter(pk=notification_id).values_list("url", flat=True).first()


@require_safe
def sms_link_open(request: HttpRequest, token: str) -> HttpResponse:
    """GET /n/<token>: record the open and redirect. A HEAD (a link preview's probe) redirects
    without recording. No login needed: the token is the proof; the target page asks for one."""
    notification_id = notification_id_from_token(token)
    if notification_id is None:
        raise Http404("No such link.")
    if request.method == "GET":
        url = notification_link_open(notification_id=notification_id)
    else:
        url = Notification.objects.filter(pk=notification_id).values_list("url", flat=True).first()
    response = HttpResponseRedirect(FALLBACK_PATH if url is None else safe_target(url))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
