"""The domain-event dispatcher (core.events): phases, order, atomicity, robustness, and the
registrations the apps make in their subscribers modules."""

from __future__ import annotations

import logging
from dataclasses import FrozenInstanceError, dataclass

import pytest
from django.db import transaction

from core import events
from core.events import DomainEvent, announce, subscribe, subscribers, unsubscribe


@dataclass(frozen=True)
class Happened(DomainEvent):
    n: int


@dataclass(frozen=True)
class Other(DomainEvent):
    n: int


@pytest.fixture
def registry(monkeypatch):
    """A clean registry per test; the apps' registrations come back afterwards."""
    monkeypatch.setattr(events, "_in_transaction", {})
    monkeypatch.setattr(events, "_on_commit", {})


def test_events_are_frozen():
    with pytest.raises(FrozenInstanceError):
        Happened(1).n = 2  # type: ignore[misc]


def test_announce_without_subscribers_does_nothing(registry):
    announce(Happened(1))


def test_in_transaction_subscribers_run_now_in_registration_order(registry):
    seen = []
    subscribe(Happened, lambda e: seen.append(("a", e.n)))
    subscribe(Happened, lambda e: seen.append(("b", e.n)))
    subscribe(Other, lambda e: seen.append(("other", e.n)))
    announce(Happened(7))
    assert seen == [("a", 7), ("b", 7)]


def test_a_lower_order_runs_first_whatever_the_registration_order(registry):
    seen = []

    def late(e):
        seen.append("late")

    def first(e):
        seen.append("first")

    def second(e):
        seen.append("second")

    def early(e):
        seen.append("early")

    subscribe(Happened, late, order=5)
    subscribe(Happened, first)
    subscribe(Happened, early, order=-1)
    subscribe(Happened, second)
    announce(Happened(1))
    assert seen == ["early", "first", "second", "late"]
    assert subscribers(Happened)["in_transaction"] == [early, first, second, late]


def test_subscribing_twice_is_one_registration(registry):
    seen = []

    def handler(e):
        seen.append(e.n)

    subscribe(Happened, handler)
    subscribe(Happened, handler)
    announce(Happened(1))
    assert seen == [1]
    unsubscribe(Happened, handler)
    assert subscribers(Happened) == {"in_transaction": [], "on_commit": []}


def test_bad_registrations_are_refused(registry):
    with pytest.raises(TypeError):
        subscribe(int, print)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        subscribe(Happened, print, phase="later")  # type: ignore[arg-type]


@pytest.mark.django_db(transaction=True)
def test_an_in_transaction_failure_rolls_the_write_back(registry):
    from collective.models import User

    def fail(event):
        raise RuntimeError("no")

    subscribe(Happened, fail)
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create(username="rolled-back")
        announce(Happened(1))
    assert not User.objects.filter(username="rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_on_commit_subscribers_run_after_commit_only_and_each_on_its_own(registry, caplog):
    seen = []

    def fail(event):
        raise RuntimeError("after commit")

    subscribe(Happened, lambda e: seen.append(("first", e.n)), phase="on_commit")
    subscribe(Happened, fail, phase="on_commit")
    subscribe(Happened, lambda e: seen.append(("third", e.n)), phase="on_commit")
    with transaction.atomic():
        announce(Happened(1))
        assert seen == []
    assert seen == [("first", 1), ("third", 1)]
    assert any("on-commit subscriber" in r.message and r.levelno == logging.ERROR for r in caplog.records)

    seen.clear()
    with pytest.raises(LookupError), transaction.atomic():
        announce(Happened(2))
        raise LookupError("rolled back")
    assert seen == []


def test_the_apps_register_their_subscribers():
    from collective.events import (
        ConnectionCreated,
        ConnectionStatusChanged,
        FollowCreated,
        PhoneVerificationRequested,
        PointsUnlocked,
    )
    from messaging.events import MessageSent, ThreadRead
    from notifications import triggers

    expected = {
        ConnectionCreated: triggers.on_connection_created,
        ConnectionStatusChanged: triggers.on_connection_status,
        FollowCreated: triggers.on_follow_created,
        PointsUnlocked: triggers.on_points_unlock,
        MessageSent: triggers.on_message_sent,
        ThreadRead: triggers.on_thread_read,
        PhoneVerificationRequested: triggers.on_phone_verification_requested,
    }
    for event_type, handler in expected.items():
        assert handler in subscribers(event_type)["in_transaction"], event_type


def test_the_collective_queues_reputation_from_its_subscribers():
    from collective import subscribers as collective_subscribers
    from collective.events import ConnectionRated, ConnectionStatusChanged

    assert collective_subscribers.on_connection_rated in subscribers(ConnectionRated)["in_transaction"]
    assert collective_subscribers.on_connection_status_changed in subscribers(ConnectionStatusChanged)["in_transaction"]


def test_realtime_fans_out_every_domain_event_of_the_contract_before_the_other_subscribers():
    """The services only announce; realtime's fan-out publishes the socket events, first among
    each event's subscribers (the write's own event precedes what its reactions publish)."""
    from collective.events import ConnectionCreated, ConnectionUpdated, FollowCreated, PointsAwarded
    from messaging import subscribers as messaging_subscribers
    from messaging.events import MessageDeleted, MessageEdited, MessageSent, ThreadRead
    from realtime import subscribers as fan_out

    expected = {
        ConnectionCreated: fan_out.on_connection_created,
        ConnectionUpdated: fan_out.on_connection_updated,
        FollowCreated: fan_out.on_follow_created,
        PointsAwarded: fan_out.on_points_awarded,
        MessageSent: fan_out.on_message_sent,
        MessageEdited: fan_out.on_message_edited,
        MessageDeleted: fan_out.on_message_deleted,
        ThreadRead: fan_out.on_thread_read,
    }
    # A connection's own thread and first message are part of the write: messaging opens them before
    # the fan-out (so `connection.created` names its `dm_thread`, after the first `message.created`).
    first_of = {ConnectionCreated: [messaging_subscribers.on_connection_created]}
    for event_type, handler in expected.items():
        registered = subscribers(event_type)
        before = first_of.get(event_type, [])
        assert registered["in_transaction"][: len(before) + 1] == [*before, handler], event_type
        assert handler not in registered["on_commit"], event_type
