"""Request/response shapes of the accounts API (register, token, session, /me/)."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from collective.models import User
from collective.models.users import E164_VALIDATOR
from collective.selectors.points import economy_of
from core.errors import CoreCode

USERNAME_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{1,28})[A-Za-z0-9_]$")
# Names that would read as the service speaking, or collide with paths a web client may use.
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "api",
        "me",
        "root",
        "staff",
        "support",
        "system",
        "collective",
        "help",
        "settings",
        "login",
        "logout",
        "register",
        "null",
        "undefined",
        "anonymous",
        "moderator",
    }
)


def reserved_username(value: str) -> bool:
    """Reserved in every case and with any punctuation: `_admin_`, `Ad.min` and `ADMIN` all read as
    `admin` to a person, so they are refused like it."""
    return re.sub(r"[_.\-]", "", value).casefold() in RESERVED_USERNAMES


MAX_PASSWORD = 256
MAX_BIO = 5000


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    # Membership in the IANA list, not ZoneInfo(value): that also accepts file-system-like keys.
    if value not in _time_zones():
        raise serializers.ValidationError(f"'{value[:64]}' is not a known IANA time zone (e.g. 'Europe/Paris').")


class HHMMField(serializers.TimeField):
    """A time of day written exactly 'HH:MM' (strptime alone would also take '7:3')."""

    HHMM_RE = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not self.HHMM_RE.match(value):
            raise serializers.ValidationError("Use the 24-hour format 'HH:MM', e.g. '22:00'.", code=CoreCode.INVALID)
        return super().to_internal_value(value)


class StrictFieldsMixin:
    """Rejects keys the serializer does not accept, naming each: read-only ones and unknown ones.

    Silently ignoring `total_points` in a PATCH would let a client believe it changed it.
    """

    read_only_names: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors: dict[str, list[str]] = {}
            writable = {name for name, f in self.fields.items() if not f.read_only}  # type: ignore[attr-defined]
            for key in data:
                if key in writable:
                    continue
                errors[str(key)] = ["This field is read-only."] if key in self.read_only_names else ["Unknown field."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=30, trim_whitespace=True)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=MAX_PASSWORD, write_only=True, trim_whitespace=False)

    def validate_username(self, value: str) -> str:
        if not USERNAME_RE.match(value):
            raise serializers.ValidationError(
                "3-30 characters: letters, digits, '_', '.', '-'; starting and ending with a letter, digit or '_'."
            )
        if reserved_username(value):
            raise serializers.ValidationError("This username is reserved.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Validated against a user-shaped object so the similarity validator can compare with the
        # username and email.
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class RegisterResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    token = serializers.CharField()


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=MAX_PASSWORD, write_only=True, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class SessionResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CsrfResponseSerializer(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="Send back as the X-CSRFToken header; also set as a cookie.")


class UserSettingsSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_names = frozenset({"phone_verified"})

    phone_number = serializers.CharField(
        max_length=16, allow_blank=True, validators=[E164_VALIDATOR], help_text="E.164, e.g. +14155550123; '' clears"
    )
    phone_verified = serializers.BooleanField(read_only=True)
    sms_enabled = serializers.BooleanField()
    time_zone = serializers.CharField(max_length=64, validators=[validate_time_zone])
    quiet_hours_start = HHMMField(allow_null=True)
    quiet_hours_end = HHMMField(allow_null=True)


class MeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The caller's own account. Counters, points, credits, role and frame are read-only: sending
    them is a 400 naming the field."""

    read_only_names = frozenset(
        {
            "id",
            "username",
            "total_points",
            "helped_count",
            "credit_balance",
            "followers_count",
            "following_count",
            "role",
            "avatar_frame",
            "date_joined",
            "unlocks",
            "reputation",
        }
    )

    email = serializers.EmailField(max_length=254)
    # Generosity economy (docs/economy.md): §8.9 unlocks and the reputation summary.
    unlocks = serializers.SerializerMethodField()
    reputation = serializers.SerializerMethodField()
    bio = serializers.CharField(max_length=MAX_BIO, allow_blank=True, required=False)
    settings = UserSettingsSerializer(source="*", required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "total_points",
            "helped_count",
            "credit_balance",
            "followers_count",
            "following_count",
            "role",
            "tagline",
            "bio",
            "avatar_url",
            "avatar_frame",
            "date_joined",
            "settings",
            "unlocks",
            "reputation",
        ]
        read_only_fields = [
            "id",
            "username",
            "total_points",
            "helped_count",
            "credit_balance",
            "followers_count",
            "following_count",
            "role",
            "avatar_frame",
            "date_joined",
        ]

    def _economy(self, user: User) -> dict[str, Any]:
        if not hasattr(self, "_economy_cache"):
            self._economy_cache = economy_of(user=user)
        return self._economy_cache

    def get_unlocks(self, user: User) -> dict[str, Any]:
        return self._economy(user)["unlocks"]

    def get_reputation(self, user: User) -> dict[str, Any]:
        return self._economy(user)["reputation"]

    def validated_changes(self) -> dict[str, Any]:
        """The validated data flattened for `user_profile_update` (settings keys at the top level)."""
        return dict(self.validated_data)
