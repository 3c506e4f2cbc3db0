"""The outbox on the embedded default (SQLite, eager Celery) and its broker-mode bookkeeping with
an in-process broker (`memory://`) or an unreachable one (a closed port)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app
from core.models import OutboxTask
from core.outbox import enqueue_on_commit, publish
from core.tasks import outbox_flush
from notifications.delivery import sms_verification_record
from notifications.models import SmsMessage
from notifications.tasks import sms_send
from tests.fakes.sms import eager_celery, phone_user, sms_outbox  # noqa: F401
from tests.procs import free_port

pytestmark = pytest.mark.django_db


def _sms(body: str = "code 123456") -> SmsMessage:
    user = phone_user()
    return sms_verification_record(user=user, verification_id=user.pk, body=body)


def test_eager_runs_the_task_once_on_commit_and_records_nothing(
    eager_celery, sms_outbox, django_capture_on_commit_callbacks
):
    assert app.conf.task_always_eager
    sms = _sms()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            assert enqueue_on_commit(sms_send, args=[sms.pk]) is None
            assert sms_outbox == []  # not before the commit
    assert len(callbacks) == 1
    assert [m["body"] for m in sms_outbox] == ["code 123456"]
    assert SmsMessage.objects.get(pk=sms.pk).status == "sent"
    assert not OutboxTask.objects.exists()


def test_eager_rollback_queues_nothing(eager_celery, sms_outbox, django_capture_on_commit_callbacks):
    sms = _sms()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                enqueue_on_commit(sms_send, args=[sms.pk])
                raise RuntimeError("the change fails")
    assert callbacks == [] and sms_outbox == []
    assert SmsMessage.objects.get(pk=sms.pk).status == "queued"


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker (its connection and producer pools are
    made for the old one, so they go too)."""
    from kombu import pools

    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's producer pools are kept per broker URL, process-wide
    app.conf.broker_url = url


@pytest.fixture
def broker_mode():
    """Broker mode in this process: tasks are published, not run, to an in-process broker
    (memory://), also when REDIS_URL would send them to a real one."""
    eager, url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    use_broker("memory://")
    yield
    use_broker(url)
    app.conf.task_always_eager = eager


@pytest.fixture
def dead_broker(broker_mode):
    """A broker nobody listens on: every connect is refused."""
    use_broker(f"redis://127.0.0.1:{free_port()}/0")
    yield


def test_with_a_broker_the_row_is_written_in_the_transaction_and_published_on_commit(
    broker_mode, django_capture_on_commit_callbacks
):
    sms = _sms()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            row = enqueue_on_commit(sms_send, args=[sms.pk], countdown=30)
            assert OutboxTask.objects.get(pk=row.pk).enqueued_at is None
    row = OutboxTask.objects.get(pk=row.pk)
    assert (row.task, row.args, row.kwargs, row.attempts) == ("messaging.tasks.sms_send", [sms.pk], {}, 1)
    assert row.enqueued_at is not None
    assert dt.timedelta(seconds=29) < row.not_before - row.created_at <= dt.timedelta(seconds=30)
    # Published, not run here: the worker side runs it.
    assert SmsMessage.objects.get(pk=sms.pk).status == "queued"


def test_with_a_broker_a_rollback_leaves_no_row(broker_mode, django_capture_on_commit_callbacks):
    sms = _sms()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                enqueue_on_commit(sms_send, args=[sms.pk])
                raise RuntimeError("the change fails")
    assert callbacks == [] and not OutboxTask.objects.exists()


def test_a_broker_that_is_down_fails_the_publish_fast_and_keeps_the_row(
    dead_broker, django_capture_on_commit_callbacks, caplog
):
    sms = _sms()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            row = enqueue_on_commit(sms_send, args=[sms.pk])
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"the commit took {elapsed:.3f} s with the broker down"
    row = OutboxTask.objects.get(pk=row.pk)
    assert (row.enqueued_at, row.attempts) == (None, 0)
    warnings = [r for r in caplog.records if r.name == "core.outbox" and r.levelname == "WARNING"]
    assert len(warnings) == 1 and f"#{row.pk} not published" in warnings[0].getMessage()


def test_the_flush_publishes_rows_the_broker_never_got_once_their_grace_is_over(broker_mode, settings):
    settings.OUTBOX = {**settings.OUTBOX, "GRACE_SECONDS": 30, "REDELIVER_SECONDS": 900}
    now = timezone.now()
    old = OutboxTask.objects.create(
        task="messaging.tasks.sms_send",
        args=[1],
        not_before=now - dt.timedelta(minutes=1),
        created_at=now - dt.timedelta(minutes=1),
    )
    fresh = OutboxTask.objects.create(task="messaging.tasks.sms_send", args=[2], not_before=now, created_at=now)
    sent_recently = OutboxTask.objects.create(
        task="messaging.tasks.sms_send",
        args=[3],
        created_at=now - dt.timedelta(minutes=5),
        not_before=now - dt.timedelta(minutes=5),
        enqueued_at=now - dt.timedelta(minutes=5),
        attempts=1,
    )
    sent_long_ago = OutboxTask.objects.create(
        task="messaging.tasks.sms_send",
        args=[4],
        created_at=now - dt.timedelta(hours=1),
        not_before=now - dt.timedelta(hours=1),
        enqueued_at=now - dt.timedelta(hours=1),
        attempts=1,
    )
    assert outbox_flush.apply().get() == {"published": 2, "failed": 0, "given_up": 0}
    attempts = dict(OutboxTask.objects.values_list("pk", "attempts"))
    assert attempts == {old.pk: 1, fresh.pk: 0, sent_recently.pk: 1, sent_long_ago.pk: 2}


def test_the_flush_gives_up_on_rows_published_too_often_or_too_old(broker_mode, settings, caplog):
    settings.OUTBOX = {**settings.OUTBOX, "MAX_ATTEMPTS": 3, "MAX_AGE_SECONDS": 3600}
    now = timezone.now()
    OutboxTask.objects.create(task="messaging.tasks.sms_send", args=[1], not_before=now, attempts=3, enqueued_at=now)
    OutboxTask.objects.create(
        task="messaging.tasks.sms_send",
        args=[2],
        not_before=now - dt.timedelta(hours=2),
        created_at=now - dt.timedelta(hours=2),
    )
    assert outbox_flush.apply().get()["given_up"] == 2
    assert not OutboxTask.objects.exists()
    assert len([r for r in caplog.records if r.levelname == "ERROR" and "giving up" in r.getMessage()]) == 2


def test_a_successful_publish_is_recorded_on_the_row(broker_mode):
    row = OutboxTask.objects.create(task="messaging.tasks.sms_send", args=[1], not_before=timezone.now())
    assert publish(row) is True
    row.refresh_from_db()
    assert row.attempts == 1 and row.enqueued_at is not None
