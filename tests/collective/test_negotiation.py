"""Price negotiation on a connection (collective.services.negotiation, docs/connections.md
"Negotiation"): proposals, counters, revisions, accept/decline/withdraw, who may do what, the
history, and what each step causes: `connection.updated` to both participants, the step in the
connection's thread, a `price_proposal` notification to the other participant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from collective.models import Connection, PriceProposal
from collective.services.connections import connection_create
from collective.services.negotiation import (
    money_text,
    proposal_accept,
    proposal_create,
    proposal_decline,
    proposal_withdraw,
)
from core.errors import Conflict, DomainError, NotFound
from messaging.models import Message
from notifications.models import Notification
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db
SITE = "http://testserver.example"


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = SITE


def _make(status: str = "discussing") -> Connection:
    c = connection_create(initiator=UserFactory(), offer=OfferFactory(), initial_message="hello")
    Connection.objects.filter(pk=c.pk).update(status=status)
    c.refresh_from_db()
    Event.objects.all().delete()
    Notification.objects.all().delete()
    return c


def _url(c: Connection, tail: str = "") -> str:
    return f"/api/v1/connections/{c.pk}/proposals/{tail}"


def _propose(c: Connection, actor, **data):
    return client_for(actor).post(_url(c), {"amount_cents": 5000, **data}, format="json")


def _answer(c: Connection, actor, proposal_id: int, verb: str, **data):
    return client_for(actor).post(_url(c, f"{proposal_id}/{verb}/"), data, format="json")


def _updated_to(c: Connection) -> list[int]:
    return sorted(Event.objects.filter(type="connection.updated").values_list("user_id", flat=True))


def _thread_bodies(c: Connection) -> list[tuple[int, str]]:
    return [(m.sender_id, m.body) for m in Message.objects.filter(thread_id=c.dm_thread_id).order_by("pk")][1:]


def _step_effects_reset() -> None:
    """Forget the events so far: a test then sees only the next step's."""
    Event.objects.all().delete()


# --- proposing ----------------------------------------------------------------------------------


def test_propose_answers_the_representation_and_tells_both_the_thread_and_the_other():
    c = _make()
    resp = _propose(c, c.initiator, amount_cents=5000, scope="A logo, two rounds", message="Does this work?")
    assert resp.status_code == 201, resp.data
    body = resp.data
    assert set(body) == {
        "id",
        "connection",
        "proposer",
        "amount_cents",
        "currency",
        "scope",
        "message",
        "status",
        "replaces",
        "responded_by",
        "responded_at",
        "created_at",
    }
    assert (body["connection"], body["proposer"]["id"], body["amount_cents"], body["currency"]) == (
        c.pk,
        c.initiator_id,
        5000,
        "usd",
    )
    assert body["status"] == "pending"
    assert (body["replaces"], body["responded_by"], body["responded_at"]) == (None, None, None)
    # The price is not agreed by a proposal.
    c.refresh_from_db()
    assert c.agreed_price_cents is None
    # connection.updated to both participants.
    assert _updated_to(c) == sorted([c.initiator_id, c.responder_id])
    # The step in the thread, from the proposer.
    assert _thread_bodies(c) == [(c.initiator_id, "Proposed $50.00 USD for: A logo, two rounds — Does this work?")]
    # A notification to the other participant only, with a link to the connection page.
    note = Notification.objects.get()
    assert (note.recipient_id, note.actor_id, note.kind, note.connection_id) == (
        c.responder_id,
        c.initiator_id,
        "price_proposal",
        c.pk,
    )
    assert note.title == f"@{c.initiator.username} proposed $50.00 USD"
    assert note.body == "Does this work?"
    assert note.url == f"{SITE}/connections/{c.pk}"
    assert note.sms_text == f"@{c.initiator.username} proposed $50.00 USD. Answer in app: {SITE}/connections/{c.pk}"
    assert note.data == {"connection": c.pk, "proposal": body["id"], "action": "proposed"}


def test_one_step_reads_in_order_in_the_others_stream():
    c = _make()
    _propose(c, c.responder)
    types = list(Event.objects.filter(user_id=c.initiator_id).order_by("seq").values_list("type", flat=True))
    assert types == ["connection.updated", "message.created", "notification.created"]


