"""Fixtures and helpers for notification/SMS tests (imported by those test modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from notifications.sms import console
from realtime import presence
from tests.factories import UserFactory
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[dict[str, str]]]:
    """The in-memory SMS backend; yields its outbox."""
    settings.SMS_BACKEND = "notifications.sms.console.LocmemBackend"
    console.outbox.clear()
    yield console.outbox
    console.outbox.clear()


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    """The real twilio client, configured as in production, talking to a local fake."""
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    settings.SMS_BACKEND = ""
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake.base_url
    yield fake
    fake.stop()


def _clear_presence() -> None:
    presence._local.clear()
    import os

    # The environment's Redis (a test may have pointed settings elsewhere for itself).
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(client.scan_iter(f"{presence.PREFIX}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _no_one_online() -> Iterator[None]:
    _clear_presence()
    yield
    _clear_presence()


def go_online(user, socket: str = "sock-1") -> None:
    async_to_sync(presence.backend().touch)(user.pk, socket)


def go_offline(user, socket: str = "sock-1") -> None:
    async_to_sync(presence.backend().leave)(user.pk, socket)


_phone_seq = iter(range(1000, 10**6))


def phone_user(**kwargs):
    """A user with a verified phone and SMS on (the state after verification)."""
    defaults = {
        "phone_number": f"+1415555{next(_phone_seq) % 10000:04d}",
        "phone_verified_at": timezone.now() - dt.timedelta(days=1),
        "sms_enabled": True,
    }
    defaults.update(kwargs)
    return UserFactory(**defaults)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks queued on commit run in the test process (as on the embedded default), also when
    REDIS_URL would send them to a broker. The worker test is the one that uses a real worker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
