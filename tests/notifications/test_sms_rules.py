"""The SMS fallback's rules, checked at send time: online, unread, verified phone, SMS on, kind
on, opt-out, quiet hours in the user's time zone (held, not dropped), the daily limit, and
idempotency (a retried or duplicated task never sends twice)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications import texts
from notifications.delivery import daily_count, sms_deliver, sms_fallback_decide
from notifications.links import tracked_sms_text
from notifications.models import Notification, NotificationPreference, SmsMessage, SmsOptOut
from notifications.quiet import quiet_until
from notifications.services import notification_create
from notifications.tasks import notification_sms, sms_expire_stuck_task, sms_release_held
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, eager_celery, go_offline, go_online, phone_user, sms_outbox  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
UTC = dt.UTC


def _notify(recipient, kind: str = "connection_request") -> Notification:
    actor = UserFactory(username=f"actor{UserFactory._meta.model.objects.count()}")
    words = texts.connection_request(actor=actor.username, subject="Logo review", message="hi", connection_id=7)
    return notification_create(recipient=recipient, actor=actor, kind=kind, texts=words)


def _state(n: Notification) -> tuple[str, str]:
    n.refresh_from_db()
    return n.sms_state, n.sms_reason


def test_offline_verified_user_gets_the_sms_on_commit(sms_outbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://collective.example"
    user = phone_user()
    with django_capture_on_commit_callbacks(execute=True):
        note = _notify(user)
    # The SMS carries the page's link as a tracked one (tests/notifications/test_sms_links.py).
    assert sms_outbox == [{"to": user.phone_number, "body": tracked_sms_text(note), "sid": sms_outbox[0]["sid"]}]
    assert note.sms_text.endswith("Reply in app: https://collective.example/connections/7")
    assert sms_outbox[0]["body"].startswith(note.sms_text.removesuffix("connections/7") + "n/")
    sms = SmsMessage.objects.get()
    assert (sms.status, sms.to, sms.body, sms.provider_sid) == (
        "sent",
        user.phone_number,
        tracked_sms_text(note),
        sms_outbox[0]["sid"],
    )
    assert sms.notification_id == note.pk and sms.purpose == "notification" and sms.attempts == 1
    assert _state(note) == ("sent", "")


def test_online_at_creation_is_never_texted(sms_outbox, django_capture_on_commit_callbacks):
    user = phone_user()
    go_online(user)
    with django_capture_on_commit_callbacks(execute=True):
        note = _notify(user)
    assert _state(note) == ("skipped", "online")
    notification_sms.apply(args=[note.pk])  # even a stray task does not send
    assert sms_outbox == [] and not SmsMessage.objects.exists()


def test_back_online_before_the_task_runs_is_not_texted(sms_outbox):
    user = phone_user()
    note = _notify(user)
    assert _state(note) == ("pending", "")
    go_online(user)
    assert notification_sms.apply(args=[note.pk]).get() == {"action": "skip", "reason": "online"}
    go_offline(user)
    # The decision stands: coming back offline later does not resurrect it.
    notification_sms.apply(args=[note.pk])
    assert sms_outbox == [] and _state(note) == ("skipped", "online")


def test_read_before_the_task_runs_is_not_texted(sms_outbox):
    user = phone_user()
    note = _notify(user)
    Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    assert notification_sms.apply(args=[note.pk]).get()["reason"] == "read"
    assert sms_outbox == []


@pytest.mark.parametrize(
    "user_kwargs, reason",
    [
        ({"phone_number": "", "phone_verified_at": None}, "no_verified_phone"),
        ({"phone_verified_at": None}, "no_verified_phone"),
        ({"sms_enabled": False}, "sms_disabled"),
        ({"is_active": False}, "inactive"),
    ],
)
def test_user_settings_block_the_sms(sms_outbox, user_kwargs, reason):
    user = phone_user()
    note = _notify(user)
    type(user).objects.filter(pk=user.pk).update(**user_kwargs)
    assert notification_sms.apply(args=[note.pk]).get() == {"action": "skip", "reason": reason}
    assert sms_outbox == [] and _state(note) == ("skipped", reason)


def test_per_kind_preferences(sms_outbox):
    user = phone_user()
    NotificationPreference.objects.create(user=user, kind="connection_request", sms=False)
    assert notification_sms.apply(args=[_notify(user).pk]).get()["reason"] == "kind_disabled"
    # A kind that is off by default (followers) is not texted; turned on, it is.
    assert notification_sms.apply(args=[_notify(user, "new_follower").pk]).get()["reason"] == "kind_disabled"
    NotificationPreference.objects.create(user=user, kind="new_follower", sms=True)
    assert notification_sms.apply(args=[_notify(user, "new_follower").pk]).get()["action"] == "send"
    assert len(sms_outbox) == 1


def test_opted_out_number_is_not_texted(sms_outbox):
    user = phone_user()
    SmsOptOut.objects.create(phone_number=user.phone_number)
    assert notification_sms.apply(args=[_notify(user).pk]).get()["reason"] == "opted_out"
    assert sms_outbox == []


# --- quiet hours -------------------------------------------------------------------------------


def _t(h: int, m: int = 0) -> dt.time:
    return dt.time(h, m)


@pytest.mark.parametrize(
    "start, end, zone, now, expected",
    [
        # 22:00-07:00 New York (EST, UTC-5) crosses midnight.
        (
            _t(22),
            _t(7),
            "America/New_York",
            dt.datetime(2026, 1, 15, 3, 30, tzinfo=UTC),
            dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        ),  # 22:30 local
        (
            _t(22),
            _t(7),
            "America/New_York",
            dt.datetime(2026, 1, 15, 11, 59, tzinfo=UTC),
            dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        ),  # 06:59
        (
            _t(22),
            _t(7),
            "America/New_York",
            dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
            None,
        ),  # 07:00: the end is not quiet
        (_t(22), _t(7), "America/New_York", dt.datetime(2026, 1, 15, 2, 59, tzinfo=UTC), None),  # 21:59
        (
            _t(22),
            _t(7),
            "America/New_York",
            dt.datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
            dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        ),  # 22:00
        # The same instant is daytime in Tokyo (12:30 JST): not quiet there.
        (_t(22), _t(7), "Asia/Tokyo", dt.datetime(2026, 1, 15, 3, 30, tzinfo=UTC), None),
        # ...and 23:30 in Tokyo is quiet until 07:00 JST next day = 22:00 UTC.
        (
            _t(22),
            _t(7),
            "Asia/Tokyo",
            dt.datetime(2026, 1, 15, 14, 30, tzinfo=UTC),
            dt.datetime(2026, 1, 15, 22, 0, tzinfo=UTC),
        ),
        # A daytime window in a half-hour zone (Kolkata, UTC+5:30): 13:00-15:00.
        (
            _t(13),
            _t(15),
            "Asia/Kolkata",
            dt.datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
            dt.datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        ),  # 13:30
        (_t(13), _t(15), "Asia/Kolkata", dt.datetime(2026, 1, 15, 9, 30, tzinfo=UTC), None),  # 15:00
        # Summer time: 22:00-07:00 in New York in July is UTC-4.
        (
            _t(22),
            _t(7),
            "America/New_York",
            dt.datetime(2026, 7, 15, 3, 0, tzinfo=UTC),
            dt.datetime(2026, 7, 15, 11, 0, tzinfo=UTC),
        ),
        (None, None, "UTC", dt.datetime(2026, 1, 15, 3, 0, tzinfo=UTC), None),
    ],
)
def test_quiet_until(start, end, zone, now, expected):
    assert quiet_until(start=start, end=end, time_zone=zone, now=now) == expected


def test_quiet_hours_hold_the_sms_until_they_end_then_send(sms_outbox):
    user = phone_user(time_zone="America/New_York", quiet_hours_start=_t(22), quiet_hours_end=_t(7))
    note = _notify(user)
    night = dt.datetime(2026, 1, 15, 3, 30, tzinfo=UTC)  # 22:30 in New York
    decision = sms_fallback_decide(notification_id=note.pk, now=night)
    assert (decision.action, decision.hold_until) == ("hold", dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    note.refresh_from_db()
    assert (note.sms_state, note.sms_reason, note.sms_hold_until) == ("held", "quiet_hours", decision.hold_until)
    assert not SmsMessage.objects.exists() and sms_outbox == []
    # Still night a minute before the end: still held.
    assert (
        sms_fallback_decide(notification_id=note.pk, now=dt.datetime(2026, 1, 15, 11, 59, tzinfo=UTC)).action == "hold"
    )
    morning = sms_fallback_decide(notification_id=note.pk, now=dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    assert morning.action == "send"
    assert sms_deliver(sms_id=morning.sms_id) == "sent"
    assert [m["body"] for m in sms_outbox] == [tracked_sms_text(note)]


def test_the_sweep_sends_held_sms_once_their_hold_is_over(sms_outbox):
    user = phone_user()
    due, later = _notify(user), _notify(user)
    Notification.objects.filter(pk=due.pk).update(
        sms_state="held", sms_hold_until=timezone.now() - dt.timedelta(seconds=1)
    )
    Notification.objects.filter(pk=later.pk).update(
        sms_state="held", sms_hold_until=timezone.now() + dt.timedelta(hours=1)
    )
    assert sms_release_held.apply().get() == 1
    assert [m["body"] for m in sms_outbox] == [tracked_sms_text(due)]
    assert _state(later)[0] == "held"


def test_a_held_sms_that_was_read_meanwhile_is_not_sent(sms_outbox):
    user = phone_user(time_zone="UTC", quiet_hours_start=_t(0), quiet_hours_end=_t(6))
    note = _notify(user)
    assert sms_fallback_decide(notification_id=note.pk, now=dt.datetime(2026, 1, 15, 1, tzinfo=UTC)).action == "hold"
    Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    assert sms_fallback_decide(notification_id=note.pk, now=dt.datetime(2026, 1, 15, 6, tzinfo=UTC)).reason == "read"


# --- daily limit -------------------------------------------------------------------------------


def test_five_sms_in_24_hours_then_no_more(sms_outbox, settings):
    user = phone_user()
    results = [notification_sms.apply(args=[_notify(user).pk]).get()["action"] for _ in range(7)]
    assert results == ["send"] * 5 + ["skip"] * 2
    assert len(sms_outbox) == 5
    assert Notification.objects.filter(sms_reason="daily_limit").count() == 2
    # Another user has their own five.
    assert notification_sms.apply(args=[_notify(phone_user()).pk]).get()["action"] == "send"


def test_the_window_rolls_and_failed_sms_do_not_count(sms_outbox):
    user = phone_user()
    for i in range(5):
        _notify(user)
        SmsMessage.objects.create(
            key=f"old:{i}",
            purpose="notification",
            user=user,
            to=user.phone_number,
            body="x",
            status="sent" if i < 4 else "failed",
            created_at=timezone.now() - dt.timedelta(hours=1 if i < 3 else 25),
        )
    # Counted: 3 sent within 24 h. Not counted: one older than 24 h, one failed.
    outcomes = [notification_sms.apply(args=[_notify(user).pk]).get()["action"] for _ in range(3)]
    assert outcomes == ["send", "send", "skip"]


def test_verification_codes_do_not_use_up_the_daily_notifications(sms_outbox):
    user = phone_user()
    for i in range(5):
        SmsMessage.objects.create(key=f"v:{i}", purpose="verification", user=user, to=user.phone_number, body="code")
    assert notification_sms.apply(args=[_notify(user).pk]).get()["action"] == "send"


# --- idempotency ---------------------------------------------------------------------------------


def test_a_repeated_task_sends_once(sms_outbox):
    user = phone_user()
    note = _notify(user)
    first = notification_sms.apply(args=[note.pk]).get()
    second = notification_sms.apply(args=[note.pk]).get()
    assert first["status"] == "sent" and second == {"action": "send", "sms": first["sms"], "status": "sent"}
    assert len(sms_outbox) == 1 and SmsMessage.objects.count() == 1


def test_a_row_left_sending_by_a_dead_worker_is_never_sent_again(sms_outbox):
    user = phone_user()
    note = _notify(user)
    decision = sms_fallback_decide(notification_id=note.pk)
    SmsMessage.objects.filter(pk=decision.sms_id).update(status="sending")  # the worker died mid-call
    assert notification_sms.apply(args=[note.pk]).get()["status"] == "sending"
    assert sms_outbox == []


def test_a_row_stuck_sending_is_marked_unknown_never_resent_and_still_counted(sms_outbox, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "SMS_SENDING_TIMEOUT_SECONDS": 600}
    user = phone_user()
    note = _notify(user)
    decision = sms_fallback_decide(notification_id=note.pk)
    now = timezone.now()
    SmsMessage.objects.filter(pk=decision.sms_id).update(status="sending", updated_at=now - dt.timedelta(seconds=599))
    assert sms_expire_stuck_task.apply().get() == 0  # within the timeout: maybe still in the provider call
    assert SmsMessage.objects.get(pk=decision.sms_id).status == "sending"
    SmsMessage.objects.filter(pk=decision.sms_id).update(updated_at=now - dt.timedelta(seconds=601))
    assert sms_expire_stuck_task.apply().get() == 1
    sms = SmsMessage.objects.get(pk=decision.sms_id)
    assert (sms.status, sms.error_code) == ("unknown", "worker_lost")
    assert notification_sms.apply(args=[note.pk]).get()["status"] == "unknown"  # a redelivered task: no resend
    assert sms_expire_stuck_task.apply().get() == 0
    assert sms_outbox == []
    assert daily_count(user.pk, timezone.now()) == 1  # it may have gone out: it uses up one of the 5


def test_a_deleted_notification_is_skipped(sms_outbox):
    note = _notify(phone_user())
    note_id = note.pk
    note.delete()
    assert notification_sms.apply(args=[note_id]).get() == {"action": "skip", "reason": "gone"}


def test_an_unreachable_presence_store_does_not_fail_the_write(settings, monkeypatch):
    import socket

    import redis

    from realtime import presence

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(presence, "_sync_client", redis.Redis(port=port, socket_connect_timeout=0.5))
    note = _notify(phone_user())
    assert note is not None and _state(note) == ("pending", "")
