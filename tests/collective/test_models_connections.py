"""Database constraints of Connection, Follow, Block and AgentProfile: the database itself refuses
the bad row (IntegrityError), whatever code path writes it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from collective.models import AgentProfile, Block, Connection, ConnectionStatus, ConnectionType, Follow
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Factories hash a password per user; the default hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _refused(**kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.create(**kwargs)


def _conn(**kwargs) -> Connection:
    defaults = {"initial_message": "hi"}
    defaults.update(kwargs)
    return Connection.objects.create(**defaults)


def test_no_self_connection():
    u = UserFactory()
    _refused(initiator=u, responder=u, connection_type=ConnectionType.DIRECT, initial_message="hi")


def test_not_both_ask_and_offer():
    a, b = UserFactory(), UserFactory()
    offer, ask = OfferFactory(user=b), AskFactory(user=b)
    _refused(
        initiator=a,
        responder=b,
        offer=offer,
        ask=ask,
        connection_type=ConnectionType.OFFER_INQUIRY,
        initial_message="hi",
    )


def test_direct_has_no_context():
    a, b = UserFactory(), UserFactory()
    _refused(
        initiator=a,
        responder=b,
        offer=OfferFactory(user=b),
        connection_type=ConnectionType.DIRECT,
        initial_message="hi",
    )


def test_unique_active_per_offer_but_final_one_does_not_block():
    a, b = UserFactory(), UserFactory()
    offer = OfferFactory(user=b)
    first = _conn(initiator=a, responder=b, offer=offer, connection_type=ConnectionType.OFFER_INQUIRY)
    _refused(initiator=a, responder=b, offer=offer, connection_type=ConnectionType.OFFER_INQUIRY, initial_message="x")
    first.status, first.completed_at = ConnectionStatus.COMPLETED, timezone.now()
    first.save()
    second = _conn(initiator=a, responder=b, offer=offer, connection_type=ConnectionType.OFFER_INQUIRY)
    assert second.pk != first.pk


def test_unique_active_per_ask_but_declined_one_does_not_block():
    a, b = UserFactory(), UserFactory()
    ask = AskFactory(user=b)
    first = _conn(initiator=a, responder=b, ask=ask, connection_type=ConnectionType.ASK_RESPONSE)
    _refused(initiator=a, responder=b, ask=ask, connection_type=ConnectionType.ASK_RESPONSE, initial_message="x")
    first.status = ConnectionStatus.DECLINED
    first.save()
    _conn(initiator=a, responder=b, ask=ask, connection_type=ConnectionType.ASK_RESPONSE)


def test_unique_active_direct_but_cancelled_one_does_not_block():
    a, b = UserFactory(), UserFactory()
    first = _conn(initiator=a, responder=b, connection_type=ConnectionType.DIRECT)
    _refused(initiator=a, responder=b, connection_type=ConnectionType.DIRECT, initial_message="x")
    first.status = ConnectionStatus.CANCELLED
    first.save()
    _conn(initiator=a, responder=b, connection_type=ConnectionType.DIRECT)
    # The other direction is a different pair of roles, and allowed.
    _conn(initiator=b, responder=a, connection_type=ConnectionType.DIRECT)


@pytest.mark.parametrize("field", ["initiator_rating", "responder_rating"])
@pytest.mark.parametrize("value", [0, 6])
def test_rating_range(field, value):
    a, b = UserFactory(), UserFactory()
    c = _conn(
        initiator=a,
        responder=b,
        connection_type=ConnectionType.DIRECT,
        status=ConnectionStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    setattr(c, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        c.save()
    setattr(c, field, 5)
    c.save()


def test_rated_only_when_completed():
    a, b = UserFactory(), UserFactory()
    _refused(
        initiator=a,
        responder=b,
        connection_type=ConnectionType.DIRECT,
        status=ConnectionStatus.ACCEPTED,
        initiator_rating=4,
        initial_message="hi",
    )


def test_completed_needs_completed_at():
    a, b = UserFactory(), UserFactory()
    _refused(
        initiator=a,
        responder=b,
        connection_type=ConnectionType.DIRECT,
        status=ConnectionStatus.COMPLETED,
        initial_message="hi",
    )


def test_no_self_follow():
    u = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=u, following=u)


def test_unique_follow():
    a, b = UserFactory(), UserFactory()
    Follow.objects.create(follower=a, following=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=a, following=b)
    Follow.objects.create(follower=b, following=a)


def test_block_unique_and_no_self_block():
    a, b = UserFactory(), UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=a, blocked=a)
    Block.objects.create(blocker=a, blocked=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=a, blocked=b)


def test_agent_cannot_own_itself():
    agent = UserFactory(role="agent")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentProfile.objects.create(user=agent, owner=agent)
    AgentProfile.objects.create(user=agent, owner=UserFactory())
