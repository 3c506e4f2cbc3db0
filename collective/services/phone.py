"""Phone verification by a code sent over SMS (the sending: `PhoneVerificationRequested`, which
the notifications app subscribes to).

A code is six digits, stored only as an HMAC (keyed with SECRET_KEY, bound to the user and the
number), valid for 10 minutes and for 5 attempts. A new code may be asked for once a minute and
5 times an hour. Confirming sets `phone_verified_at` and turns SMS on (seed 001: "default on if
phone provided"). Changing the number on /me/ clears the verification and voids pending codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from collective.errors import CollectiveCode
from collective.events import PhoneVerificationRequested
from collective.models import PhoneVerification, User
from core.errors import Conflict, CoreCode, DomainError, RateLimited
from core.events import announce

# `settings.PHONE_VERIFICATION` (a dict) over these defaults.
DEFAULTS: dict[str, int] = {
    "VERIFICATION_CODE_TTL_SECONDS": 600,
    "VERIFICATION_MAX_ATTEMPTS": 5,
    "VERIFICATION_RESEND_SECONDS": 60,
    "VERIFICATION_MAX_PER_HOUR": 5,
}


def _setting(name: str) -> int:
    return {**DEFAULTS, **getattr(settings, "PHONE_VERIFICATION", {})}[name]


def _hash(user_id: int, phone_number: str, code: str) -> str:
    message = f"{user_id}:{phone_number}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _lock_user(user: Any) -> Any:
    return User.objects.select_for_update().get(pk=user.pk)


@dataclass(frozen=True)
class Started:
    phone_number: str
    expires_in: int
    resend_in: int


@transaction.atomic
def phone_verification_start(*, user: Any) -> Started:
    """Send a new code to the user's phone number (set on /me/). Throttled per user, under the
    user's row lock so parallel requests cannot both pass the throttle."""
    locked = _lock_user(user)
    phone = locked.phone_number
    if not phone:
        raise DomainError(
            "Set a phone number on /api/v1/me/ first.", code=CollectiveCode.PHONE_MISSING, field="phone_number"
        )
    if locked.phone_verified:
        raise Conflict("This phone number is already verified.", code=CollectiveCode.ALREADY_VERIFIED)
    now = timezone.now()
    recent = list(
        PhoneVerification.objects.filter(user_id=locked.pk, created_at__gt=now - dt.timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    resend = _setting("VERIFICATION_RESEND_SECONDS")
    if recent and (now - recent[0]).total_seconds() < resend:
        wait = resend - (now - recent[0]).total_seconds()
        raise RateLimited(
            f"A code was just sent; ask for another in {math.ceil(wait)} s.",
            retry_after=math.ceil(wait),
            code=CollectiveCode.RESEND_TOO_SOON,
        )
    per_hour = _setting("VERIFICATION_MAX_PER_HOUR")
    if len(recent) >= per_hour:
        wait = (recent[per_hour - 1] + dt.timedelta(hours=1) - now).total_seconds()
        raise RateLimited(
            f"At most {per_hour} codes an hour.", retry_after=math.ceil(wait), code=CollectiveCode.TOO_MANY_CODES
        )
    ttl = _setting("VERIFICATION_CODE_TTL_SECONDS")
    code = f"{secrets.randbelow(10**6):06d}"
    verification = PhoneVerification.objects.create(
        user_id=locked.pk,
        phone_number=phone,
        code_hash=_hash(locked.pk, phone, code),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl),
    )
    # Older codes die when a new one is sent: only the latest can be confirmed.
    PhoneVerification.objects.filter(user_id=locked.pk, verified_at__isnull=True).exclude(pk=verification.pk).update(
        expires_at=now
    )
    # The code goes out by SMS through the notifications app (its subscriber records the SMS and
    # queues it on commit, or refuses a number that opted out: that rolls all of this back).
    announce(
        PhoneVerificationRequested(
            user_id=locked.pk,
            verification_id=verification.pk,
            phone_number=phone,
            code=code,
            ttl_seconds=ttl,
            user=locked,
        )
    )
    return Started(phone_number=phone, expires_in=ttl, resend_in=resend)


def _check(user: Any, code: Any) -> tuple[str, Any]:
    """One attempt, committed whether it succeeds or not (so failed attempts count)."""
    with transaction.atomic():
        locked = _lock_user(user)
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(user_id=locked.pk, verified_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if verification is None:
            return "no_code", None
        now = timezone.now()
        if verification.phone_number != locked.phone_number:
            return "phone_changed", None
        if verification.expires_at <= now:
            return "code_expired", None
        limit = _setting("VERIFICATION_MAX_ATTEMPTS")
        if verification.attempts >= limit:
            return "too_many_attempts", None
        PhoneVerification.objects.filter(pk=verification.pk).update(attempts=F("attempts") + 1)
        expected = verification.code_hash
        if not hmac.compare_digest(expected, _hash(locked.pk, locked.phone_number, code)):
            return "code_invalid", limit - verification.attempts - 1
        verification.verified_at = now
        verification.save(update_fields=["verified_at"])
        locked.phone_verified_at = now
        locked.sms_enabled = True
        locked.save(update_fields=["phone_verified_at", "sms_enabled"])
        return "ok", locked


def phone_verification_confirm(*, user: Any, code: Any) -> Any:
    """Check a code; on success the phone is verified and SMS turned on. Returns the user."""
    if not isinstance(code, str) or not code.strip().isdigit() or len(code.strip()) != 6:
        raise DomainError("The code is the 6 digits we sent.", code=CoreCode.INVALID, field="code")
    outcome, extra = _check(user, code.strip())
    if outcome == "ok":
        return extra
    messages = {
        "no_code": ("Ask for a code first.", "no_code"),
        "phone_changed": ("The phone number changed since the code was sent; ask for a new one.", "phone_changed"),
        "code_expired": ("This code has expired; ask for a new one.", "code_expired"),
        "too_many_attempts": ("Too many wrong codes; ask for a new one.", "too_many_attempts"),
    }
    if outcome == "code_invalid":
        raise DomainError(f"Wrong code; {extra} attempt(s) left.", code=CollectiveCode.CODE_INVALID, field="code")
    detail, err = messages[outcome]
    raise DomainError(detail, code=err, field="code")
