"""A broker outage with real processes: a Celery worker with beat on a redis-server of the test's
own, which the test stops and restarts (the machine's Redis and PostgreSQL are never touched).

- A notification that needs an SMS is created through the API while Redis is down: the request is
  fast, the work waits in the outbox, and once Redis is back the worker (the same process, never
  exited) sends the SMS exactly once.
- Redis restarts while the worker holds the SMS task's countdown (an unacknowledged message: the
  case that used to kill the worker with AttributeError 'hostname'): the worker reconnects, and the
  message Redis lost is published again from the outbox and sent once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from core.models import OutboxTask
from notifications.models import Notification, SmsMessage
from tests.conftest import client_for
from tests.core.test_outbox import use_broker
from tests.factories import OfferFactory, UserFactory
from tests.fakes.sms import ACCOUNT_SID, AUTH_TOKEN, _no_one_online, fake_twilio, phone_user  # noqa: F401
from tests.fakes.twilio_api import FakeTwilio
from tests.procs import RedisServer, database_url_of, service_env, start_celery, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FAST = 1.0  # s: a request while the broker is down


class Worker:
    def __init__(self, proc, log: Path) -> None:
        self.proc, self.log = proc, log

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def connects(self) -> int:
        return len(re.findall(r"\bConnected to \S+://", self.text()))

    def alive(self) -> bool:
        return self.proc.poll() is None


@pytest.fixture
def broker(tmp_path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path) as server:
        before = app.conf.broker_url
        use_broker(server.url)  # this process publishes to the test's Redis too
        try:
            yield server
        finally:
            use_broker(before)


@pytest.fixture
def worker(broker, fake_twilio: FakeTwilio, settings, tmp_path) -> Iterator[Worker]:
    settings.NOTIFICATIONS = {"SMS_DELAY_SECONDS": 1}
    settings.SITE_URL = "https://collective.example"
    env = service_env(
        database_url=database_url_of(connection.settings_dict),
        redis_url=broker.url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake_twilio.base_url,
        SITE_URL="https://collective.example",
        SMS_BACKEND="",
        NOTIFICATIONS_SMS_DELAY_SECONDS="1",
        OUTBOX_FLUSH_SECONDS="1",
        OUTBOX_GRACE_SECONDS="1",
    )
    log = tmp_path / "worker.log"
    proc = start_celery(env, log, beat=True)
    try:
        yield Worker(proc, log)
    finally:
        stop(proc)
        print(log.read_text(errors="replace")[-6000:])


def _connect(offer, username: str):
    started = time.monotonic()
    resp = client_for(UserFactory(username=username)).post(
        "/api/v1/connections/", {"offer": offer.pk, "initial_message": "Hi!"}
    )
    return resp, time.monotonic() - started


def _sent(note: Notification) -> SmsMessage | None:
    return SmsMessage.objects.filter(notification=note, status="sent").first()


def test_a_notification_made_while_redis_is_down_is_texted_once_when_it_is_back(worker, broker, fake_twilio):
    owner = phone_user(username="coach")
    offer = OfferFactory(user=owner, title="Logo design review")
    pid = worker.proc.pid
    # With Redis up: the same path works (its owner has no phone: the worker decides not to text),
    # and the request code is warm, so the timing below is the outage's, not a first request's.
    warm, up_elapsed = _connect(OfferFactory(user=UserFactory()), "warmup")
    assert warm.status_code == 201
    wait_for(lambda: not OutboxTask.objects.exists(), 30, "the worker to run the warm-up's task")

    broker.stop()
    resp, elapsed = _connect(offer, "sarah")
    assert resp.status_code == 201, resp.data
    assert elapsed < FAST, f"the request took {elapsed:.3f} s with the broker down"
    note = Notification.objects.get(recipient=owner)
    (row,) = OutboxTask.objects.all()
    assert (row.task, row.args, row.enqueued_at) == ("messaging.tasks.notification_sms", [note.pk], None)
    time.sleep(3)  # the outage goes on for a while: nothing is sent, and the worker stays up
    assert worker.alive() and fake_twilio.messages() == []

    connects = worker.connects()
    broker.start()
    back = time.monotonic()
    wait_for(lambda: worker.connects() > connects, 40, "the worker to reconnect")
    reconnected = time.monotonic() - back
    sms = wait_for(lambda: _sent(note), 60, "the SMS held by the outage")
    delivered = time.monotonic() - back
    time.sleep(3)  # time for a duplicate to show, if there were one
    assert worker.alive() and worker.proc.pid == pid
    (req,) = fake_twilio.messages()
    assert req.form["To"] == owner.phone_number and req.form["Body"] == sms.body
    assert SmsMessage.objects.filter(notification=note).count() == 1
    assert not OutboxTask.objects.exists()  # done: the worker deleted the row
    print(
        f"MEASURED request {elapsed:.3f} s (Redis up: {up_elapsed:.3f} s); reconnect {reconnected:.1f} s; "
        f"SMS {delivered:.1f} s after Redis was back"
    )

    # And the worker goes on working after the outage.
    other = phone_user(username="other")
    resp, _ = _connect(OfferFactory(user=other), "maya")
    wait_for(lambda: _sent(Notification.objects.get(recipient=other)), 30, "an SMS after the outage")
    assert len(fake_twilio.messages()) == 2


def test_a_redis_restart_while_the_worker_holds_a_countdown_loses_nothing(worker, broker, fake_twilio, settings):
    # A countdown long enough that the restart surely comes while the worker holds the message.
    settings.NOTIFICATIONS = {"SMS_DELAY_SECONDS": 4}
    owner = phone_user(username="coach")
    offer = OfferFactory(user=owner)
    pid = worker.proc.pid

    resp, _ = _connect(offer, "sarah")
    assert resp.status_code == 201
    note = Notification.objects.get(recipient=owner)
    wait_for(
        lambda: "notification_sms" in worker.text() and "received" in worker.text(), 10, "the worker to hold the task"
    )
    assert OutboxTask.objects.get().enqueued_at is not None
    connects = worker.connects()
    broker.restart(down_for=1.0)  # SIGKILL: everything in Redis is gone, the held message included
    back = time.monotonic()
    wait_for(lambda: worker.connects() > connects, 40, "the worker to reconnect")
    reconnected = time.monotonic() - back
    wait_for(lambda: _sent(note), 60, "the SMS whose message Redis lost")
    delivered = time.monotonic() - back
    time.sleep(5)  # past the original countdown and a flush or two: still one
    assert worker.alive() and worker.proc.pid == pid, worker.text()[-3000:]
    assert "Unrecoverable error" not in worker.text()
    assert len(fake_twilio.messages()) == 1
    assert SmsMessage.objects.filter(notification=note).count() == 1
    assert not OutboxTask.objects.exists()
    print(f"MEASURED restart: reconnect {reconnected:.1f} s; SMS {delivered:.1f} s after Redis was back")
