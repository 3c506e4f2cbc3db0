"""Creating a connection: responder inference, type checks, visibility and accepting rules, no
self-connection, duplicates, the DM thread and first message, counters and `connection.created`."""

from __future__ import annotations

import pytest
from django.db import transaction

from collective.models import Ask, Block, Connection, Offer
from collective.services.connections import connection_create
from core.errors import DomainError
from messaging.models import Message, Thread
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Factories hash a password per user; the default hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


URL = "/api/v1/connections/"


def _events(type_: str) -> list[tuple[int, dict]]:
    return [(e.user_id, e.data) for e in Event.objects.filter(type=type_).order_by("user_id", "seq")]


def test_offer_inquiry_infers_responder_opens_thread_posts_message_and_counts():
    initiator = UserFactory()
    offer = OfferFactory()
    resp = client_for(initiator).post(URL, {"offer": offer.pk, "initial_message": "  Hi, can you help?  "})
    assert resp.status_code == 201, resp.data
    body = resp.data
    assert body["responder"]["id"] == offer.user_id
    assert body["initiator"]["id"] == initiator.pk
    assert body["connection_type"] == "offer_inquiry"
    assert body["offer"]["id"] == offer.pk and body["ask"] is None
    assert body["status"] == "initiated"
    assert body["initial_message"] == "Hi, can you help?"
    thread = Thread.objects.get(pk=body["dm_thread"])
    assert set(thread.participant_ids) == {initiator.pk, offer.user_id}
    messages = list(Message.objects.filter(thread=thread))
    assert [(m.sender_id, m.body) for m in messages] == [(initiator.pk, "Hi, can you help?")]
    offer.refresh_from_db()
    assert offer.connection_count == 1
    for key in (
        "agreed_price_cents",
        "stripe_payment_intent_id",
        "paid_at",
        "initiator_rating",
        "responder_rating",
        "initiator_feedback",
        "responder_feedback",
        "created_at",
        "updated_at",
        "completed_at",
    ):
        assert key in body


def test_ask_response_infers_type_and_counts_responses():
    initiator = UserFactory()
    ask = AskFactory()
    resp = client_for(initiator).post(URL, {"ask": ask.pk, "initial_message": "I can test it"})
    assert resp.status_code == 201, resp.data
    assert resp.data["connection_type"] == "ask_response"
    assert resp.data["responder"]["id"] == ask.user_id
    assert resp.data["ask"]["id"] == ask.pk
    assert Ask.objects.get(pk=ask.pk).response_count == 1


def test_existing_thread_is_reused():
    initiator, owner = UserFactory(), UserFactory()
    first = connection_create(initiator=initiator, offer=OfferFactory(user=owner), initial_message="one")
    second = connection_create(initiator=initiator, ask=AskFactory(user=owner), initial_message="two")
    third = connection_create(initiator=owner, responder=initiator.pk, initial_message="three")
    assert first.dm_thread_id == second.dm_thread_id == third.dm_thread_id
    assert Thread.objects.count() == 1
    assert Message.objects.filter(thread_id=first.dm_thread_id).count() == 3


def test_direct_connection_needs_a_responder():
    initiator, other = UserFactory(), UserFactory()
    client = client_for(initiator)
    resp = client.post(URL, {"connection_type": "direct", "initial_message": "hello"})
    assert resp.status_code == 400 and "responder" in resp.data["fields"]
    resp = client.post(URL, {"responder": other.pk, "initial_message": "hello"})
    assert resp.status_code == 201, resp.data
    assert resp.data["connection_type"] == "direct" and resp.data["responder"]["id"] == other.pk
    resp = client.post(URL, {"responder": 999999, "initial_message": "hello"})
    assert resp.status_code == 400 and resp.data["code"] == "user_not_found" and "responder" in resp.data["fields"]


def test_agents_can_be_connected_with():
    agent = UserFactory(role="agent")
    resp = client_for(UserFactory()).post(URL, {"responder": agent.pk, "initial_message": "hi agent"})
    assert resp.status_code == 201


@pytest.mark.parametrize(
    "payload_key, type_given",
    [("offer", "ask_response"), ("offer", "direct"), ("ask", "offer_inquiry"), ("ask", "direct")],
)
def test_connection_type_must_match(payload_key, type_given):
    obj = OfferFactory() if payload_key == "offer" else AskFactory()
    resp = client_for(UserFactory()).post(
        URL, {payload_key: obj.pk, "connection_type": type_given, "initial_message": "x"}
    )
    assert resp.status_code == 400
    assert resp.data["code"] == "connection_type_mismatch"
    assert not Connection.objects.exists()