def test_counter_chain_then_accept_keeps_the_history_in_order():
    c = _make()
    first = _propose(c, c.initiator, amount_cents=5000).data
    counter = _propose(c, c.responder, amount_cents=4000, message="A bit less?").data
    assert counter["replaces"] == first["id"]
    again = _propose(c, c.initiator, amount_cents=4500, scope="Logo only").data
    assert again["replaces"] == counter["id"]
    resp = _answer(c, c.responder, again["id"], "accept")
    assert resp.status_code == 200, resp.data
    assert resp.data["proposal"]["status"] == "accepted"
    assert resp.data["connection"]["agreed_price_cents"] == 4500

    history = client_for(c.initiator).get(_url(c))
    assert history.status_code == 200
    rows = history.data["results"]
    assert history.data["count"] == 3
    assert [(r["id"], r["amount_cents"], r["status"]) for r in rows] == [
        (first["id"], 5000, "countered"),
        (counter["id"], 4000, "countered"),
        (again["id"], 4500, "accepted"),
    ]
    assert rows[0]["responded_by"] == c.responder_id and rows[0]["responded_at"] is not None
    assert rows[2]["responded_by"] == c.responder_id
    assert _thread_bodies(c) == [
        (c.initiator_id, "Proposed $50.00 USD"),
        (c.responder_id, "Countered with $40.00 USD — A bit less?"),
        (c.initiator_id, "Countered with $45.00 USD for: Logo only"),
        (c.responder_id, "Accepted $45.00 USD"),
    ]
    # The other participant of each step heard of it (folded per actor while unread).
    to_responder = Notification.objects.get(recipient=c.responder)
    assert to_responder.title == f"@{c.initiator.username} countered with $45.00 USD"
    assert to_responder.repeat_count == 2
    to_initiator = Notification.objects.get(recipient=c.initiator)
    assert to_initiator.title == f"@{c.responder.username} accepted your proposal of $45.00 USD"
    assert to_initiator.sms_text.endswith(f"See it in app: {SITE}/connections/{c.pk}")


def test_history_is_paginated():
    c = _make()
    for amount in range(1, 5):
        _propose(c, c.initiator, amount_cents=amount)
    page = client_for(c.responder).get(_url(c), {"page_size": 3})
    assert page.data["count"] == 4 and len(page.data["results"]) == 3 and page.data["next"]
    assert [r["amount_cents"] for r in page.data["results"]] == [1, 2, 3]


def test_revising_withdraws_ones_own_pending_proposal():
    c = _make()
    first = _propose(c, c.initiator, amount_cents=5000).data
    _step_effects_reset()
    second = _propose(c, c.initiator, amount_cents=4800, message="Rounded down").data
    assert second["replaces"] == first["id"] and second["status"] == "pending"
    old = PriceProposal.objects.get(pk=first["id"])
    assert (old.status, old.responded_by_id) == ("withdrawn", c.initiator_id)
    assert PriceProposal.objects.filter(connection=c, status="pending").count() == 1
    assert _updated_to(c) == sorted([c.initiator_id, c.responder_id])
    assert _thread_bodies(c)[-1] == (c.initiator_id, "Revised the proposal to $48.00 USD — Rounded down")
    # The responder's unread notification is the one item, updated.
    note = Notification.objects.get(recipient=c.responder)
    assert note.repeat_count == 2 and note.title == f"@{c.initiator.username} revised their proposal to $48.00 USD"
    assert Event.objects.filter(user_id=c.responder_id, type="notification.updated").count() == 1


# --- answering ---------------------------------------------------------------------------------


def test_accept_sets_price_and_currency_and_tells_both():
    c = _make()
    p = _propose(c, c.responder, amount_cents=12345, currency="eur").data
    _step_effects_reset()
    resp = _answer(c, c.initiator, p["id"], "accept")
    assert resp.status_code == 200, resp.data
    assert set(resp.data) == {"proposal", "connection"}
    assert (resp.data["connection"]["agreed_price_cents"], resp.data["connection"]["currency"]) == (12345, "eur")
    c.refresh_from_db()
    assert (c.agreed_price_cents, c.currency) == (12345, "eur")
    events = list(Event.objects.filter(type="connection.updated"))
    assert sorted(e.user_id for e in events) == sorted([c.initiator_id, c.responder_id])
    assert all(e.data["connection"]["agreed_price_cents"] == 12345 for e in events)
    assert _thread_bodies(c)[-1] == (c.initiator_id, "Accepted €123.45 EUR")
    note = Notification.objects.get(recipient=c.responder, data__action="accepted")
    assert note.kind == "price_proposal"


