"""Phone verification codes (accounts). The code is sent over SMS by services/phone.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PhoneVerification(models.Model):
    """One verification code sent to a number. Only a hash of the code is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications")
    phone_number = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Its table is still the one the messaging app made (moved by issue 12, state only).
        db_table = "messaging_phoneverification"
        indexes = [models.Index(fields=["user", "-created_at"], name="phone_verification_latest")]

    def __str__(self) -> str:
        return f"Phone verification #{self.pk} for user {self.user_id}"
