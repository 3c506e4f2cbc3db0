"""Matching asks with offers (issue 15 item 4, docs/matching.md): the scorer on a realistic fixture
(ranking of known pairs, precision of the top 3), the endpoints, the exclusions (own items, drafts,
archived, blocks), match records, notifications (cap, folding, preferences), `match.created` and
the outcome of a connection made from a match.

Run with `-s` to see the precision printed."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from collective.models import Block, Match, Offer, Taxonomy, TaxonomyType, Tool, UserReputation
from collective.selectors.matching import home_matches, matches_for_ask, matches_for_offer
from collective.services import matching as scorer
from collective.services.connections import connection_create, connection_update
from collective.services.offers import ask_create, offer_create, offer_update
from notifications.models import Notification
from notifications.tasks import notification_sms
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory
from tests.fakes.sms import eager_celery, phone_user, sms_outbox  # noqa: F401

pytestmark = pytest.mark.django_db

CATEGORIES = ["productivity", "development", "ai", "design", "marketing", "business"]
TAGS = [
    "meetings",
    "mobile",
    "habits",
    "ai-strategy",
    "python",
    "agents",
    "ux",
    "seo",
    "notion",
    "react",
    "startup",
    "fundraising",
]
TOOLS = ["zoom", "notion", "figma", "claude", "chatgpt", "webflow"]

# key: (offer_type, category, tags, tools, title, description)
OFFERS = {
    "meetbot": (
        "app",
        "productivity",
        ["meetings"],
        ["zoom", "notion"],
        "Meeting notes bot that summarises your Zoom calls",
        "Joins your Zoom meetings, writes notes and summaries, and sends action items to Notion.",
    ),
    "betatest": (
        "feedback",
        "productivity",
        ["mobile", "habits"],
        [],
        "I'll beta test your mobile app and send a detailed bug report",
        "Experienced QA tester: I test iOS and Android apps (habit trackers, fitness apps) and give "
        "structured feedback on bugs and features.",
    ),
    "aimentor": (
        "mentorship",
        "ai",
        ["ai-strategy", "startup"],
        [],
        "Mentorship in AI product strategy for founders",
        "Former head of product at an AI startup. I mentor founders on AI product strategy, roadmaps and positioning.",
    ),
    "pycourse": (
        "course",
        "development",
        ["python"],
        [],
        "Python for beginners: a 6-week course",
        "Learn Python from scratch: variables, functions, scripts and automation of boring tasks.",
    ),
    "agentscourse": (
        "course",
        "ai",
        ["agents", "python"],
        ["claude"],
        "Build AI agents with Claude: a hands-on course",
        "Learn to build AI agents: tool use, planning and prompt design with Claude.",
    ),
    "uxreview": (
        "feedback",
        "design",
        ["ux"],
        ["figma"],
        "UX review of your landing page",
        "I review landing pages and onboarding flows and send a video with clear UX feedback.",
    ),
    "reactdev": (
        "service",
        "development",
        ["react"],
        [],
        "Freelance React developer for your MVP",
        "I build web app MVPs in React and TypeScript, fast and tested.",
    ),
    "seo": (
        "service",
        "marketing",
        ["seo"],
        [],
        "SEO audit for SaaS websites",
        "A full SEO audit of your website: keywords, technical issues and a content plan for traffic.",
    ),
    "notiontemplate": (
        "template",
        "productivity",
        ["habits", "notion"],
        ["notion"],
        "Notion template for habit tracking",
        "A Notion dashboard to track habits, streaks and weekly goals.",
    ),
    "fundintro": (
        "skill",
        "business",
        ["fundraising", "startup"],
        [],
        "Introductions to seed investors in my network",
        "I know angel and seed investors in fintech and AI, and introduce founders who are fundraising.",
    ),
    "figmadesign": (
        "service",
        "design",
        ["ux", "mobile"],
        ["figma"],
        "Figma designer for your app UI",
        "I design mobile app screens and small design systems in Figma.",
    ),
    "promptpost": (
        "post",
        "ai",
        [],
        ["chatgpt"],
        "10 prompts that make ChatGPT write better emails",
        "A post with prompts for sales and support emails.",
    ),
    "copy": (
        "skill",
        "marketing",
        [],
        [],
        "Copywriting for product launches",
        "Launch copy, landing page text and Product Hunt posts that convert.",
    ),
    "pymentor": (
        "mentorship",
        "development",
        ["python"],
        [],
        "Python code review and mentoring",
        "Weekly mentoring sessions and code review for junior Python developers.",
    ),
    "webflow": (
        "link",
        "design",
        [],
        ["webflow"],
        "My favourite Webflow templates",
        "A list of Webflow templates I use for landing pages.",
    ),
    "habitapp": (
        "app",
        "productivity",
        ["habits"],
        [],
        "Habit tracker app with streaks",
        "A simple habit tracker for iOS with streaks and reminders.",
    ),
}

# key: (ask_type, category, tags, tools, title, description, best offer, relevant offers)
ASKS = {
    "beta": (
        "beta_tester",
        "productivity",
        ["habits", "mobile"],
        [],
        "Need beta testers for my habit tracker app",
        "My habit tracker app for iOS and Android is in beta. Looking for testers to find bugs and "
        "give feedback on the streaks feature.",
        "betatest",
        {"betatest"},
    ),
    "aistrategy": (
        "learning",
        "ai",
        ["ai-strategy", "startup"],
        [],
        "Looking for a mentor in AI product strategy",
        "I'm a founder building an AI startup and want mentoring on product strategy and the roadmap.",
        "aimentor",
        {"aimentor"},
    ),
    "python": (
        "learning",
        "development",
        ["python"],
        [],
        "Want to learn Python to automate my spreadsheets",
        "Complete beginner: I want to learn Python scripts for the automation of boring tasks.",
        "pycourse",
        {"pycourse", "pymentor"},
    ),
    "react": (
        "hire",
        "development",
        ["react"],
        [],
        "Hiring a React developer to build our MVP",
        "We need a freelance developer to build a web app MVP in React.",
        "reactdev",
        {"reactdev"},
    ),
    "landing": (
        "feedback",
        "design",
        ["ux"],
        ["figma"],
        "Feedback on my landing page UX",
        "Please review my landing page and onboarding flow and tell me what is confusing.",
        "uxreview",
        {"uxreview"},
    ),
    "investors": (
        "introduction",
        "business",
        ["fundraising"],
        [],
        "Introduction to seed investors for our fintech startup",
        "We're fundraising our seed round and want introductions to angel investors.",
        "fundintro",
        {"fundintro"},
    ),
    "seo": (
        "advice",
        "marketing",
        ["seo"],
        [],
        "Advice on SEO for my SaaS website",
        "Traffic is flat; I need advice on SEO, keywords and content for my website.",
        "seo",
        {"seo"},
    ),
    "designer": (
        "collaborator",
        "design",
        ["ux", "mobile"],
        ["figma"],
        "Designer to collaborate on a mobile app UI",
        "Looking for a designer to collaborate on mobile app screens in Figma.",
        "figmadesign",
        {"figmadesign"},
    ),
    "agents": (
        "learning",
        "ai",
        ["agents"],
        ["claude"],
        "Learn to build AI agents",
        "I want to learn how to build AI agents with tool use.",
        "agentscourse",
        {"agentscourse"},
    ),
}


@pytest.fixture
def world():
    categories = {
        slug: Taxonomy.objects.create(taxonomy_type=TaxonomyType.OFFER_CATEGORY, name=slug.title(), slug=slug)
        for slug in CATEGORIES
    }
    tags = {slug: Taxonomy.objects.create(taxonomy_type=TaxonomyType.TOPIC, name=slug, slug=slug) for slug in TAGS}
    tools = {slug: Tool.objects.create(name=slug.title(), slug=slug, tagline="A tool") for slug in TOOLS}
    now = timezone.now()
    offers = {}
    for key, (kind, category, tag_slugs, tool_slugs, title, description) in OFFERS.items():
        owner = UserFactory(username=f"o_{key}", last_login=now - dt.timedelta(days=2))
        offer = OfferFactory(
            user=owner,
            offer_type=kind,
            category=categories[category],
            title=title,
            description=description,
            published_at=now,
        )
        offer.tags.set([tags[t] for t in tag_slugs])
        offer.tools.set([tools[t] for t in tool_slugs])
        offers[key] = offer
    UserReputation.objects.create(
        user=offers["betatest"].user, score=150, raw_score=150, tier="trusted", last_activity_at=now
    )
    asks = {}
    for key, (kind, category, tag_slugs, tool_slugs, title, description, _best, _rel) in ASKS.items():
        ask = AskFactory(
            user=UserFactory(username=f"a_{key}"),
            ask_type=kind,
            category=categories[category],
            title=title,
            description=description,
        )
        ask.tags.set([tags[t] for t in tag_slugs])
        ask.tools.set([tools[t] for t in tool_slugs])
        asks[key] = ask
    return {"offers": offers, "asks": asks, "categories": categories, "tags": tags, "tools": tools}


def _key(world, offer) -> str:
    return next(k for k, o in world["offers"].items() if o.pk == offer.pk)


# --- the scorer ---------------------------------------------------------------------------------


def test_stemming_and_stopwords_are_deterministic():
    assert scorer.tokens("Need beta testers for my habit tracker app") == {"beta", "test", "habit", "track", "app"}
    assert scorer.stem("summarises") == scorer.stem("summarizes") == scorer.stem("summary")
    assert scorer.stem("mentoring") == scorer.stem("mentors") == scorer.stem("mentorship") == "mentor"
    assert scorer.text_similarity(frozenset(), frozenset({"a"})) == 0.0


def test_the_type_table_reads_both_ways():
    assert scorer.offer_types_for("beta_tester")[0] == "feedback"
    assert set(scorer.offer_types_for("learning")) >= {"course", "mentorship", "template"}
    assert scorer.offer_types_for("hire") == ["service", "skill"]
    assert "learning" in scorer.ask_types_for("course") and "hire" in scorer.ask_types_for("service")
    assert scorer.type_affinity("hire", "course") == 0.0


def test_no_relevance_no_match_however_good_the_helper():
    ask = scorer.side(kind="hire", category=None, tags=[], tools=[], text="Plumber for my kitchen")
    offer = scorer.side(kind="course", category=None, tags=[], tools=[], text="Watercolour painting course")
    great = scorer.Helper(reputation=500, tier="exemplary", last_active_at=timezone.now())
    assert scorer.score_pair(ask, offer, great, now=timezone.now()).score == 0.0


def test_known_pairs_rank_first_and_precision_at_3(world):
    hits, precisions = 0, []
    for key, (*_, best, relevant) in ASKS.items():
        ask = world["asks"][key]
        found = matches_for_ask(ask=ask, viewer=ask.user, limit=3)
        ranked = [_key(world, m.offer) for m in found]
        assert ranked, key
        assert ranked[0] == best, (key, ranked, [m.score for m in found])
        hits += ranked[0] == best
        precisions.append(len(set(ranked) & relevant) / min(3, len(relevant)))
        assert all(m.reasons for m in found)
        assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    precision = sum(precisions) / len(precisions)
    print(
        f"\nmatching fixture: {len(OFFERS)} offers, {len(ASKS)} asks; "
        f"top-1 hits {hits}/{len(ASKS)}; precision@3 {precision:.3f}"
    )
    assert precision >= 0.9


def test_reasons_name_type_category_tags_tools_and_words(world):
    ask = world["asks"]["designer"]
    best = matches_for_ask(ask=ask, viewer=ask.user, limit=1)[0]
    text = " | ".join(best.reasons)
    for piece in (
        "type: a service offer answers a collaborator ask",
        "same category: Design",
        "shared tags: mobile, ux",
    ):
        assert piece in text
    assert "shared tools: figma" in text and "words in common:" in text


def test_offer_to_asks(world):
    offer = world["offers"]["betatest"]
    found = matches_for_offer(offer=offer, viewer=offer.user, limit=5)
    assert found[0].ask.pk == world["asks"]["beta"].pk


# --- exclusions ---------------------------------------------------------------------------------


def test_own_drafts_archived_inactive_and_blocked_are_never_matched(world):
    ask = world["asks"]["beta"]
    asker = ask.user
    base = OFFERS["betatest"]
    twin = {"offer_type": "feedback", "category": world["categories"]["productivity"], "description": base[5]}
    own = OfferFactory(user=asker, title="Beta test habit tracker apps", **twin)
    draft = OfferFactory(title="Beta testing for habit tracker apps", status="draft", **twin)
    archived = OfferFactory(title="Beta testers for habit tracker apps", status="archived", is_archived=True, **twin)
    paused = OfferFactory(title="Beta tester for habit tracker apps", status="paused", **twin)
    gone = OfferFactory(title="Tester of habit tracker apps", user=UserFactory(is_active=False), **twin)
    blocker = OfferFactory(title="I beta test habit tracker apps", **twin)
    Block.objects.create(blocker=blocker.user, blocked=asker)
    blocked = OfferFactory(title="Habit tracker beta tests", **twin)
    Block.objects.create(blocker=asker, blocked=blocked.user)
    found = {m.offer.pk for m in matches_for_ask(ask=ask, viewer=asker, limit=20)}
    assert world["offers"]["betatest"].pk in found
    assert not found & {own.pk, draft.pk, archived.pk, paused.pk, gone.pk, blocker.pk, blocked.pk}
    # And the other way: the blocker's offer finds no ask of the person it blocked.
    assert ask.pk not in {m.ask.pk for m in matches_for_offer(offer=blocker, viewer=blocker.user, limit=20)}
    # A closed ask has no matches.
    ask.status = "closed"
    ask.save()
    assert matches_for_ask(ask=ask, viewer=asker) == []


# --- the API ------------------------------------------------------------------------------------


def test_ask_matches_endpoint_owner_only(world, api_client):
    ask = world["asks"]["aistrategy"]
    resp = client_for(ask.user).get(f"/api/v1/asks/{ask.pk}/matches/?limit=2")
    assert resp.status_code == 200
    results = resp.data["results"]
    assert len(results) <= 2 and results[0]["offer"]["id"] == world["offers"]["aimentor"].pk
    assert set(results[0]) == {"offer", "score", "reasons"}
    assert set(results[0]["offer"]) == {"id", "slug", "title", "offer_type", "status", "user_id"}
    assert client_for(UserFactory()).get(f"/api/v1/asks/{ask.pk}/matches/").status_code == 404
    assert client_for(ask.user).get("/api/v1/asks/999999/matches/").status_code == 404
    assert api_client.get(f"/api/v1/asks/{ask.pk}/matches/").status_code == 401
    many = client_for(ask.user).get(f"/api/v1/asks/{ask.pk}/matches/?limit=500").data["results"]
    assert len(many) <= 20


def test_offer_matches_endpoint_owner_only(world):
    offer = world["offers"]["reactdev"]
    resp = client_for(offer.user).get(f"/api/v1/offers/{offer.pk}/matches/")
    assert resp.status_code == 200
    assert resp.data["results"][0]["ask"]["id"] == world["asks"]["react"].pk
    assert set(resp.data["results"][0]) == {"ask", "score", "reasons"}
    assert client_for(world["asks"]["react"].user).get(f"/api/v1/offers/{offer.pk}/matches/").status_code == 404


def test_home_shows_matches_for_you(world):
    asker = world["asks"]["python"].user
    home = client_for(asker).get("/api/v1/home/").data
    assert home["matches"] and len(home["matches"]) <= 5
    assert home["matches"][0]["offer"]["id"] == world["offers"]["pycourse"].pk
    assert home["matches"][0]["ask"]["id"] == world["asks"]["python"].pk
    assert client_for(UserFactory()).get("/api/v1/home/").data["matches"] == []
    assert len(home_matches(user=asker)) == len(home["matches"])


# --- records, notifications, realtime -----------------------------------------------------------


def _new_ask(user, world, django_capture_on_commit_callbacks, **data):
    payload = {
        "title": "Need beta testers for my habit tracker app",
        "description": "Looking for testers for my iOS habit tracker app: bugs and feedback on streaks.",
        "ask_type": "beta_tester",
        "category": world["categories"]["productivity"],
        "tags": [world["tags"]["habits"], world["tags"]["mobile"]],
        **data,
    }
    with django_capture_on_commit_callbacks(execute=True):
        return ask_create(user=user, data=payload)


def test_a_new_ask_notifies_the_owners_of_its_best_offers(world, django_capture_on_commit_callbacks):
    asker = UserFactory()
    ask = _new_ask(asker, world, django_capture_on_commit_callbacks)
    matches = list(Match.objects.filter(ask=ask).order_by("-score"))
    assert matches and len(matches) <= 3
    best = matches[0]
    assert best.offer_id == world["offers"]["betatest"].pk and best.notified_at is not None
    owner = best.offer.user
    assert best.notified_user_id == owner.pk
    note = Notification.objects.get(recipient=owner, kind="new_match")
    assert note.url.endswith(f"/asks/{ask.pk}") and note.data["match"] == best.pk
    assert note.actor_id is None and note.subject == "matches"
    # match.created reached the owner's stream, then notification.created.
    types = list(Event.objects.filter(user_id=owner.pk).order_by("seq").values_list("type", flat=True))
    assert types[:2] == ["match.created", "notification.created"]
    event = Event.objects.get(user_id=owner.pk, type="match.created")
    assert event.data["side"] == "offer" and event.data["match"]["ask"]["id"] == ask.pk
    assert event.data["match"]["outcome"] == "none"
    # The asker is told nothing about their own ask.
    assert not Notification.objects.filter(recipient=asker).exists()
    assert not Event.objects.filter(user_id=asker.pk, type="match.created").exists()


def test_a_published_offer_notifies_the_askers_it_answers(world, django_capture_on_commit_callbacks):
    helper = UserFactory()
    data = {
        "title": "React and TypeScript developer for hire",
        "description": "I build web app MVPs in React for startups.",
        "offer_type": "service",
        "category": world["categories"]["development"],
        "tags": [world["tags"]["react"]],
    }
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_create(user=helper, data=data)  # a draft: nobody is told
    assert not Match.objects.filter(offer=offer).exists()
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(offer=offer, actor=helper, data={"status": "active"})
    asker = world["asks"]["react"].user
    note = Notification.objects.get(recipient=asker, kind="new_match")
    assert note.url.endswith(f"/offers/{offer.pk}")
    assert Event.objects.get(user_id=asker.pk, type="match.created").data["side"] == "ask"
    # Published again later (paused, active): no second announcement.
    with django_capture_on_commit_callbacks(execute=True):
        offer_update(offer=offer, actor=helper, data={"status": "paused"})
        offer_update(offer=offer, actor=helper, data={"status": "active"})
    assert Notification.objects.get(recipient=asker, kind="new_match").repeat_count == 1


def test_daily_cap_and_consolidation(world, django_capture_on_commit_callbacks, settings):
    owner = world["offers"]["betatest"].user
    for i in range(5):
        _new_ask(UserFactory(), world, django_capture_on_commit_callbacks, title=f"Beta testers for habit app {i}")
    recorded = Match.objects.filter(offer__user=owner)
    assert recorded.count() == 5
    assert recorded.filter(notified_at__isnull=False).count() == 3  # MATCHING["DAILY_NOTIFICATIONS"]
    notes = Notification.objects.filter(recipient=owner, kind="new_match")
    assert notes.count() == 1
    note = notes.get()
    assert note.repeat_count == 3 and note.title == "3 new matches for you"
    assert Event.objects.filter(user_id=owner.pk, type="match.created").count() == 3
    assert Event.objects.filter(user_id=owner.pk, type="notification.updated").count() == 2
    # Read, the next day's first match is a new notification.
    note.read_at = timezone.now()
    note.save()
    Match.objects.filter(notified_user=owner).update(notified_at=timezone.now() - dt.timedelta(days=2))
    _new_ask(UserFactory(), world, django_capture_on_commit_callbacks, title="Beta testers for my habit app")
    assert Notification.objects.filter(recipient=owner, kind="new_match", read_at__isnull=True).count() == 1


def test_sms_preference_off_by_default_and_respected(world, django_capture_on_commit_callbacks, sms_outbox):
    owner = world["offers"]["betatest"].user
    owner.phone_number, owner.phone_verified_at, owner.sms_enabled = "+14155550199", timezone.now(), True
    owner.save()
    assert client_for(owner).get("/api/v1/me/notification-preferences/").data["new_match"] == {"sms": False}
    _new_ask(UserFactory(), world, django_capture_on_commit_callbacks)
    note = Notification.objects.get(recipient=owner, kind="new_match")
    assert notification_sms.apply(args=[note.pk]).get()["reason"] == "kind_disabled"
    assert sms_outbox == []


def test_a_connection_from_a_match_records_it_and_the_outcome_shows(world, django_capture_on_commit_callbacks):
    asker = UserFactory()
    ask = _new_ask(asker, world, django_capture_on_commit_callbacks)
    offer = world["offers"]["betatest"]
    match = Match.objects.get(ask=ask, offer=offer)
    listed = client_for(asker).get("/api/v1/matches/").data["results"]
    assert [m["id"] for m in listed if m["offer"]["id"] == offer.pk] == [match.pk]
    assert listed[0]["outcome"] == "none"
    # An unrelated connection about the offer (someone else) records nothing.
    connection_create(initiator=UserFactory(), offer=offer, initial_message="Hi")
    match.refresh_from_db()
    assert match.connection_id is None
    connection = connection_create(initiator=asker, offer=offer, initial_message="Would you test my app?")
    match.refresh_from_db()
    assert match.connection_id == connection.pk
    by_owner = client_for(offer.user).get("/api/v1/matches/").data["results"]
    assert next(m for m in by_owner if m["id"] == match.pk)["outcome"] == "connected"
    connection_update(connection=connection, actor=offer.user, status="declined")
    by_asker = client_for(asker).get("/api/v1/matches/").data["results"]
    assert next(m for m in by_asker if m["id"] == match.pk)["outcome"] == "declined"
    # A stranger sees none of it.
    assert client_for(UserFactory()).get("/api/v1/matches/").data["results"] == []


def test_match_lists_hide_blocked_people(world, django_capture_on_commit_callbacks):
    asker = UserFactory()
    ask = _new_ask(asker, world, django_capture_on_commit_callbacks)
    offer_owner = Match.objects.filter(ask=ask).order_by("-score").first().offer.user
    Block.objects.create(blocker=offer_owner, blocked=asker)
    listed = client_for(asker).get("/api/v1/matches/").data["results"]
    assert offer_owner.pk not in {m["offer"]["user_id"] for m in listed}
    assert Offer.objects.filter(user=offer_owner).exists()


def test_bounded_work_a_constant_number_of_queries(world, django_assert_max_num_queries, settings):
    settings.MATCHING = {**settings.MATCHING, "CANDIDATES": 200}
    productivity = world["categories"]["productivity"]
    for i in range(220):
        offer = OfferFactory(offer_type="feedback", category=productivity, title=f"Beta testing of apps, batch {i}")
        offer.tags.set([world["tags"]["habits"]])
    ask = world["asks"]["beta"]
    started = time.perf_counter()
    # The ask's tags and tools, the candidates (with owners and reputations), their tags, their tools.
    with django_assert_max_num_queries(5):
        found = matches_for_ask(ask=ask, viewer=ask.user, limit=20)
    elapsed = time.perf_counter() - started
    print(f"\nmatches_for_ask over 200 candidates: {elapsed * 1000:.0f} ms")
    assert len(found) == 20