def test_accepting_the_price_already_agreed_still_tells_both():
    c = _make()
    p = _propose(c, c.responder, amount_cents=1000).data
    _answer(c, c.initiator, p["id"], "accept")
    p = _propose(c, c.initiator, amount_cents=1000, scope="Same price, more scope").data
    _step_effects_reset()
    assert _answer(c, c.responder, p["id"], "accept").status_code == 200
    assert _updated_to(c) == sorted([c.initiator_id, c.responder_id])


def test_decline_keeps_the_price_and_posts_the_reason():
    c = _make()
    p = _propose(c, c.initiator, amount_cents=5000).data
    _step_effects_reset()
    resp = _answer(c, c.responder, p["id"], "decline", message="Too much for me")
    assert resp.status_code == 200, resp.data
    assert (resp.data["status"], resp.data["responded_by"]) == ("declined", c.responder_id)
    c.refresh_from_db()
    assert c.agreed_price_cents is None
    assert _updated_to(c) == sorted([c.initiator_id, c.responder_id])
    assert _thread_bodies(c)[-1] == (c.responder_id, "Declined the proposal of $50.00 USD: Too much for me")
    note = Notification.objects.get(recipient=c.initiator)
    assert note.title == f"@{c.responder.username} declined your proposal of $50.00 USD"
    assert note.body == "Too much for me"
    # A new proposal may follow.
    assert _propose(c, c.initiator, amount_cents=4000).status_code == 201


def test_withdraw_by_the_proposer_only():
    c = _make()
    p = _propose(c, c.initiator, amount_cents=5000).data
    resp = _answer(c, c.responder, p["id"], "withdraw")
    assert resp.status_code == 409 and resp.data["code"] == "not_your_proposal"
    _step_effects_reset()
    resp = _answer(c, c.initiator, p["id"], "withdraw")
    assert resp.status_code == 200 and resp.data["status"] == "withdrawn"
    assert _updated_to(c) == sorted([c.initiator_id, c.responder_id])
    assert _thread_bodies(c)[-1] == (c.initiator_id, "Withdrew the proposal of $50.00 USD")
    assert Notification.objects.filter(recipient=c.responder, data__action="withdrawn").exists()
    assert not PriceProposal.objects.filter(connection=c, status="pending").exists()


@pytest.mark.parametrize("verb", ["accept", "decline"])
def test_the_proposer_cannot_answer_their_own_proposal(verb):
    c = _make()
    p = _propose(c, c.initiator).data
    _step_effects_reset()
    resp = _answer(c, c.initiator, p["id"], verb)
    assert resp.status_code == 409 and resp.data["code"] == "not_your_proposal_to_answer"
    assert PriceProposal.objects.get(pk=p["id"]).status == "pending"
    assert not Event.objects.exists()


@pytest.mark.parametrize("first", ["accept", "decline"])
@pytest.mark.parametrize("second", ["accept", "decline"])
def test_answering_twice_is_409(first, second):
    c = _make()
    p = _propose(c, c.initiator).data
    assert _answer(c, c.responder, p["id"], first).status_code == 200
    resp = _answer(c, c.responder, p["id"], second)
    assert resp.status_code == 409 and resp.data["code"] == "proposal_not_pending"
    assert _answer(c, c.initiator, p["id"], "withdraw").data["code"] == "proposal_not_pending"


def test_a_countered_proposal_can_no_longer_be_accepted():
    c = _make()
    p = _propose(c, c.initiator, amount_cents=5000).data
    _propose(c, c.responder, amount_cents=4000)
    resp = _answer(c, c.responder, p["id"], "accept")
    assert resp.status_code == 409 and resp.data["code"] == "proposal_not_pending"
    c.refresh_from_db()
    assert c.agreed_price_cents is None


# --- who and when -------------------------------------------------------------------------------


def test_an_outsider_gets_404_everywhere():
    c = _make()
    p = _propose(c, c.initiator).data
    outsider = client_for(UserFactory())
    assert outsider.get(_url(c)).status_code == 404
    assert outsider.post(_url(c), {"amount_cents": 100}, format="json").status_code == 404
    for verb in ("accept", "decline", "withdraw"):
        resp = outsider.post(_url(c, f"{p['id']}/{verb}/"), {}, format="json")
        assert resp.status_code == 404 and resp.data["code"] == "not_found", verb
    assert PriceProposal.objects.get(pk=p["id"]).status == "pending"


