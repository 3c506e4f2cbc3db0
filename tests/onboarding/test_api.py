"""The onboarding API's refusals and rules, at the REST level (docs/onboarding.md)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.management import call_command

from collective.models import AgentProfile, Ask, Offer, PointsTransaction, User
from collective.models.points import PointsAction
from messaging.models import Message
from onboarding import services
from onboarding.models import OnboardingSession
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db

ANSWER = "/api/v1/onboarding/answer/"


def _current(client) -> dict:
    state = client.get("/api/v1/onboarding/").json()
    return state


def _question(state) -> Message:
    return Message.objects.get(pk=state["message"])


def _answer(client, state, *, status=200, **payload):
    message = _question(state)
    body = {"message": message.pk, "action": message.actions[0]["id"], **payload}
    r = client.post(ANSWER, body, format="json")
    assert r.status_code == status, r.content
    return r.json()


def _finish(client) -> dict:
    state = client.post("/api/v1/onboarding/start/").json()
    state = _answer(client, state)
    state = _answer(client, state, values=["advice"])
    state = _answer(client, state, values=["skill-writing"])
    return _answer(client, state)


def test_ava_and_her_owner_are_created_once():
    call_command("ensure_ava")
    call_command("ensure_ava")
    ava = User.objects.get(username="ava")
    owner = User.objects.get(username="collective")
    assert ava.role == "agent" and not ava.has_usable_password()
    assert owner.is_staff and not owner.has_usable_password() and owner.role != "agent"
    assert AgentProfile.objects.get(user=ava).owner == owner
    assert User.objects.filter(username__in=["ava", "collective"]).count() == 2


def test_first_get_starts_the_onboarding_and_start_is_idempotent():
    user = UserFactory()
    client = client_for(user)
    state = client.get("/api/v1/onboarding/").json()
    assert state["status"] == "in_progress" and state["step"] == "welcome" and state["thread"]
    assert state["ava"]["username"] == "ava" and state["asks"] == [] and state["offers"] == []
    assert state["agreed_at"] is None and state["completed_at"] is None
    assert client.post("/api/v1/onboarding/start/").json() == state
    assert client.get("/api/v1/onboarding/").json() == state
    assert Message.objects.filter(thread_id=state["thread"]).count() == 1
    assert OnboardingSession.objects.filter(user=user).count() == 1


def test_anonymous_is_refused():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/onboarding/").status_code in (401, 403)


def test_wrong_message_and_outsider_are_404():
    user, outsider = UserFactory(), UserFactory()
    client = client_for(user)
    state = client.post("/api/v1/onboarding/start/").json()
    r = client.post(ANSWER, {"message": 999999, "action": "continue"}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    # The outsider, with or without an onboarding of their own, cannot answer the member's question.
    outsider_client = client_for(outsider)
    r = outsider_client.post(ANSWER, {"message": state["message"], "action": "continue"}, format="json")
    assert r.status_code == 404
    outsider_client.post("/api/v1/onboarding/start/")
    r = outsider_client.post(ANSWER, {"message": state["message"], "action": "continue"}, format="json")
    assert r.status_code == 404
    # A message of the member's own in the thread is not one of Ava's.
    mine = client.post(f"/api/v1/threads/{state['thread']}/messages/", {"body": "hi"}).json()
    r = client.post(ANSWER, {"message": mine["id"], "action": "continue"}, format="json")
    assert r.status_code == 404
    assert _current(client)["step"] == "welcome"


def test_invalid_action_option_and_values_are_400_naming_the_field():
    user = UserFactory()
    client = client_for(user)
    state = client.post("/api/v1/onboarding/start/").json()
    r = _answer(client, state, status=400, action="nope")
    assert r["code"] == "invalid_action" and "action" in r["fields"]
    state = _answer(client, state)
    r = _answer(client, state, status=400, values=["advice", "not-a-chip"])
    assert r["code"] == "invalid_option" and "values" in r["fields"] and "not-a-chip" in r["detail"]
    r = client.post(ANSWER, {"message": state["message"]}, format="json")
    assert r.status_code == 400 and "action" in r.json()["fields"]
    r = client.post(ANSWER, {"message": state["message"], "action": "asks", "values": "advice"}, format="json")
    assert r.status_code == 400 and "values" in r.json()["fields"]
    assert not Ask.objects.filter(user=user).exists()
    assert _current(client)["step"] == "asks"


def test_answering_twice_and_after_completion_is_409_and_creates_nothing():
    user = UserFactory()
    client = client_for(user)
    state = client.post("/api/v1/onboarding/start/").json()
    welcome = state["message"]
    state = _answer(client, state)
    r = client.post(ANSWER, {"message": welcome, "action": "continue"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "already_answered"
    state = _answer(client, state, values=["advice"])
    state = _answer(client, state, values=["skill-writing"])
    state = _answer(client, state)
    assert state["status"] == "completed"
    counts = (Ask.objects.count(), Offer.objects.count(), Message.objects.count())
    r = client.post(ANSWER, {"message": welcome, "action": "continue"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "onboarding_completed"
    r = client.post("/api/v1/onboarding/skip/")
    assert r.status_code == 409 and r.json()["code"] == "onboarding_completed"
    assert client.post("/api/v1/onboarding/start/").json() == state
    assert (Ask.objects.count(), Offer.objects.count(), Message.objects.count()) == counts
    awards = PointsTransaction.objects.filter(user=user, action=PointsAction.COMPLETE_ONBOARDING)
    assert [t.amount for t in awards] == [25]
    user.refresh_from_db()
    session = OnboardingSession.objects.get(user=user)
    assert session.guidelines_version == services.guidelines_version() and session.agreed_at


def test_skip_keeps_the_step_and_answering_resumes():
    user = UserFactory()
    client = client_for(user)
    state = client.post("/api/v1/onboarding/start/").json()
    state = _answer(client, state)
    skipped = client.post("/api/v1/onboarding/skip/").json()
    assert skipped["status"] == "skipped" and skipped["step"] == "asks"
    assert client.post("/api/v1/onboarding/skip/").json() == skipped  # idempotent
    state = _answer(client, skipped, values=["advice"])
    assert state["status"] == "in_progress" and state["step"] == "offers"


def test_agents_are_not_onboarded():
    services.ava_ensure()
    r = client_for(User.objects.get(username="ava")).post("/api/v1/onboarding/start/")
    assert r.status_code == 400


def test_completion_suggests_the_best_matches_for_the_asks(monkeypatch):
    helper = UserFactory(username="helpful")
    offer = OfferFactory(user=helper, status="active", title="Advice for first-time founders")
    calls = []

    def fake_matches(*, ask, viewer, limit):
        calls.append((ask.title, viewer.pk, limit))
        return [SimpleNamespace(offer=offer)]

    monkeypatch.setattr(services, "matches_for_ask", fake_matches)
    user = UserFactory()
    client = client_for(user)
    state = _finish(client)
    assert calls == [("Advice or mentorship", user.pk, 3)]
    bodies = list(Message.objects.filter(thread_id=state["thread"]).order_by("pk").values_list("body", flat=True))
    suggestion = Message.objects.get(thread_id=state["thread"], body__startswith="People here")
    assert suggestion.body == (
        "People here who can help with what you asked for:\n"
        "• Advice for first-time founders — by @helpful (for “Advice or mentorship”)"
    )
    assert suggestion.attachments == [{"type": "offer", "id": offer.pk}]
    assert bodies[-1].startswith("You're all set!") and "1 offer and 1 ask" in bodies[-1]


def test_matching_errors_never_block_completion(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("scorer down")

    monkeypatch.setattr(services, "matches_for_ask", broken)
    state = _finish(client_for(UserFactory()))
    assert state["status"] == "completed"


def test_actions_never_come_from_a_request_body():
    user = UserFactory()
    client = client_for(user)
    state = client.post("/api/v1/onboarding/start/").json()
    r = client.post(
        f"/api/v1/threads/{state['thread']}/messages/",
        {"body": "hi", "actions": [{"id": "x", "type": "button", "label": "x", "submit_label": "x"}]},
        format="json",
    )
    assert r.status_code in (201, 400)
    if r.status_code == 201:
        assert r.json()["actions"] is None and Message.objects.get(pk=r.json()["id"]).actions is None
