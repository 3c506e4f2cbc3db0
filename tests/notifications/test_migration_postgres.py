"""Issue 12 moved the notification models out of the messaging app (to `notifications`, phone
verification to `collective`) with state-only migrations. The proof, on PostgreSQL: a database of
the test's own is migrated to the state before the move, filled through that state (the models as
the old code had them), then migrated to the latest; every row is still there, in the same tables,
and reads and writes through the new models. Then back to the old state and forward again.

The database (`<TEST_DATABASE_NAME>_migration_proof`) is created and dropped by the test; the
steps run as `manage.py` / `python -c` processes with DATABASE_URL pointing at it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
# The last migrations before the move (messaging 0006, notifications 0001, collective 0009).
BEFORE = [("messaging", "0005_notification_repeats"), ("collective", "0008_points_reversals_lifetime_peak")]
TABLES = [
    "messaging_notification",
    "messaging_notificationpreference",
    "messaging_smsmessage",
    "messaging_smsoptout",
    "messaging_phoneverification",
]
T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _proof_url() -> tuple[str, str, str]:
    """(DATABASE_URL of the proof database, of the server's maintenance database, its name)."""
    base = urlsplit(os.environ["DATABASE_URL"])
    name = (os.environ.get("TEST_DATABASE_NAME") or "test_collective") + "_migration_proof"
    # Created from the server's `postgres` database, as pytest-django creates the test database
    # (the one DATABASE_URL names need not exist).
    return urlunsplit(base._replace(path="/" + name)), urlunsplit(base._replace(path="/postgres")), name


def _env(url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DB_POOL_MAX_SIZE": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _manage(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _step(url: str, name: str) -> dict:
    """Run one of the functions below in a process of its own; it prints a JSON result."""
    code = f"import django; django.setup(); from tests.notifications.test_migration_postgres import {name}; {name}()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sql(url: str, query: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else []


# --- run in the proof database's processes -----------------------------------------------------
def _old_apps():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection).loader.project_state(BEFORE).apps


def fill_through_the_old_state() -> None:
    """The rows the old code made, written through the models as messaging 0005 had them."""
    apps = _old_apps()
    User = apps.get_model("collective", "User")
    Thread = apps.get_model("messaging", "Thread")
    Notification = apps.get_model("messaging", "Notification")
    Preference = apps.get_model("messaging", "NotificationPreference")
    SmsMessage = apps.get_model("messaging", "SmsMessage")
    SmsOptOut = apps.get_model("messaging", "SmsOptOut")
    PhoneVerification = apps.get_model("messaging", "PhoneVerification")

    ada = User.objects.create(
        username="ada",
        email="ada@example.com",
        password="!",
        phone_number="+14155550101",
        phone_verified_at=T0,
        sms_enabled=True,
    )
    bob = User.objects.create(username="bob", email="bob@example.com", password="!")
    low, high = sorted([ada, bob], key=lambda u: u.pk)
    thread = Thread.objects.create(user_low=low, user_high=high)
    unread = Notification.objects.create(
        recipient=ada,
        actor=bob,
        kind="new_message",
        thread=thread,
        title="@bob sent you a message",
        body="hi",
        url="/threads/1",
        sms_text="@bob sent you a message. Reply in app",
        data={"thread": thread.pk},
        created_at=T0,
        updated_at=T0,
        sms_state="sent",
    )
    Notification.objects.create(
        recipient=ada,
        actor=bob,
        kind="new_follower",
        title="@bob started following you",
        subject="follow",
        repeat_count=3,
        read_at=T0 + dt.timedelta(hours=1),
        created_at=T0,
        updated_at=T0 + dt.timedelta(minutes=5),
        sms_state="skipped",
        sms_reason="kind_disabled",
    )
    Notification.objects.create(
        recipient=bob,
        actor=None,
        kind="points_unlock",
        title="Unlocked: a frame",
        created_at=T0,
        updated_at=T0,
        sms_state="held",
        sms_hold_until=T0 + dt.timedelta(hours=8),
    )
    Preference.objects.create(user=ada, kind="new_follower", sms=True)
    Preference.objects.create(user=ada, kind="new_message", sms=False)
    SmsMessage.objects.create(
        key=f"notification:{unread.pk}",
        purpose="notification",
        user=ada,
        notification=unread,
        to=ada.phone_number,
        body=unread.sms_text,
        status="delivered",
        provider="twilio",
        provider_sid="SM" + "a" * 32,
        provider_status="delivered",
        attempts=1,
        created_at=T0,
        sent_at=T0,
    )
    verification = PhoneVerification.objects.create(
        user=ada,
        phone_number=ada.phone_number,
        code_hash="f" * 64,
        created_at=T0,
        expires_at=T0 + dt.timedelta(minutes=10),
        attempts=2,
        verified_at=T0 + dt.timedelta(minutes=1),
    )
    SmsMessage.objects.create(
        key=f"verification:{verification.pk}",
        purpose="verification",
        user=ada,
        to=ada.phone_number,
        body="Your code: 123456",
        status="unknown",
        error_code="worker_lost",
        created_at=T0,
    )
    SmsOptOut.objects.create(phone_number="+14155550199", created_at=T0)
    print(json.dumps({"unread": unread.pk, "verification": verification.pk}))


def counts_through_the_old_state() -> None:
    apps = _old_apps()
    names = ["Notification", "NotificationPreference", "SmsMessage", "SmsOptOut", "PhoneVerification"]
    print(json.dumps({n: apps.get_model("messaging", n).objects.count() for n in names}))


def read_through_the_new_models() -> None:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from collective.models import PhoneVerification, User
    from notifications.models import Notification, NotificationPreference, SmsMessage, SmsOptOut
    from notifications.serializers import NotificationSerializer
    from notifications.services import preferences_get

    ada = User.objects.get(username="ada")
    unread = Notification.objects.get(kind="new_message")
    follower = Notification.objects.get(kind="new_follower")
    sms = SmsMessage.objects.get(purpose="notification")
    verification = PhoneVerification.objects.get()
    reverse = [
        ada.notifications.count(),
        ada.phone_verifications.count(),
        ada.sms_messages.count(),
        ada.notification_prefs.count(),
    ]
    # A write through the new models: the tables' sequences carry on after the old rows.
    fresh = Notification.objects.create(recipient=ada, kind="points_unlock", title="Unlocked: more")
    fresh_sms = SmsMessage.objects.create(
        key=f"notification:{fresh.pk}",
        purpose="notification",
        user=ada,
        notification=fresh,
        to=ada.phone_number,
        body="x",
    )
    result = {
        "counts": {
            "Notification": Notification.objects.count() - 1,
            "NotificationPreference": NotificationPreference.objects.count(),
            "SmsMessage": SmsMessage.objects.count() - 1,
            "SmsOptOut": SmsOptOut.objects.count(),
            "PhoneVerification": PhoneVerification.objects.count(),
        },
        "tables": sorted(
            {m._meta.db_table for m in (Notification, NotificationPreference, SmsMessage, SmsOptOut, PhoneVerification)}
        ),
        "unread": {
            "pk": unread.pk,
            "recipient": unread.recipient.username,
            "actor": unread.actor.username,
            "thread_users": sorted([unread.thread.user_low.username, unread.thread.user_high.username]),
            "data": unread.data,
            "sms_text": unread.sms_text,
            "sms_of_it": unread.sms.provider_sid,
            "item": NotificationSerializer(unread).data["title"],
        },
        "follower": [follower.subject, follower.repeat_count, follower.read_at.isoformat(), follower.sms_reason],
        "sms": [sms.key, sms.status, sms.notification_id, sms.sent_at.isoformat()],
        "verification": [
            verification.pk,
            verification.user.username,
            verification.attempts,
            verification.verified_at.isoformat(),
        ],
        "reverse": reverse,
        "prefs": {k: v["sms"] for k, v in preferences_get(user=ada).items() if k in {"new_follower", "new_message"}},
        "optout": SmsOptOut.objects.get().phone_number,
        "fresh_after_old": fresh.pk > unread.pk and fresh_sms.pk > sms.pk,
        "content_types": sorted(
            f"{c.app_label}.{c.model}"
            for c in ContentType.objects.filter(
                model__in=["notification", "notificationpreference", "smsmessage", "smsoptout", "phoneverification"]
            )
        ),
        "permissions": Permission.objects.filter(content_type__app_label="notifications").count(),
    }
    fresh_sms.delete()
    fresh.delete()
    print(json.dumps(result, default=str))


# --- the test -------------------------------------------------------------------------------------
def test_the_move_keeps_every_row_in_place_and_readable():
    url, maintenance, name = _proof_url()
    _sql(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _sql(maintenance, f'CREATE DATABASE "{name}"')
    try:
        # The old code's database: everything up to the last migration before the move.
        _manage(url, "migrate", "--noinput", "contenttypes")
        _manage(url, "migrate", "--noinput", "auth")
        _manage(url, "migrate", "--noinput", "messaging", BEFORE[0][1])
        applied = {a for (a, n) in _sql(url, "SELECT app, name FROM django_migrations")}
        assert "notifications" not in applied
        filled = _step(url, "fill_through_the_old_state")
        before = _step(url, "counts_through_the_old_state")
        assert before == {
            "Notification": 3,
            "NotificationPreference": 2,
            "SmsMessage": 2,
            "SmsOptOut": 1,
            "PhoneVerification": 1,
        }
        tables_before = _sql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ct_before = _sql(
            url,
            "SELECT id, app_label, model FROM django_content_type WHERE model IN "
            "('notification', 'smsmessage', 'phoneverification') ORDER BY id",
        )
        assert {app for (_, app, _) in ct_before} == {"messaging"}
        perms_before = _sql(
            url,
            "SELECT p.id FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id"
            " WHERE c.app_label = 'messaging' AND c.model IN ('notification',"
            " 'notificationpreference', 'smsmessage', 'smsoptout') ORDER BY p.id",
        )
        assert len(perms_before) == 16  # add/change/delete/view of each, made by the old code's migrate

        out = _manage(url, "migrate", "--noinput", "-v", "1")
        for step in (
            "collective.0009_phoneverification",
            "notifications.0001_initial",
            "messaging.0006_notifications_moved_out",
        ):
            assert f"Applying {step}... OK" in out
        # No table renamed or dropped, none made for the moved models (the rest of the migrate
        # made the other apps' tables: authtoken, core, realtime, sessions, admin).
        tables_after = {
            t for (t,) in _sql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        }
        assert {t for (t,) in tables_before} <= tables_after
        assert not {t for t in tables_after if t.startswith("notifications_") or t == "collective_phoneverification"}
        rows = {t: _sql(url, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
        assert rows == dict(zip(TABLES, [3, 2, 2, 1, 1], strict=True))
        # The content types moved with the models (same ids: permissions stay attached).
        ct_after = _sql(
            url,
            "SELECT id, app_label, model FROM django_content_type WHERE model IN "
            "('notification', 'smsmessage', 'phoneverification') ORDER BY id",
        )
        assert [(i, m) for (i, _, m) in ct_after] == [(i, m) for (i, _, m) in ct_before]
        assert {(a, m) for (_, a, m) in ct_after} == {
            ("notifications", "notification"),
            ("notifications", "smsmessage"),
            ("collective", "phoneverification"),
        }

        seen = _step(url, "read_through_the_new_models")
        assert seen["counts"] == before
        assert seen["tables"] == sorted(TABLES)
        assert seen["unread"] == {
            "pk": filled["unread"],
            "recipient": "ada",
            "actor": "bob",
            "thread_users": ["ada", "bob"],
            "data": seen["unread"]["data"],
            "sms_text": "@bob sent you a message. Reply in app",
            "sms_of_it": "SM" + "a" * 32,
            "item": "@bob sent you a message",
        }
        assert set(seen["unread"]["data"]) == {"thread"}
        assert seen["follower"] == ["follow", 3, (T0 + dt.timedelta(hours=1)).isoformat(), "kind_disabled"]
        assert seen["sms"] == [f"notification:{filled['unread']}", "delivered", filled["unread"], T0.isoformat()]
        assert seen["verification"] == [filled["verification"], "ada", 2, (T0 + dt.timedelta(minutes=1)).isoformat()]
        assert seen["reverse"] == [2, 1, 2, 2]
        assert seen["prefs"] == {"new_follower": True, "new_message": False}
        assert seen["optout"] == "+14155550199"
        assert seen["fresh_after_old"] is True
        assert seen["content_types"] == [
            "collective.phoneverification",
            "notifications.notification",
            "notifications.notificationpreference",
            "notifications.smsmessage",
            "notifications.smsoptout",
        ]
        assert seen["permissions"] == 16
        assert (
            _sql(
                url,
                "SELECT p.id FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id"
                " WHERE c.app_label = 'notifications' ORDER BY p.id",
            )
            == perms_before
        )  # the same rows
        assert "No changes detected" in _manage(url, "makemigrations", "--check", "--dry-run")

        # And back: the old state reads the same rows again (state-only, so nothing to undo in the
        # tables), then forward once more.
        _manage(url, "migrate", "--noinput", "notifications", "zero")
        _manage(url, "migrate", "--noinput", "collective", BEFORE[1][1])
        assert _step(url, "counts_through_the_old_state") == before
        # The content types went back too (a post_migrate of the halfway state may add new ones).
        ids = ", ".join(str(i) for (i, _, _) in ct_before)
        assert (
            _sql(url, f"SELECT id, app_label, model FROM django_content_type WHERE id IN ({ids}) ORDER BY id")
            == ct_before
        )
        _manage(url, "migrate", "--noinput")
        assert _step(url, "read_through_the_new_models")["counts"] == before
    finally:
        _sql(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
