"""The SMS path end to end with a REAL Celery worker process over Redis (not eager mode):
a connection made through the API to an offline user with a verified phone queues the task on
commit; the worker (another process, same test database) re-checks and sends through the real
twilio client to the local fake; a provider 500 is retried by the worker with backoff; a user
who comes back online before the delay is not texted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from notifications.links import tracked_sms_text
from notifications.models import Notification, SmsMessage
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.fakes.sms import ACCOUNT_SID, AUTH_TOKEN, _no_one_online, fake_twilio, go_online, phone_user  # noqa: F401
from tests.fakes.twilio_api import FakeTwilio

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(transactional_db, fake_twilio: FakeTwilio, settings, tmp_path) -> Iterator[subprocess.Popen]:
    from config.celery import app

    settings.NOTIFICATIONS = {"SMS_DELAY_SECONDS": 1}
    settings.SITE_URL = "https://collective.example"
    app.control.purge()  # nothing left over from an earlier run reaches this worker
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # The worker uses the test database itself (this test commits for real).
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "SITE_URL": "https://collective.example",
        "NOTIFICATIONS_SMS_RETRY_BACKOFF_SECONDS": "1",
        "SMS_BACKEND": "",
    }
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: proc.poll() is not None or "ready" in (tmp_path / "worker.log").read_text(), 60, "worker ready")
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        print((tmp_path / "worker.log").read_text()[-4000:])


def test_a_real_worker_sends_retries_and_respects_presence(worker, fake_twilio, settings):
    assert not django_settings.CELERY_TASK_ALWAYS_EAGER
    owner = phone_user(username="coach")
    offer = OfferFactory(user=owner, title="Logo design review")
    initiator = UserFactory(username="sarah")

    resp = client_for(initiator).post("/api/v1/connections/", {"offer": offer.pk, "initial_message": "Hi!"})
    assert resp.status_code == 201, resp.data
    note = Notification.objects.get(recipient=owner)
    sms = _wait(lambda: SmsMessage.objects.filter(notification=note, status="sent").first(), what="the SMS")
    (req,) = fake_twilio.messages()
    expected = (
        "@sarah wants to connect about your Logo design review. "
        f"Reply in app: https://collective.example/connections/{resp.data['id']}"
    )
    # The notification keeps the page's link; what is sent carries it as a tracked /n/<token> link
    # (notifications/links.py), which redirects to that page.
    assert note.sms_text == expected
    sent = tracked_sms_text(note)
    assert sent.startswith(expected.rsplit("https://", 1)[0] + "https://collective.example/n/")
    assert req.form["Body"] == sent and req.form["To"] == owner.phone_number
    assert sms.body == sent and sms.provider == "twilio" and sms.provider_sid.startswith("SM")
    note.refresh_from_db()
    assert note.sms_state == "sent"

    # A provider 500: the worker retries (backoff 1 s) and the SMS goes out once.
    fake_twilio.fail_next(500, 20500)
    resp = client_for(owner).patch(f"/api/v1/connections/{resp.data['id']}/", {"status": "accepted"})
    assert resp.status_code == 200
    # sarah has no verified phone: the worker decides so, and texts nobody.
    accepted = Notification.objects.get(recipient=initiator, kind="connection_accepted")
    _wait(lambda: Notification.objects.get(pk=accepted.pk).sms_state == "skipped", what="the skip")
    assert Notification.objects.get(pk=accepted.pk).sms_reason == "no_verified_phone"

    helped = phone_user(username="helped")
    resp = client_for(helped).post("/api/v1/connections/", {"offer": offer.pk, "initial_message": "Me too"})
    retried = _wait(
        lambda: SmsMessage.objects.filter(notification__connection_id=resp.data["id"], status="sent").first(),
        what="the retried SMS",
    )
    assert retried.attempts == 2
    bodies = [r.form["Body"] for r in fake_twilio.messages()]
    assert bodies[1] == bodies[2] == retried.body  # the 500, then the one that went through

    # Back online before the delay ran out: the worker checks presence in Redis and sends nothing.
    # (A longer delay here, so that a slow request cannot outrun it.)
    settings.NOTIFICATIONS = {"SMS_DELAY_SECONDS": 5}
    third = phone_user(username="third")
    offer3 = OfferFactory(user=third)
    resp = client_for(helped).post("/api/v1/connections/", {"offer": offer3.pk, "initial_message": "Hello"})
    go_online(third)
    note3 = Notification.objects.get(recipient=third)
    _wait(lambda: Notification.objects.get(pk=note3.pk).sms_state == "skipped", what="the online skip")
    assert Notification.objects.get(pk=note3.pk).sms_reason == "online"
    assert len(fake_twilio.messages()) == 3