def test_type_given_without_context_is_400():
    resp = client_for(UserFactory()).post(URL, {"connection_type": "offer_inquiry", "initial_message": "x"})
    assert resp.status_code == 400 and "offer" in resp.data["fields"]


def test_matching_type_given_is_accepted():
    resp = client_for(UserFactory()).post(
        URL, {"offer": OfferFactory().pk, "connection_type": "offer_inquiry", "initial_message": "x"}
    )
    assert resp.status_code == 201


def test_both_offer_and_ask_is_400():
    owner = UserFactory()
    resp = client_for(UserFactory()).post(
        URL, {"offer": OfferFactory(user=owner).pk, "ask": AskFactory(user=owner).pk, "initial_message": "x"}
    )
    assert resp.status_code == 400 and resp.data["code"] == "ask_and_offer"


def test_responder_not_owner_is_400():
    other = UserFactory()
    resp = client_for(UserFactory()).post(
        URL, {"offer": OfferFactory().pk, "responder": other.pk, "initial_message": "x"}
    )
    assert resp.status_code == 400 and resp.data["code"] == "responder_mismatch"


@pytest.mark.parametrize("message", ["", "   ", None, "x" * 5001])
def test_initial_message_required_and_bounded(message):
    payload = {"offer": OfferFactory().pk}
    if message is not None:
        payload["initial_message"] = message
    resp = client_for(UserFactory()).post(URL, payload)
    assert resp.status_code == 400 and "initial_message" in resp.data["fields"]
    assert not Connection.objects.exists() and not Message.objects.exists()


def test_service_rejects_blank_message_too():
    with pytest.raises(DomainError) as exc:
        connection_create(initiator=UserFactory(), offer=OfferFactory(), initial_message="   ")
    assert exc.value.field == "initial_message"


def test_self_connection_is_400():
    me = UserFactory()
    client = client_for(me)
    for payload in ({"offer": OfferFactory(user=me).pk}, {"ask": AskFactory(user=me).pk}, {"responder": me.pk}):
        resp = client.post(URL, {**payload, "initial_message": "me"})
        assert resp.status_code == 400, payload
        assert resp.data["code"] == "self_connection"
    assert not Connection.objects.exists()


@pytest.mark.parametrize("status, archived", [("draft", False), ("archived", True)])
def test_invisible_offer_is_404(status, archived):
    offer = OfferFactory(status=status, is_archived=archived)
    resp = client_for(UserFactory()).post(URL, {"offer": offer.pk, "initial_message": "x"})
    assert resp.status_code == 404 and resp.data["code"] == "offer_not_found"
    resp = client_for(UserFactory()).post(URL, {"offer": 987654, "initial_message": "x"})
    assert resp.status_code == 404


def test_paused_offer_is_not_accepting():
    offer = OfferFactory(status="paused")
    resp = client_for(UserFactory()).post(URL, {"offer": offer.pk, "initial_message": "x"})
    assert resp.status_code == 400 and resp.data["code"] == "offer_not_accepting"
    assert Offer.objects.get(pk=offer.pk).connection_count == 0


@pytest.mark.parametrize("status", ["fulfilled", "closed"])
def test_closed_ask_is_not_accepting(status):
    ask = AskFactory(status=status)
    resp = client_for(UserFactory()).post(URL, {"ask": ask.pk, "initial_message": "x"})
    assert resp.status_code == 400 and resp.data["code"] == "ask_not_accepting"


def test_in_progress_ask_accepts_and_archived_ask_is_404():
    client = client_for(UserFactory())
    assert client.post(URL, {"ask": AskFactory(status="in_progress").pk, "initial_message": "x"}).status_code == 201
    resp = client.post(URL, {"ask": AskFactory(is_archived=True).pk, "initial_message": "x"})
    assert resp.status_code == 404 and resp.data["code"] == "ask_not_found"


def test_duplicate_active_connection_is_409_until_final():
    initiator = UserFactory()
    offer = OfferFactory()
    client = client_for(initiator)
    first = client.post(URL, {"offer": offer.pk, "initial_message": "x"})
    assert first.status_code == 201
    dup = client.post(URL, {"offer": offer.pk, "initial_message": "again"})
    assert dup.status_code == 409 and dup.data["code"] == "duplicate_connection"
    assert Offer.objects.get(pk=offer.pk).connection_count == 1
    Connection.objects.filter(pk=first.data["id"]).update(status="cancelled")
    assert client.post(URL, {"offer": offer.pk, "initial_message": "again"}).status_code == 201
    # The counter counts people: the same initiator again adds nothing (docs/connections.md).
    assert Offer.objects.get(pk=offer.pk).connection_count == 1


