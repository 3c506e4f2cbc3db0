from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from collective.models import User
from tests.conftest import client_for
from tests.factories import UserFactory

ME = "/api/v1/me/"

pytestmark = pytest.mark.django_db

TOP_FIELDS = {
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
    "reputation",  # generosity economy (docs/economy.md)
}
SETTINGS_FIELDS = {"phone_number", "phone_verified", "sms_enabled", "time_zone", "quiet_hours_start", "quiet_hours_end"}


@pytest.fixture
def me_user():
    return UserFactory(username="ada", email="ada@example.com", tagline="Hi", total_points=12, helped_count=3)


@pytest.fixture
def client(me_user):
    return client_for(me_user)


def test_get_me_shape_and_values(client, me_user):
    response = client.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOP_FIELDS
    assert set(body["settings"]) == SETTINGS_FIELDS
    assert body["id"] == me_user.pk
    assert body["username"] == "ada"
    assert body["total_points"] == 12
    assert body["helped_count"] == 3
    assert body["credit_balance"] == 0
    assert body["role"] == "explorer"
    assert body["avatar_frame"] == "none"
    assert body["settings"] == {
        "phone_number": "",
        "phone_verified": False,
        "sms_enabled": False,
        "time_zone": "UTC",
        "quiet_hours_start": None,
        "quiet_hours_end": None,
    }