def test_services_refuse_a_non_participant_with_not_found():
    c = _make()
    p = proposal_create(connection=c, actor=c.initiator, amount_cents=100)
    stranger = UserFactory()
    with pytest.raises(NotFound):
        proposal_create(connection=c, actor=stranger, amount_cents=100)
    for service in (proposal_accept, proposal_decline, proposal_withdraw):
        with pytest.raises(NotFound):
            service(proposal=p, actor=stranger)


def test_a_proposal_of_another_connection_is_404():
    c, other = _make(), _make()
    p = _propose(other, other.initiator).data
    resp = _answer(c, c.responder, p["id"], "accept")
    assert resp.status_code == 404


@pytest.mark.parametrize("status", ["completed", "declined", "cancelled"])
def test_nothing_moves_on_a_final_connection(status):
    c = _make()
    p = _propose(c, c.initiator).data
    Connection.objects.filter(pk=c.pk).update(
        status=status, completed_at=timezone.now() if status == "completed" else None
    )
    _step_effects_reset()
    resp = _propose(c, c.responder)
    assert resp.status_code == 409 and resp.data["code"] == "connection_final"
    for actor, verb in ((c.responder, "accept"), (c.responder, "decline"), (c.initiator, "withdraw")):
        resp = _answer(c, actor, p["id"], verb)
        assert resp.status_code == 409 and resp.data["code"] == "connection_final", verb
    assert not Event.objects.exists()


@pytest.mark.parametrize("payment_status", ["pending", "paid", "refund_pending", "refunded", "disputed"])
def test_the_price_is_locked_once_payment_is_under_way(payment_status):
    c = _make("accepted")
    agreed = _propose(c, c.initiator, amount_cents=5000).data
    _answer(c, c.responder, agreed["id"], "accept")
    stale = _propose(c, c.responder, amount_cents=4000).data
    # Setup: the payments app records where the money is.
    Connection.objects.filter(pk=c.pk).update(payment_status=payment_status)
    resp = _propose(c, c.initiator, amount_cents=3000)
    assert resp.status_code == 409 and resp.data["code"] == "price_locked"
    resp = _answer(c, c.initiator, stale["id"], "accept")
    assert resp.status_code == 409 and resp.data["code"] == "price_locked"
    c.refresh_from_db()
    assert c.agreed_price_cents == 5000
    # A proposal that can no longer be accepted may still be declined (or withdrawn).
    assert _answer(c, c.initiator, stale["id"], "decline").status_code == 200


def test_a_failed_payment_reopens_the_negotiation():
    c = _make("accepted")
    Connection.objects.filter(pk=c.pk).update(payment_status="failed")
    assert _propose(c, c.initiator).status_code == 201


# --- limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"amount_cents": 2**31}, "amount_cents"),
        ({"amount_cents": "ten"}, "amount_cents"),
        ({"amount_cents": 1.5}, "amount_cents"),
        ({"amount_cents": None}, "amount_cents"),
        ({"currency": "xyz"}, "currency"),
        ({"scope": "s" * 2001}, "scope"),
        ({"message": "m" * 2001}, "message"),
    ],
)
def test_bad_proposals_are_400_naming_the_field(data, field):
    c = _make()
    resp = client_for(c.initiator).post(_url(c), {"amount_cents": 100, **data}, format="json")
    assert resp.status_code == 400 and field in resp.data["fields"], resp.data
    assert not PriceProposal.objects.exists()


def test_a_missing_amount_is_400():
    c = _make()
    resp = client_for(c.initiator).post(_url(c), {}, format="json")
    assert resp.status_code == 400 and "amount_cents" in resp.data["fields"]


def test_the_limits_themselves_are_accepted():
    c = _make()
    resp = _propose(c, c.initiator, amount_cents=2**31 - 1, currency="gbp", scope="s" * 2000, message="m" * 2000)
    assert resp.status_code == 201, resp.data
    assert Message.objects.filter(thread_id=c.dm_thread_id, body__startswith="Proposed £21,474,836.47 GBP").exists()