def test_duplicate_direct_is_409():
    a, b = UserFactory(), UserFactory()
    connection_create(initiator=a, responder=b.pk, initial_message="x")
    resp = client_for(a).post(URL, {"responder": b.pk, "initial_message": "x"})
    assert resp.status_code == 409 and resp.data["code"] == "duplicate_connection"


def test_blocked_initiator_sees_the_blocker_as_not_found():
    blocker, blocked = UserFactory(), UserFactory()
    Block.objects.create(blocker=blocker, blocked=blocked)
    client = client_for(blocked)
    resp = client.post(URL, {"offer": OfferFactory(user=blocker).pk, "initial_message": "x"})
    assert resp.status_code == 404 and resp.data["code"] == "offer_not_found"
    resp = client.post(URL, {"ask": AskFactory(user=blocker).pk, "initial_message": "x"})
    assert resp.status_code == 404 and resp.data["code"] == "ask_not_found"
    unknown = client.post(URL, {"responder": 999999, "initial_message": "x"})
    resp = client.post(URL, {"responder": blocker.pk, "initial_message": "x"})
    assert resp.status_code == unknown.status_code == 400
    assert resp.data == unknown.data  # indistinguishable from a user that does not exist
    assert not Connection.objects.exists()


def test_blocker_cannot_connect_with_whom_they_blocked():
    blocker, blocked = UserFactory(), UserFactory()
    Block.objects.create(blocker=blocker, blocked=blocked)
    resp = client_for(blocker).post(URL, {"offer": OfferFactory(user=blocked).pk, "initial_message": "x"})
    assert resp.status_code == 400 and resp.data["code"] == "user_blocked"


@pytest.mark.parametrize("payload", [{"offer": "abc"}, {"offer": -1}, {"ask": 10**30}, {"responder": [1]}])
def test_bad_ids_are_400(payload):
    resp = client_for(UserFactory()).post(URL, {**payload, "initial_message": "x"})
    assert resp.status_code == 400


def test_anonymous_is_401():
    resp = client_for(UserFactory()).post(URL, {"offer": OfferFactory().pk, "initial_message": "x"})
    assert resp.status_code == 201
    from rest_framework.test import APIClient

    assert APIClient().post(URL, {"offer": OfferFactory().pk, "initial_message": "x"}).status_code == 401
    assert APIClient().get(URL).status_code == 401


def test_connection_created_event_to_both_participants_once():
    initiator = UserFactory()
    offer = OfferFactory()
    resp = client_for(initiator).post(URL, {"offer": offer.pk, "initial_message": "x"})
    got = _events("connection.created")
    assert [uid for uid, _ in got] == sorted([initiator.pk, offer.user_id])
    for _, data in got:
        assert data["connection"] == resp.data
    # Nobody else heard of it.
    assert (
        Event.objects.filter(type="connection.created").exclude(user_id__in=[initiator.pk, offer.user_id]).count() == 0
    )


def test_failed_create_emits_nothing():
    initiator = UserFactory()
    offer = OfferFactory(status="paused")
    client_for(initiator).post(URL, {"offer": offer.pk, "initial_message": "x"})
    assert not Event.objects.exists()


def test_rolled_back_create_leaves_no_event_nor_row():
    initiator, offer = UserFactory(), OfferFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        connection_create(initiator=initiator, offer=offer, initial_message="x")
        assert Event.objects.filter(type="connection.created").count() == 2
        raise RuntimeError("abort")
    assert not Event.objects.exists()
    assert not Connection.objects.exists()
    assert Offer.objects.get(pk=offer.pk).connection_count == 0


def test_message_rate_limit_rolls_the_whole_create_back(settings):
    settings.MESSAGING = {"SEND_RATE_PER_MINUTE": 1}
    initiator = UserFactory()
    client = client_for(initiator)
    assert client.post(URL, {"offer": OfferFactory().pk, "initial_message": "x"}).status_code == 201
    offer = OfferFactory()
    resp = client.post(URL, {"offer": offer.pk, "initial_message": "y"})
    assert resp.status_code == 429 and resp.data["code"] == "send_rate_limited"
    assert Connection.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).connection_count == 0
    assert Event.objects.filter(type="connection.created").count() == 2
