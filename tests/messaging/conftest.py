from __future__ import annotations

import pytest

from messaging.services import thread_get_or_create
from tests.conftest import client_for
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Factories set a password on every user; the production hasher makes that the slowest step.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def thread(alice, bob):
    thread, _ = thread_get_or_create(user_a=alice, user_b=bob)
    return thread


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


def events_of(type_: str):
    from realtime.models import Event

    return list(Event.objects.filter(type=type_).order_by("id"))


def recipients(type_: str) -> list[int]:
    return sorted(e.user_id for e in events_of(type_))