def test_a_decline_message_over_the_limit_is_400():
    c = _make()
    p = _propose(c, c.initiator).data
    resp = _answer(c, c.responder, p["id"], "decline", message="m" * 2001)
    assert resp.status_code == 400 and "message" in resp.data["fields"]
    assert PriceProposal.objects.get(pk=p["id"]).status == "pending"


@pytest.mark.parametrize("amount", [0, -5, 2**31, True, "100", 1.0])
def test_the_service_checks_the_amount_itself(amount):
    c = _make()
    with pytest.raises(DomainError) as info:
        proposal_create(connection=c, actor=c.initiator, amount_cents=amount)
    assert info.value.field == "amount_cents"


def test_the_service_checks_currency_scope_and_message():
    c = _make()
    for kwargs, field in (
        ({"currency": "btc"}, "currency"),
        ({"scope": "x" * 2001}, "scope"),
        ({"message": "x" * 2001}, "message"),
    ):
        with pytest.raises(DomainError) as info:
            proposal_create(connection=c, actor=c.initiator, amount_cents=100, **kwargs)
        assert info.value.field == field


def test_the_pending_constraint_is_the_second_line_of_defence(monkeypatch):
    """A pending proposal the service does not see (as if a racing writer slipped past the lock)
    loses on the partial unique index: a 409, and nothing of the step is written."""
    from collective.services import negotiation

    c = _make()
    PriceProposal.objects.create(connection=c, proposer=c.responder, amount_cents=100)
    real = PriceProposal.objects
    real_filter = real.filter

    class Blind:
        def __getattr__(self, name):
            return getattr(real, name)

        def select_for_update(self):
            return self

        def filter(self, **kwargs):
            if kwargs.get("status") == "pending":
                return PriceProposal.objects.none()
            return real_filter(**kwargs)

    monkeypatch.setattr(negotiation.PriceProposal, "objects", Blind(), raising=False)
    with pytest.raises(Conflict) as info:
        proposal_create(connection=c, actor=c.initiator, amount_cents=200)
    monkeypatch.undo()
    assert info.value.code == "proposal_pending"
    assert PriceProposal.objects.filter(connection=c).count() == 1
    assert not Event.objects.exists()


def test_money_is_formatted_exactly_from_cents():
    assert money_text(5000, "usd") == "$50.00 USD"
    assert money_text(5, "gbp") == "£0.05 GBP"
    assert money_text(123456789, "eur") == "€1,234,567.89 EUR"
    assert money_text(2**31 - 1, "cad") == "$21,474,836.47 CAD"


# --- the PATCH no longer sets a price ----------------------------------------------------------


@pytest.mark.parametrize("value", [5000, None, 0])
def test_patching_the_price_is_refused_pointing_at_proposals(value):
    c = _make()
    resp = client_for(c.initiator).patch(f"/api/v1/connections/{c.pk}/", {"agreed_price_cents": value}, format="json")
    assert resp.status_code == 400
    assert resp.data["code"] == "price_set_by_proposal" and "agreed_price_cents" in resp.data["fields"]
    assert "proposals" in resp.data["detail"]
    c.refresh_from_db()
    assert c.agreed_price_cents is None
    assert not Event.objects.exists()


# --- parallel steps (PostgreSQL) --------------------------------------------------------------


def _parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung (deadlock?)"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_parallel_accept_and_counter_give_one_consistent_outcome(round_):
    c = _make()
    p = _propose(c, c.initiator, amount_cents=5000).data
    accept, counter = _parallel(
        [
            lambda: _answer(c, c.responder, p["id"], "accept"),
            lambda: _propose(c, c.responder, amount_cents=4000),
        ]
    )
    c.refresh_from_db()
    first = PriceProposal.objects.get(pk=p["id"])
    assert PriceProposal.objects.filter(connection=c, status="pending").count() <= 1
    if accept.status_code == 200:
        # The accept went first: the price is agreed; the counter then is a new pending proposal.
        assert first.status == "accepted" and c.agreed_price_cents == 5000
        assert counter.status_code == 201 and counter.data["replaces"] is None
    else:
        # The counter went first: the accept finds the proposal countered.
        assert accept.status_code == 409 and accept.data["code"] == "proposal_not_pending"
        assert counter.status_code == 201 and counter.data["replaces"] == p["id"]
        assert first.status == "countered" and c.agreed_price_cents is None
