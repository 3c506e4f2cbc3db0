"""Phone verification: a 6-digit code by SMS, hashed, expiring, with limited attempts and a
throttled resend; confirming verifies the number and turns SMS on."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from collective.events import PhoneVerificationRequested
from collective.models import PhoneVerification
from notifications.models import SmsMessage, SmsOptOut
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, eager_celery, fake_twilio, sms_outbox  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
START = "/api/v1/me/phone/verify/start/"
CONFIRM = "/api/v1/me/phone/verify/confirm/"


@pytest.fixture
def user(db):
    return UserFactory(phone_number="+14155550123")


def _start(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(START)


def _code(body: str) -> str:
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_start_sends_a_code_and_confirm_verifies_and_turns_sms_on(user, sms_outbox, django_capture_on_commit_callbacks):
    client = client_for(user)
    resp = _start(client, django_capture_on_commit_callbacks)
    assert resp.status_code == 202
    assert resp.data == {"phone_number": "+14155550123", "expires_in": 600, "resend_in": 60}
    (sms,) = sms_outbox
    assert sms["to"] == "+14155550123"
    code = _code(sms["body"])
    assert sms["body"] == f"Your Collective verification code is {code}. It expires in 10 minutes."
    verification = PhoneVerification.objects.get()
    assert code not in verification.code_hash and len(verification.code_hash) == 64
    assert SmsMessage.objects.get().purpose == "verification"

    resp = client.post(CONFIRM, {"code": code})
    assert resp.status_code == 200
    assert resp.data == {"phone_number": "+14155550123", "phone_verified": True, "sms_enabled": True}
    user.refresh_from_db()
    assert user.phone_verified_at is not None and user.sms_enabled is True
    assert client.get("/api/v1/me/").data["settings"]["phone_verified"] is True
    # Verified: a second start is a conflict, a second confirm finds no code.
    assert client.post(START).status_code == 409
    assert client.post(CONFIRM, {"code": code}).data["code"] == "no_code"


def test_the_code_goes_out_through_twilio(user, fake_twilio, django_capture_on_commit_callbacks):
    _start(client_for(user), django_capture_on_commit_callbacks)
    (req,) = fake_twilio.messages()
    assert req.form["To"] == "+14155550123" and "verification code is" in req.form["Body"]
    assert client_for(user).post(CONFIRM, {"code": _code(req.form["Body"])}).status_code == 200


def test_no_phone_number(sms_outbox):
    resp = client_for(UserFactory()).post(START)
    assert resp.status_code == 400 and resp.data["code"] == "phone_missing" and "phone_number" in resp.data["fields"]


def test_wrong_codes_count_and_lock_the_code(user, sms_outbox, django_capture_on_commit_callbacks):
    client = client_for(user)
    _start(client, django_capture_on_commit_callbacks)
    code = _code(sms_outbox[0]["body"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1, 0):
        resp = client.post(CONFIRM, {"code": wrong})
        assert resp.status_code == 400 and resp.data["code"] == "code_invalid"
        assert f"{left} attempt(s) left" in resp.data["detail"]
    resp = client.post(CONFIRM, {"code": code})
    assert resp.status_code == 400 and resp.data["code"] == "too_many_attempts"
    user.refresh_from_db()
    assert user.phone_verified_at is None


def test_expired_code(user, sms_outbox, django_capture_on_commit_callbacks):
    client = client_for(user)
    _start(client, django_capture_on_commit_callbacks)
    PhoneVerification.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    resp = client.post(CONFIRM, {"code": _code(sms_outbox[0]["body"])})
    assert resp.status_code == 400 and resp.data["code"] == "code_expired"


def test_changing_the_number_voids_the_code(user, sms_outbox, django_capture_on_commit_callbacks):
    client = client_for(user)
    _start(client, django_capture_on_commit_callbacks)
    resp = client.patch("/api/v1/me/", {"settings": {"phone_number": "+14155550999"}}, format="json")
    assert resp.status_code == 200, resp.data
    resp = client.post(CONFIRM, {"code": _code(sms_outbox[0]["body"])})
    assert resp.status_code == 400 and resp.data["code"] == "phone_changed"


def test_resend_is_throttled_and_only_the_latest_code_works(user, sms_outbox, django_capture_on_commit_callbacks):
    client = client_for(user)
    _start(client, django_capture_on_commit_callbacks)
    resp = client.post(START)
    assert resp.status_code == 429 and resp.data["code"] == "resend_too_soon"
    assert 1 <= int(resp["Retry-After"]) <= 60
    # A minute later a new code may be sent; the first one dies.
    PhoneVerification.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))
    assert _start(client, django_capture_on_commit_callbacks).status_code == 202
    first, second = _code(sms_outbox[0]["body"]), _code(sms_outbox[1]["body"])
    if first != second:
        assert client.post(CONFIRM, {"code": first}).data["code"] == "code_invalid"
    assert client.post(CONFIRM, {"code": second}).status_code == 200


def test_at_most_five_codes_an_hour(user, sms_outbox):
    now = timezone.now()
    for minutes in (50, 40, 30, 20, 10):
        PhoneVerification.objects.create(
            user=user,
            phone_number=user.phone_number,
            code_hash="x" * 64,
            created_at=now - dt.timedelta(minutes=minutes),
            expires_at=now,
        )
    resp = client_for(user).post(START)
    assert resp.status_code == 429 and resp.data["code"] == "too_many_codes"
    assert 9 * 60 <= int(resp["Retry-After"]) <= 10 * 60 + 1


def test_an_opted_out_number_cannot_be_verified(user, sms_outbox):
    SmsOptOut.objects.create(phone_number=user.phone_number)
    resp = client_for(user).post(START)
    assert resp.status_code == 400 and resp.data["code"] == "phone_opted_out"
    assert sms_outbox == []


def test_a_refused_number_issues_no_code(user, sms_outbox):
    # The opt-out is the SMS subscriber's answer to PhoneVerificationRequested, in the
    # verification's transaction: the code it refused leaves no row behind.
    SmsOptOut.objects.create(phone_number=user.phone_number)
    assert client_for(user).post(START).status_code == 400
    assert not PhoneVerification.objects.exists() and not SmsMessage.objects.exists()


def test_the_code_is_not_in_the_events_repr(user):
    event = PhoneVerificationRequested(
        user_id=user.pk, verification_id=1, phone_number=user.phone_number, code="424242", ttl_seconds=600, user=user
    )
    assert "424242" not in repr(event) and user.phone_number in repr(event)


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "12345"}, {"code": "abcdef"}, {"code": ["123456"]}])
def test_malformed_codes_are_400(user, body):
    resp = client_for(user).post(CONFIRM, body, format="json")
    assert resp.status_code == 400 and "code" in resp.data.get("fields", {})


def test_confirm_without_a_start(user):
    resp = client_for(user).post(CONFIRM, {"code": "123456"})
    assert resp.status_code == 400 and resp.data["code"] == "no_code"