def test_patch_profile_fields(client, me_user):
    response = client.patch(
        ME,
        {"tagline": "Builder", "bio": "I make things.", "avatar_url": "https://img.example.com/a.png"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    me_user.refresh_from_db()
    assert (me_user.tagline, me_user.bio, me_user.avatar_url) == (
        "Builder",
        "I make things.",
        "https://img.example.com/a.png",
    )
    assert response.json()["tagline"] == "Builder"


def test_patch_email_lowercases_and_checks_uniqueness_case_insensitively(client, me_user):
    UserFactory(email="taken@example.com")
    clash = client.patch(ME, {"email": "Taken@Example.com"}, format="json")
    assert clash.status_code == 400
    assert clash.json()["code"] == "email_taken"
    assert list(clash.json()["fields"]) == ["email"]

    ok = client.patch(ME, {"email": "New.Address@Example.com"}, format="json")
    assert ok.status_code == 200
    me_user.refresh_from_db()
    assert me_user.email == "new.address@example.com"
    # Re-sending one's own address (in another case) is not a clash.
    assert client.patch(ME, {"email": "NEW.address@example.com"}, format="json").status_code == 200


@pytest.mark.parametrize(
    "field",
    [
        "total_points",
        "helped_count",
        "credit_balance",
        "followers_count",
        "following_count",
        "role",
        "avatar_frame",
        "id",
        "username",
        "date_joined",
        "unlocks",
        "reputation",
    ],
)
def test_read_only_fields_are_a_400_naming_the_field(client, me_user, field):
    response = client.patch(ME, {field: "admin" if field == "role" else 999, "tagline": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["fields"] == {field: ["This field is read-only."]}
    me_user.refresh_from_db()
    assert me_user.total_points == 12 and me_user.role == "explorer" and me_user.tagline == "Hi"


def test_unknown_field_is_a_400(client):
    response = client.patch(ME, {"is_staff": True}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"is_staff": ["Unknown field."]}


def test_patch_settings(client, me_user):
    response = client.patch(
        ME,
        {
            "settings": {
                "time_zone": "Europe/Paris",
                "quiet_hours_start": "22:00",
                "quiet_hours_end": "07:30",
                "sms_enabled": True,
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    settings = response.json()["settings"]
    assert settings["time_zone"] == "Europe/Paris"
    assert settings["quiet_hours_start"] == "22:00"
    assert settings["quiet_hours_end"] == "07:30"
    assert settings["sms_enabled"] is True
    me_user.refresh_from_db()
    assert me_user.quiet_hours_start == dt.time(22, 0)
    assert me_user.quiet_hours_end == dt.time(7, 30)

    cleared = client.patch(ME, {"settings": {"quiet_hours_start": None, "quiet_hours_end": None}}, format="json")
    assert cleared.status_code == 200
    me_user.refresh_from_db()
    assert me_user.quiet_hours_start is None and me_user.quiet_hours_end is None


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../../etc/passwd", "", "x" * 100, "utc "])
def test_bad_time_zone_names_time_zone(client, tz):
    response = client.patch(ME, {"settings": {"time_zone": tz}}, format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()["fields"]["settings"]


def test_quiet_hours_both_or_neither(client, me_user):
    response = client.patch(ME, {"settings": {"quiet_hours_start": "22:00"}}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "quiet_hours_incomplete"
    assert list(response.json()["fields"]) == ["quiet_hours_end"]

    assert (
        client.patch(
            ME, {"settings": {"quiet_hours_start": "22:00", "quiet_hours_end": "06:00"}}, format="json"
        ).status_code
        == 200
    )
    # Changing only one side of an existing pair is fine: the result still has both.
    assert client.patch(ME, {"settings": {"quiet_hours_end": "08:00"}}, format="json").status_code == 200
    me_user.refresh_from_db()
    assert (me_user.quiet_hours_start, me_user.quiet_hours_end) == (dt.time(22), dt.time(8))
    # Clearing only one side is not.
    one = client.patch(ME, {"settings": {"quiet_hours_end": None}}, format="json")
    assert one.status_code == 400
    assert list(one.json()["fields"]) == ["quiet_hours_end"]


@pytest.mark.parametrize("value", ["22:00:00", "10pm", "25:00", "7:3", 2200])
def test_quiet_hours_format_is_hh_mm(client, value):
    response = client.patch(ME, {"settings": {"quiet_hours_start": value, "quiet_hours_end": "06:00"}}, format="json")
    assert response.status_code == 400
    assert "quiet_hours_start" in response.json()["fields"]["settings"]


def test_equal_quiet_hours_rejected(client):
    response = client.patch(ME, {"settings": {"quiet_hours_start": "06:00", "quiet_hours_end": "06:00"}}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "quiet_hours_empty"


@pytest.mark.parametrize("phone", ["4155550123", "+0123456789", "+1 415 555 0123", "+1234", "+1" + "2" * 20])
def test_phone_number_must_be_e164(client, phone):
    response = client.patch(ME, {"settings": {"phone_number": phone}}, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()["fields"]["settings"]


def test_changing_phone_clears_verification(client, me_user):
    User.objects.filter(pk=me_user.pk).update(phone_number="+14155550123", phone_verified_at=timezone.now())
    assert client.get(ME).json()["settings"]["phone_verified"] is True

    # Same number again: still verified.
    same = client.patch(ME, {"settings": {"phone_number": "+14155550123"}}, format="json")
    assert same.json()["settings"]["phone_verified"] is True

    changed = client.patch(ME, {"settings": {"phone_number": "+447700900123"}}, format="json")
    assert changed.status_code == 200
    assert changed.json()["settings"] == {
        **changed.json()["settings"],
        "phone_number": "+447700900123",
        "phone_verified": False,
    }
    me_user.refresh_from_db()
    assert me_user.phone_verified_at is None


def test_phone_verified_is_read_only(client):
    response = client.patch(ME, {"settings": {"phone_verified": True}}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"settings": {"phone_verified": ["This field is read-only."]}}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"tagline": "x" * 201}, "tagline"),
        ({"bio": "x" * 5001}, "bio"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"email": "nope"}, "email"),
        ({"settings": "not-an-object"}, "settings"),
        ({"settings": {"sms_enabled": "maybe"}}, "settings"),
    ],
)
def test_invalid_values_name_the_field(client, payload, field):
    response = client.patch(ME, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_put_is_not_allowed(client):
    response = client.put(ME, {"tagline": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_empty_patch_changes_nothing(client, me_user):
    before = client.get(ME).json()
    response = client.patch(ME, {}, format="json")
    assert response.status_code == 200
    assert response.json() == before
