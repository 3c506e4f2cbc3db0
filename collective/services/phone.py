"""Phone verification by a code sent over SMS.

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

from collective.models import PhoneVerification, User
from core.errors import Conflict, DomainError, RateLimited
from core.outbox import enqueue_on_commit

# The code goes out through the notifications app's SMS channel (its record, opt-outs, backends
# and task): an accounts service using a subscriber app, to be turned around (see the README).
from notifications import conf
from notifications.delivery import sms_opted_out, sms_verification_record
from notifications.tasks import sms_send
from notifications.texts import verification_code


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
        raise DomainError("Set a phone number on /api/v1/me/ first.", code="phone_missing", field="phone_number")
    if locked.phone_verified:
        raise Conflict("This phone number is already verified.", code="already_verified")
    if sms_opted_out(phone):
        raise DomainError(
            "This number replied STOP; reply START to it before verifying.",
            code="phone_opted_out",
            field="phone_number",
        )
    now = timezone.now()
    recent = list(
        PhoneVerification.objects.filter(user_id=locked.pk, created_at__gt=now - dt.timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    resend = conf.get("VERIFICATION_RESEND_SECONDS")
    if recent and (now - recent[0]).total_seconds() < resend:
        wait = resend - (now - recent[0]).total_seconds()
        raise RateLimited(
            f"A code was just sent; ask for another in {math.ceil(wait)} s.",
            retry_after=math.ceil(wait),
            code="resend_too_soon",
        )
    per_hour = conf.get("VERIFICATION_MAX_PER_HOUR")
    if len(recent) >= per_hour:
        wait = (recent[per_hour - 1] + dt.timedelta(hours=1) - now).total_seconds()
        raise RateLimited(f"At most {per_hour} codes an hour.", retry_after=math.ceil(wait), code="too_many_codes")
    ttl = conf.get("VERIFICATION_CODE_TTL_SECONDS")
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
    sms = sms_verification_record(user=locked, verification_id=verification.pk, body=verification_code(code, ttl))
    sms_id = sms.pk
    enqueue_on_commit(sms_send, args=[sms_id])
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
        limit = conf.get("VERIFICATION_MAX_ATTEMPTS")
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
        raise DomainError("The code is the 6 digits we sent.", code="invalid", field="code")
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
        raise DomainError(f"Wrong code; {extra} attempt(s) left.", code="code_invalid", field="code")
    detail, err = messages[outcome]
    raise DomainError(detail, code=err, field="code")
