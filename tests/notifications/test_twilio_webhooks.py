"""Twilio's webhooks: status callbacks and inbound STOP/START, each refused (403) without a valid
X-Twilio-Signature. Signatures are computed with Twilio's own RequestValidator."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from notifications import texts
from notifications.models import SmsMessage, SmsOptOut
from notifications.services import notification_create
from notifications.tasks import notification_sms
from tests.factories import UserFactory
from tests.fakes.sms import AUTH_TOKEN, _no_one_online, eager_celery, phone_user, sms_outbox  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
SITE = "https://collective.example"
STATUS = "/api/v1/sms/status/"
INBOUND = "/api/v1/sms/inbound/"


@pytest.fixture(autouse=True)
def _twilio(settings) -> None:
    settings.SITE_URL = SITE
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN


def _post(path: str, params: dict, *, signature: str | None = "sign", url: str | None = None, token: str = AUTH_TOKEN):
    headers = {}
    if signature == "sign":
        signature = RequestValidator(token).compute_signature(url or f"{SITE}{path}", params)
    if signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return Client().post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def _sent_sms(sid: str = "SM" + "1" * 32) -> SmsMessage:
    user = phone_user()
    return SmsMessage.objects.create(
        key=f"k:{sid}",
        purpose="notification",
        user=user,
        to=user.phone_number,
        body="hi",
        status="sent",
        provider="twilio",
        provider_sid=sid,
        provider_status="queued",
    )


def _status(sid: str, status: str, **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": "+14155550100",
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def test_status_callback_updates_the_record():
    sms = _sent_sms()
    resp = _post(STATUS, _status(sms.provider_sid, "sent"))
    assert resp.status_code == 204
    resp = _post(STATUS, _status(sms.provider_sid, "delivered"))
    assert resp.status_code == 204
    sms.refresh_from_db()
    assert (sms.status, sms.provider_status) == ("delivered", "delivered")
    # A late "sent" (callbacks can arrive out of order) does not move it back.
    _post(STATUS, _status(sms.provider_sid, "sent"))
    sms.refresh_from_db()
    assert sms.status == "delivered"


def test_status_callback_records_a_delivery_failure():
    sms = _sent_sms()
    _post(STATUS, _status(sms.provider_sid, "undelivered", ErrorCode="30003", ErrorMessage="Unreachable handset"))
    sms.refresh_from_db()
    assert (sms.status, sms.error_code, sms.error_message) == ("undelivered", "30003", "Unreachable handset")


def test_unknown_sid_is_acknowledged_and_changes_nothing():
    sms = _sent_sms()
    assert _post(STATUS, _status("SM" + "9" * 32, "delivered")).status_code == 204
    sms.refresh_from_db()
    assert sms.status == "sent"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signature": None},  # no header
        {"signature": "bm90IGEgc2lnbmF0dXJl"},  # garbage
        {"token": "0" * 32},  # signed with another account's token
        {"url": f"{SITE}/api/v1/sms/other/"},  # signed for another URL
    ],
)
def test_status_callback_without_a_valid_signature_is_403(kwargs):
    sms = _sent_sms()
    resp = _post(STATUS, _status(sms.provider_sid, "delivered"), **kwargs)
    assert resp.status_code == 403 and resp.json()["code"] == "invalid_signature"
    sms.refresh_from_db()
    assert sms.status == "sent"


def test_a_tampered_body_fails_the_signature():
    sms = _sent_sms()
    params = _status(sms.provider_sid, "sent")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{SITE}{STATUS}", params)
    params["MessageStatus"] = "delivered"
    assert _post(STATUS, params, signature=signature).status_code == 403


def test_the_url_django_sees_is_accepted_too():
    sms = _sent_sms()
    assert _post(STATUS, _status(sms.provider_sid, "delivered"), url=f"http://testserver{STATUS}").status_code == 204


def test_without_a_configured_token_everything_is_refused(settings):
    sms = _sent_sms()
    params = _status(sms.provider_sid, "delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{SITE}{STATUS}", params)
    settings.TWILIO_AUTH_TOKEN = ""
    assert _post(STATUS, params, signature=signature).status_code == 403


def _inbound(number: str, body: str) -> dict:
    return {
        "MessageSid": "SM" + "7" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }


def test_stop_opts_out_and_start_opts_back_in(sms_outbox):
    user = phone_user()
    resp = _post(INBOUND, _inbound(user.phone_number, "  stop "))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/xml")
    assert b"<Response></Response>" in resp.content
    user.refresh_from_db()
    assert user.sms_enabled is False
    assert SmsOptOut.objects.filter(phone_number=user.phone_number).exists()
    # Even with SMS switched back on in the app, an opted-out number gets nothing.
    type(user).objects.filter(pk=user.pk).update(sms_enabled=True)
    actor = UserFactory()
    note = notification_create(
        recipient=user,
        actor=actor,
        kind="connection_request",
        texts=texts.connection_request(actor=actor.username, subject=None, message="", connection_id=1),
    )
    assert notification_sms.apply(args=[note.pk]).get()["reason"] == "opted_out"

    assert _post(INBOUND, _inbound(user.phone_number, "START")).status_code == 200
    user.refresh_from_db()
    assert user.sms_enabled is True and not SmsOptOut.objects.exists()


def test_other_replies_change_nothing():
    user = phone_user()
    _post(INBOUND, _inbound(user.phone_number, "stop it please"))
    user.refresh_from_db()
    assert user.sms_enabled is True and not SmsOptOut.objects.exists()


def test_inbound_without_a_valid_signature_is_403():
    user = phone_user()
    assert _post(INBOUND, _inbound(user.phone_number, "STOP"), signature=None).status_code == 403
    assert _post(INBOUND, _inbound(user.phone_number, "STOP"), token="1" * 32).status_code == 403
    user.refresh_from_db()
    assert user.sms_enabled is True and not SmsOptOut.objects.exists()


def test_a_json_body_is_a_4xx_not_a_500():
    resp = Client().post(STATUS, '{"MessageSid": "x"}', content_type="application/json", HTTP_X_TWILIO_SIGNATURE="x")
    assert 400 <= resp.status_code < 500
