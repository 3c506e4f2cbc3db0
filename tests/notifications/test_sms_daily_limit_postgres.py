"""The daily limit under parallel tasks, on PostgreSQL with real threads: of 12 tasks for one
user's 12 notifications racing together, exactly 5 send."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from notifications import texts
from notifications.models import Notification, SmsMessage
from notifications.services import notification_create
from notifications.tasks import notification_sms
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, phone_user, sms_outbox  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fn, args_list: list) -> list:
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)
    errors: list[BaseException] = []

    def run(i: int, args) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = fn(*args)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def test_parallel_tasks_never_pass_the_daily_limit(sms_outbox):
    user = phone_user()
    actor = UserFactory()
    notes = [
        notification_create(
            recipient=user,
            actor=actor,
            kind="connection_request",
            texts=texts.connection_request(actor=actor.username, subject="Offer", message="hi", connection_id=i),
        )
        for i in range(12)
    ]
    results = _race(lambda nid: notification_sms.apply(args=[nid]).get(), [(n.pk,) for n in notes])
    assert Counter(r["action"] for r in results) == {"send": 5, "skip": 7}
    assert {r["reason"] for r in results if r["action"] == "skip"} == {"daily_limit"}
    assert SmsMessage.objects.filter(user=user, status="sent").count() == 5
    assert len(sms_outbox) == 5
    assert Notification.objects.filter(sms_reason="daily_limit").count() == 7


def test_parallel_duplicates_of_one_task_send_once(sms_outbox):
    user = phone_user()
    actor = UserFactory()
    note = notification_create(
        recipient=user,
        actor=actor,
        kind="connection_request",
        texts=texts.connection_request(actor=actor.username, subject=None, message="hi", connection_id=1),
    )
    results = _race(lambda nid: notification_sms.apply(args=[nid]).get(), [(note.pk,)] * 8)
    assert len(sms_outbox) == 1
    assert SmsMessage.objects.count() == 1
    assert {r["sms"] for r in results} == {SmsMessage.objects.get().pk}
