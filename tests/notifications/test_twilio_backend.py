"""The Twilio backend through the real `twilio` client against a local fake of Twilio's API:
what Twilio receives, retries with backoff on 5xx/429/network errors, permanent errors recorded
and not retried, and never a second SMS for one notification."""

from __future__ import annotations

import socket

import pytest

from notifications import texts
from notifications.links import tracked_sms_text
from notifications.models import Notification, SmsMessage
from notifications.services import notification_create
from notifications.sms import SmsPermanentError, SmsTransientError, backend_path
from notifications.sms.twilio import TwilioBackend
from notifications.tasks import notification_sms
from tests.factories import UserFactory
from tests.fakes.sms import ACCOUNT_SID, AUTH_TOKEN, _no_one_online, eager_celery, fake_twilio, phone_user  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = "https://collective.example"
    settings.NOTIFICATIONS = {"SMS_MAX_RETRIES": 2, "SMS_RETRY_BACKOFF_SECONDS": 1}


def _notify(user) -> Notification:
    actor = UserFactory(username=f"sarah{UserFactory._meta.model.objects.count()}")
    words = texts.connection_request(actor=actor.username, subject="Logo review", message="hi", connection_id=42)
    return notification_create(recipient=user, actor=actor, kind="connection_request", texts=words)


def test_backend_selection(settings, fake_twilio):
    assert backend_path() == "notifications.sms.twilio.TwilioBackend"
    settings.TWILIO_FROM_NUMBER = ""
    assert backend_path() == "notifications.sms.console.ConsoleBackend"  # no sender: not configured
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    assert backend_path() == "notifications.sms.twilio.TwilioBackend"
    settings.TWILIO_AUTH_TOKEN = ""
    assert backend_path() == "notifications.sms.console.ConsoleBackend"


def test_a_notification_sms_reaches_twilio_as_the_real_client_sends_it(fake_twilio):
    user = phone_user()
    note = _notify(user)
    result = notification_sms.apply(args=[note.pk]).get()
    assert result["status"] == "sent"
    (req,) = fake_twilio.messages()
    assert req.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert req.user_agent.startswith("twilio-python/")
    assert req.form == {
        "To": user.phone_number,
        "From": "+15005550006",
        "Body": tracked_sms_text(note),  # the page's link as a tracked one (notifications/links.py)
        "StatusCallback": "https://collective.example/api/v1/sms/status/",
    }
    sms = SmsMessage.objects.get()
    assert sms.provider == "twilio" and sms.provider_sid.startswith("SM") and sms.provider_status == "queued"
    assert sms.status == "sent" and sms.attempts == 1 and sms.sent_at is not None


def test_messaging_service_sid_is_used_as_the_sender(settings, fake_twilio):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "a" * 32
    TwilioBackend().send(to="+14155550100", body="hello")
    (req,) = fake_twilio.messages()
    assert req.form["MessagingServiceSid"] == "MG" + "a" * 32 and "From" not in req.form


@pytest.mark.parametrize("status, code", [(500, 20500), (503, 20503), (429, 20429)])
def test_transient_errors_are_retried_and_send_once(fake_twilio, status, code):
    fake_twilio.fail_next(status, code)
    note = _notify(phone_user())
    result = notification_sms.apply(args=[note.pk]).get()
    assert result["status"] == "sent"
    assert len(fake_twilio.messages()) == 2  # the failure, then the one that went through
    sms = SmsMessage.objects.get()
    assert sms.status == "sent" and sms.attempts == 2 and sms.error_code == ""


def test_retries_give_up_and_record_the_failure(fake_twilio):
    fake_twilio.fail_next(500, 20500, times=10)
    note = _notify(phone_user())
    assert notification_sms.apply(args=[note.pk]).get()["status"] == "failed"
    assert len(fake_twilio.messages()) == 3  # the first try and SMS_MAX_RETRIES=2 retries
    sms = SmsMessage.objects.get()
    assert sms.status == "failed" and sms.error_code == "20500" and "gave up after 3 attempts" in sms.error_message


def test_an_invalid_number_is_recorded_and_not_retried(fake_twilio):
    user = phone_user()
    note = _notify(user)
    fake_twilio.fail_next(400, 21211)
    assert notification_sms.apply(args=[note.pk]).get()["status"] == "failed"
    assert len(fake_twilio.messages()) == 1
    sms = SmsMessage.objects.get()
    assert (sms.status, sms.error_code, sms.attempts) == ("failed", "21211", 1)
    assert "21211" in sms.error_message
    # A repeat of the task does not try again either.
    notification_sms.apply(args=[note.pk])
    assert len(fake_twilio.messages()) == 1


def test_network_errors_are_transient(settings, fake_twilio):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(SmsTransientError) as err:
        TwilioBackend().send(to="+14155550100", body="hello")
    assert err.value.code == "network"
    note = _notify(phone_user())
    assert notification_sms.apply(args=[note.pk]).get()["status"] == "failed"
    sms = SmsMessage.objects.get()
    assert sms.attempts == 3 and sms.error_code == "network"


def test_wrong_credentials_are_permanent(settings, fake_twilio):
    settings.TWILIO_AUTH_TOKEN = "0" * 32
    with pytest.raises(SmsPermanentError) as err:
        TwilioBackend().send(to="+14155550100", body="hello")
    assert err.value.code == "20003" and err.value.status == 401


def test_repeated_tasks_call_twilio_once(fake_twilio):
    note = _notify(phone_user())
    for _ in range(3):
        notification_sms.apply(args=[note.pk])
    assert len(fake_twilio.messages()) == 1 and SmsMessage.objects.count() == 1
