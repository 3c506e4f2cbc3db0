"""Ava's onboarding, walked through the member's socket: every branch of seed 001 §3.2."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from collective.models import Ask, Offer, PointsTransaction, User
from collective.models.points import PointsAction
from messaging.models import Message
from onboarding.models import OnboardingSession
from tests.factories import UserFactory

from .conftest import conversation, send

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _created(user) -> tuple[list, list]:
    asks = list(Ask.objects.filter(user=user).order_by("pk").values_list("title", "ask_type", "category__slug"))
    offers = list(
        Offer.objects.filter(user=user)
        .order_by("pk")
        .values_list("title", "offer_type", "category__slug", "status", "external_url")
    )
    return asks, offers


@database_sync_to_async
def _onboarding_points(user) -> list[int]:
    return list(
        PointsTransaction.objects.filter(user=user, action=PointsAction.COMPLETE_ONBOARDING).values_list(
            "amount", flat=True
        )
    )


@database_sync_to_async
def _count_messages(thread_id: int) -> int:
    return Message.objects.filter(thread_id=thread_id).count()


async def test_chips_only_run_creates_each_thing_once(categories):
    user = await database_sync_to_async(UserFactory)()
    c = await conversation(user)
    state = await c.start()
    assert state["status"] == "in_progress" and state["step"] == "welcome" and state["ava"]["username"] == "ava"
    (welcome,) = await c.ava()
    assert welcome["id"] == state["message"] and welcome["body"].startswith("Welcome to All Thrive")
    assert welcome["actions"] == [
        {"id": "continue", "type": "button", "label": "Continue →", "submit_label": "Continue →"}
    ]

    state = await c.answer(welcome)
    ack, asks_q = await c.ava()
    assert state["step"] == "asks" and asks_q["id"] == state["message"]
    chips = asks_q["actions"][0]
    assert chips["type"] == "chips" and chips["multiple"] and chips["free_text"]
    assert [o["id"] for o in chips["options"]][:2] == ["feedback", "beta_testers"]

    state = await c.answer(asks_q, values=["beta_testers", "learning"])
    ack, offers_q = await c.ava()
    assert ack["body"] == "Got it: Beta testers for my project, Learning a new skill (AI, coding, marketing)."
    assert state["step"] == "offers" and len(state["asks"]) == 2

    state = await c.answer(offers_q, values=["skill-code-review", "skill-introductions"])
    ack, respect_q = await c.ava()  # skills: no follow-up
    assert ack["body"] == "Got it: Code review, Introductions/connections."
    assert state["step"] == "respect" and respect_q["body"].startswith("Finally, Respect.")
    assert respect_q["actions"][0]["id"] == "agree"

    state = await c.answer(respect_q)
    ack, summary = await c.ava()
    assert state["status"] == "completed" and state["step"] == "complete"
    assert state["agreed_at"] and state["completed_at"] and state["guidelines_version"]
    assert "Your profile now shows 2 offers and 2 asks" in summary["body"]
    assert summary["actions"][0]["id"] == "enter" and summary["id"] == state["message"]

    asks, offers = await _created(user)
    assert asks == [
        ("Beta testers for my project", "beta_tester", "development"),
        ("Learning a new skill", "learning", "learning-education"),
    ]
    assert offers == [
        ("Code review", "feedback", "development", "active", ""),
        ("Introductions/connections", "skill", "sales-outreach", "active", ""),
    ]
    assert await _onboarding_points(user) == [25]

    # A second run creates nothing twice: start changes nothing, old answers are refused.
    before = await _count_messages(state["thread"])
    again = await c.start()
    assert again == state
    assert (await c.answer(summary, "enter")) == state  # the final button: 200, nothing changes
    await c.answer(welcome, status=409)
    await c.answer(asks_q, values=["feedback"], status=409)
    await c.answer(respect_q, status=409)
    assert await c.comm.receive_nothing(timeout=0.3) or True
    assert await _count_messages(state["thread"]) == before
    assert await _created(user) == (asks, offers)
    assert await _onboarding_points(user) == [25]
    await c.comm.disconnect()


async def test_typed_answers_in_the_thread(categories):
    user = await database_sync_to_async(UserFactory)()
    c = await conversation(user)
    state = await c.start()
    thread = state["thread"]
    await c.ava()
    await c.type(thread, "Hi Ava!")
    ack, asks_q = await c.ava()
    assert ack["body"] == "Great — let's go."
    await c.type(thread, "Find a designer for my landing page\ntool recommendations")
    ack, offers_q = await c.ava()
    assert ack["body"] == "Got it: Tool recommendations, Find a designer for my landing page."
    await c.type(thread, "Pairing sessions on Django")
    ack, respect_q = await c.ava()
    assert ack["body"] == "Got it: Pairing sessions on Django."
    await c.type(thread, "hmm, let me think")
    (hint,) = await c.ava(until_actions=False)
    assert "I agree" in hint["body"] and not hint["actions"]
    await c.type(thread, "I agree!")
    ack, summary = await c.ava()
    assert "Your profile now shows 1 offer and 2 asks" in summary["body"]
    asks, offers = await _created(user)
    assert asks == [
        ("Tool recommendations", "advice", "operations"),
        ("Find a designer for my landing page", "advice", "other"),  # typed: advice in "other"
    ]
    assert offers == [("Pairing sessions on Django", "skill", "other", "active", "")]  # typed: a skill
    state = (await c.get("/api/v1/onboarding/")).json()
    assert state["status"] == "completed" and await _onboarding_points(user) == [25]
    # After completion a typed message is just a message: Ava says nothing more.
    await c.type(thread, "thanks!")
    assert await c.comm.receive_nothing(timeout=0.5) or True
    assert not [m for m in await _ava_messages_after(summary["id"], thread)]
    await c.comm.disconnect()


@database_sync_to_async
def _ava_messages_after(message_id: int, thread: int) -> list:
    ava = User.objects.get(username="ava")
    return list(Message.objects.filter(thread_id=thread, sender=ava, pk__gt=message_id))


async def test_link_and_service_follow_ups(categories):
    user = await database_sync_to_async(UserFactory)()
    c = await conversation(user)
    state = await c.start()
    thread = state["thread"]
    (welcome,) = await c.ava()
    await c.answer(welcome)
    _, asks_q = await c.ava()
    await c.answer(asks_q, values=["feedback"], text="Someone to review my pitch deck")
    _, offers_q = await c.ava()
    state = await c.answer(
        offers_q, values=["built-app", "built-course", "service-consulting", "skill-design-feedback"]
    )
    ack, link_q = await c.ava()
    assert ack["body"] == "Got it: An app or tool, A course or tutorial, Consulting or coaching, Design feedback."
    assert state["step"] == "offer_details"
    assert link_q["body"] == "Nice! Paste a link and I'll create a page for you:"
    assert link_q["actions"] == [
        {
            "id": "link",
            "type": "text",
            "label": "An app or tool",
            "placeholder": "https://myapp.com",
            "submit_label": "Import →",
        }
    ]
    # Not a link: 400 naming the field; the question stays.
    r = await c.answer(link_q, text="my great app", status=400)
    assert r["code"] == "invalid_link" and "text" in r["fields"]
    # A link typed in the thread (no scheme: https is assumed).
    await c.type(thread, "myapp.com")
    ack, course_q = await c.ava()
    assert ack["body"] == "Got it: I created a page for https://myapp.com."
    assert course_q["actions"][0]["label"] == "A course or tutorial"
    r = await c.answer(course_q, status=400)
    assert r["code"] == "text_required" and "text" in r["fields"]
    await c.answer(course_q, text="https://learn.example.org/course")
    _, service_q = await c.ava()
    assert service_q["body"].startswith("What do you help people with?")
    assert service_q["actions"][0]["type"] == "text" and service_q["actions"][0]["placeholder"] == "I help with..."
    state = await c.answer(service_q, text="AI strategy for startups")
    ack, respect_q = await c.ava()
    assert ack["body"] == "Got it: you help people with AI strategy for startups."
    assert state["step"] == "respect"
    state = await c.answer(respect_q)
    _, summary = await c.ava()
    assert "Your profile now shows 4 offers and 2 asks" in summary["body"]
    asks, offers = await _created(user)
    assert asks == [
        ("Feedback on something I'm building", "feedback", "development"),
        ("Someone to review my pitch deck", "advice", "other"),
    ]
    assert offers == [
        ("Design feedback", "feedback", "creative-design", "active", ""),  # a skill: at once
        ("My app or tool: myapp.com", "app", "development", "active", "https://myapp.com"),
        (
            "My course or tutorial: learn.example.org",
            "course",
            "learning-education",
            "active",
            "https://learn.example.org/course",
        ),
        ("Consulting or coaching: AI strategy for startups", "service", "other", "active", ""),
    ]
    assert sorted(state["offers"]) == sorted(
        await database_sync_to_async(lambda: list(Offer.objects.filter(user=user).values_list("pk", flat=True)))()
    )
    assert await _onboarding_points(user) == [25]
    await c.comm.disconnect()


async def test_skip_and_resume_after_a_reconnect():
    user = await database_sync_to_async(UserFactory)()
    c = await conversation(user)
    await c.start()
    (welcome,) = await c.ava()
    await c.answer(welcome)
    _, asks_q = await c.ava()
    seen = c.last_event_id
    state = (await c.post("/api/v1/onboarding/skip/")).json()
    assert state["status"] == "skipped" and state["step"] == "asks" and state["skipped_at"]
    await c.comm.disconnect()

    # The tab comes back: start resumes at the same step, and a new socket replays what was missed.
    state = await c.start()
    assert state["status"] == "in_progress" and state["step"] == "asks" and state["message"] != asks_q["id"]
    c2 = await conversation(user)
    c2.ava_id = c.ava_id
    await send(c2.comm, {"type": "resume", "last_event_id": seen})
    back, asks_again = await c2.ava()
    assert back["body"] == "Welcome back! Let's pick up where we left off."
    assert asks_again["id"] == state["message"] and asks_again["actions"] == asks_q["actions"]
    frame = await c2.comm.receive_json_from(timeout=3)
    while frame["type"] != "resumed":
        frame = await c2.comm.receive_json_from(timeout=3)
    # The question asked before the skip is no longer the one to answer.
    r = await c2.answer(asks_q, values=["advice"], status=409)
    assert r["code"] == "already_answered"
    state = await c2.answer(asks_again, values=["advice"])
    assert state["step"] == "offers" and len(state["asks"]) == 1
    # A start while in progress changes nothing (a closed tab resumes where it was).
    assert (await c2.start())["message"] == state["message"]
    assert await c2.comm.receive_nothing(timeout=0.3) or True
    assert await database_sync_to_async(OnboardingSession.objects.filter(user=user).count)() == 1
    await c2.comm.disconnect()
