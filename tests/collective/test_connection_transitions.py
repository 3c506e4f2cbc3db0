"""The connection state machine, price negotiation and ratings, through the REST API and the
services: who may make which move, final states, no-ops, helped_count, and `connection.updated`."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from collective.models import Connection, User
from collective.services.connections import (
    TRANSITIONS,
    connection_create,
    connection_rate,
    connection_set_price,
    connection_transition,
)
from core.errors import Conflict, DomainError, NotFound
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Factories hash a password per user; the default hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ALL = ["initiated", "discussing", "accepted", "in_progress", "completed", "declined", "cancelled"]
FINAL = ["completed", "declined", "cancelled"]
# The documented table (docs/connections.md), restated independently of the code.
EXPECTED = {
    ("initiated", "discussing"): "either",
    ("initiated", "accepted"): "responder",
    ("initiated", "declined"): "responder",
    ("initiated", "cancelled"): "initiator",
    ("discussing", "accepted"): "responder",
    ("discussing", "declined"): "responder",
    ("discussing", "cancelled"): "initiator",
    ("accepted", "in_progress"): "either",
    ("accepted", "completed"): "either",
    ("accepted", "cancelled"): "initiator",
    ("in_progress", "completed"): "either",
    ("in_progress", "cancelled"): "initiator",
}


def _url(c: Connection) -> str:
    return f"/api/v1/connections/{c.pk}/"


def _make(status: str = "initiated") -> Connection:
    initiator = UserFactory()
    c = connection_create(initiator=initiator, offer=OfferFactory(), initial_message="hello")
    if status != "initiated":
        completed_at = timezone.now() if status == "completed" else None
        Connection.objects.filter(pk=c.pk).update(status=status, completed_at=completed_at)
    c.refresh_from_db()
    Event.objects.all().delete()
    return c


def test_table_in_code_matches_documented_table():
    assert {(str(a), str(b)): who for (a, b), who in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
@pytest.mark.parametrize("actor_role", ["initiator", "responder"])
def test_every_move_by_every_participant(current, target, actor_role):
    c = _make(current)
    actor = c.initiator if actor_role == "initiator" else c.responder
    resp = client_for(actor).patch(_url(c), {"status": target})
    c.refresh_from_db()
    if current == target:
        assert resp.status_code == 200 and c.status == current
        assert not Event.objects.exists()  # same status again: a no-op, no event
        return
    who = EXPECTED.get((current, target))
    if who in ("either", actor_role):
        assert resp.status_code == 200, resp.data
        assert resp.data["status"] == target and c.status == target
        return
    assert resp.status_code == 409, resp.data
    assert c.status == current
    assert not Event.objects.exists()
    if current in FINAL:
        assert resp.data["code"] == "connection_final"
    elif who is None:
        assert resp.data["code"] == "illegal_transition"
    elif who == "responder":
        assert resp.data["code"] == "only_responder"
        assert resp.data["detail"].startswith("Only the responder can")
    else:
        assert resp.data["code"] == "only_initiator"


def test_outsider_gets_404_everywhere():
    c = _make()
    outsider = client_for(UserFactory())
    assert outsider.get(_url(c)).status_code == 404
    assert outsider.patch(_url(c), {"status": "discussing"}).status_code == 404
    assert outsider.post(_url(c) + "rate/", {"rating": 5}).status_code == 404
    with pytest.raises(NotFound):
        connection_transition(connection=c, actor=UserFactory(), status="discussing")
    c.refresh_from_db()
    assert c.status == "initiated"


def test_invalid_status_value_is_400():
    c = _make()
    resp = client_for(c.initiator).patch(_url(c), {"status": "won"})
    assert resp.status_code == 400 and "status" in resp.data["fields"]
    assert client_for(c.initiator).patch(_url(c), {}).status_code == 400


def test_completion_sets_completed_at_and_helps_responder_once():
    c = _make("in_progress")
    assert c.completed_at is None
    responder_before = User.objects.get(pk=c.responder_id).helped_count
    initiator_before = User.objects.get(pk=c.initiator_id).helped_count
    resp = client_for(c.initiator).patch(_url(c), {"status": "completed"})
    assert resp.status_code == 200 and resp.data["completed_at"] is not None
    again = client_for(c.responder).patch(_url(c), {"status": "completed"})
    assert again.status_code == 200
    assert User.objects.get(pk=c.responder_id).helped_count == responder_before + 1
    assert User.objects.get(pk=c.initiator_id).helped_count == initiator_before
    assert Event.objects.filter(type="connection.updated").count() == 2  # one change, two recipients


def test_completing_an_ask_response_helps_the_initiator_not_the_asker():
    # For an ask_response the responder is the one who ASKED: the helper is the initiator.
    helper, asker = UserFactory(), UserFactory()
    c = connection_create(initiator=helper, ask=AskFactory(user=asker), initial_message="I can help")
    assert c.responder_id == asker.pk
    assert client_for(asker).patch(_url(c), {"status": "accepted"}).status_code == 200
    assert client_for(asker).patch(_url(c), {"status": "completed"}).status_code == 200
    assert client_for(helper).patch(_url(c), {"status": "completed"}).status_code == 200  # no-op
    assert User.objects.get(pk=helper.pk).helped_count == 1
    assert User.objects.get(pk=asker.pk).helped_count == 0


def test_completing_a_direct_connection_helps_the_responder():
    a, b = UserFactory(), UserFactory()
    c = connection_create(initiator=a, responder=b.pk, initial_message="hello")
    connection_transition(connection=c, actor=b, status="accepted")
    connection_transition(connection=c, actor=a, status="completed")
    assert (User.objects.get(pk=b.pk).helped_count, User.objects.get(pk=a.pk).helped_count) == (1, 0)


def test_non_completion_moves_do_not_touch_helped_count():
    c = _make("initiated")
    for actor, status in [(c.responder, "accepted"), (c.initiator, "cancelled")]:
        assert client_for(actor).patch(_url(c), {"status": status}).status_code == 200
    assert User.objects.get(pk=c.responder_id).helped_count == 0
    assert Connection.objects.get(pk=c.pk).completed_at is None


def test_updated_event_to_both_with_previous_status():
    c = _make("initiated")
    resp = client_for(c.responder).patch(_url(c), {"status": "accepted"})
    events = list(Event.objects.filter(type="connection.updated").order_by("user_id"))
    assert [e.user_id for e in events] == sorted([c.initiator_id, c.responder_id])
    for e in events:
        assert e.data["previous_status"] == "initiated"
        assert e.data["connection"] == resp.data
    # Besides, only the initiator's "accepted" notification (docs/notifications.md).
    others = list(Event.objects.exclude(type="connection.updated").values_list("user_id", "type"))
    assert others == [(c.initiator_id, "notification.created")]


def test_rolled_back_transition_emits_nothing():
    c = _make("accepted")
    with pytest.raises(RuntimeError), transaction.atomic():
        connection_transition(connection=c, actor=c.initiator, status="completed")
        raise RuntimeError("abort")
    assert not Event.objects.exists()
    assert User.objects.get(pk=c.responder_id).helped_count == 0
    assert Connection.objects.get(pk=c.pk).status == "accepted"


def test_transition_uses_fresh_state_not_the_callers_copy():
    c = _make("accepted")
    stale = Connection.objects.get(pk=c.pk)
    connection_transition(connection=c, actor=c.initiator, status="completed")
    # The stale copy still says "accepted"; the service locks and re-reads, so this is a no-op.
    connection_transition(connection=stale, actor=c.responder, status="completed")
    assert User.objects.get(pk=c.responder_id).helped_count == 1
    with pytest.raises(Conflict):
        connection_transition(connection=stale, actor=c.initiator, status="cancelled")


# --- price -------------------------------------------------------------------------------------
# The price is agreed through proposals (tests/collective/test_negotiation.py has their rules);
# these are the connection's side: accepting sets it with one event to both, PATCH refuses it,
# and a paid connection's work starts only once it is paid.


def _agree(c: Connection, proposer: User, answerer: User, amount_cents: int, currency: str = "usd") -> dict:
    base = f"/api/v1/connections/{c.pk}/proposals/"
    p = client_for(proposer).post(base, {"amount_cents": amount_cents, "currency": currency}, format="json")
    assert p.status_code == 201, p.data
    resp = client_for(answerer).post(f"{base}{p.data['id']}/accept/", {}, format="json")
    assert resp.status_code == 200, resp.data
    return resp.data["connection"]


def test_either_participant_agrees_a_price_through_a_proposal_with_event():
    c = _make("discussing")
    connection = _agree(c, c.initiator, c.responder, 5000)
    assert connection["agreed_price_cents"] == 5000
    events = list(Event.objects.filter(type="connection.updated", data__connection__agreed_price_cents=5000))
    assert len(events) == 2 and all(e.data["previous_status"] == "discussing" for e in events)
    assert {e.user_id for e in events} == {c.initiator_id, c.responder_id}
    connection = _agree(c, c.responder, c.initiator, 4000, "cad")
    assert (connection["agreed_price_cents"], connection["currency"]) == (4000, "cad")
    # The same price again through the service changes nothing and says nothing.
    Event.objects.all().delete()
    connection_set_price(connection=c, actor=c.initiator, agreed_price_cents=4000, currency="cad")
    assert not Event.objects.exists()


@pytest.mark.parametrize("body", [{"agreed_price_cents": 700}, {"agreed_price_cents": 700, "status": "accepted"}])
def test_patch_with_a_price_is_refused_and_changes_nothing(body):
    c = _make("discussing")
    resp = client_for(c.responder).patch(_url(c), body, format="json")
    assert resp.status_code == 400
    assert resp.data["code"] == "price_set_by_proposal" and "agreed_price_cents" in resp.data["fields"]
    c.refresh_from_db()
    assert c.agreed_price_cents is None and c.status == "discussing"
    assert not Event.objects.exists()


@pytest.mark.parametrize("status", FINAL)
def test_price_is_frozen_when_final(status):
    c = _make(status)
    resp = client_for(c.initiator).post(f"/api/v1/connections/{c.pk}/proposals/", {"amount_cents": 100})
    assert resp.status_code == 409 and resp.data["code"] == "connection_final"
    with pytest.raises(Conflict):
        connection_set_price(connection=c, actor=c.responder, agreed_price_cents=100)


@pytest.mark.parametrize("value", [-1, 2**31, "ten", 1.5])
def test_bad_price_is_refused_by_the_service(value):
    c = _make("discussing")
    with pytest.raises(DomainError) as info:
        connection_set_price(connection=c, actor=c.initiator, agreed_price_cents=value)
    assert info.value.field == "agreed_price_cents"


@pytest.mark.parametrize("target", ["in_progress", "completed"])
def test_an_accepted_price_needs_payment_before_work_starts(target):
    c = _make("accepted")
    _agree(c, c.responder, c.initiator, 2500)
    Event.objects.all().delete()
    resp = client_for(c.initiator).patch(_url(c), {"status": target})
    assert resp.status_code == 409 and resp.data["code"] == "payment_required"
    c.refresh_from_db()
    assert c.status == "accepted" and not Event.objects.exists()
    # Once the payments app records the payment (setup here, through the ORM), work may start.
    Connection.objects.filter(pk=c.pk).update(payment_status="paid")
    resp = client_for(c.initiator).patch(_url(c), {"status": target})
    assert resp.status_code == 200 and resp.data["status"] == target


def test_a_free_connection_starts_without_payment():
    c = _make("accepted")
    resp = client_for(c.responder).patch(_url(c), {"status": "in_progress"})
    assert resp.status_code == 200 and resp.data["status"] == "in_progress"
    assert resp.data["payment_status"] == "none" and resp.data["agreed_price_cents"] is None


# --- ratings -----------------------------------------------------------------------------------


def test_rating_by_each_side_lands_in_its_own_field():
    c = _make("completed")
    resp = client_for(c.initiator).post(_url(c) + "rate/", {"rating": 4, "feedback": "Great help"})
    assert resp.status_code == 200, resp.data
    assert (resp.data["initiator_rating"], resp.data["initiator_feedback"]) == (4, "Great help")
    assert resp.data["responder_rating"] is None
    resp = client_for(c.responder).post(_url(c) + "rate/", {"rating": 5})
    assert resp.status_code == 200
    assert (resp.data["initiator_rating"], resp.data["responder_rating"]) == (4, 5)
    events = list(Event.objects.filter(type="connection.updated").order_by("seq", "user_id"))
    assert len(events) == 4
    assert {e.user_id for e in events} == {c.initiator_id, c.responder_id}
    assert all(e.data["previous_status"] == "completed" for e in events)


def test_rating_twice_is_409():
    c = _make("completed")
    assert client_for(c.responder).post(_url(c) + "rate/", {"rating": 3}).status_code == 200
    again = client_for(c.responder).post(_url(c) + "rate/", {"rating": 1})
    assert again.status_code == 409 and again.data["code"] == "already_rated"
    assert Connection.objects.get(pk=c.pk).responder_rating == 3


@pytest.mark.parametrize("status", ["initiated", "discussing", "accepted", "in_progress", "declined", "cancelled"])
def test_rating_before_completion_is_409(status):
    c = _make(status)
    resp = client_for(c.initiator).post(_url(c) + "rate/", {"rating": 5})
    assert resp.status_code == 409 and resp.data["code"] == "not_completed"
    assert not Event.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -3, "five", None])
def test_rating_out_of_range_is_400(rating):
    c = _make("completed")
    resp = client_for(c.initiator).post(_url(c) + "rate/", {"rating": rating}, format="json")
    assert resp.status_code == 400 and "rating" in resp.data["fields"]
    assert Connection.objects.get(pk=c.pk).initiator_rating is None


def test_rate_service_checks_range_itself():
    c = _make("completed")
    from core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        connection_rate(connection=c, actor=c.initiator, rating=9)
    assert exc.value.code == "invalid_rating"
