"""`manage.py load_demo_data`: a small, believable community to look at (`make demo`).

Ten members of the Ask & Offer AI Collective with taglines and bios, offers of several types, asks,
connections in every state of the state machine (initiated, discussing, accepted, in_progress,
completed, declined, cancelled), their threads with messages, follows, ratings, points and
onboarding with Ava completed by some. Everything goes through the services the API uses
(`user_register`, `offer_create`, `connection_create`, `connection_transition`, `message_send`,
`onboarding_answer`, ...), so counters, points, threads, notifications and the event log are as
real use leaves them.

It lives in `onboarding`, the domain app that already builds on `collective` and `messaging` (Ava):
in `collective` it would make the packages import each other (tests/test_layering.py).

Safe by default: one transaction (all or nothing); a second run finds the demo members and
changes nothing; and it refuses to run against a database that is not SQLite while DEBUG is off
(a production database) unless `--force` is given. Every demo member's password is
`DEMO_PASSWORD` (docs/operations.md "Demo data").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection as db_connection
from django.db import transaction

from collective.models import Connection, User
from collective.services.connections import connection_create, connection_rate, connection_transition
from collective.services.follows import follow_create
from collective.services.offers import ask_create, ask_set_status, offer_create
from collective.services.reference import reference_data_load
from collective.services.users import user_profile_update, user_register
from messaging.services import message_send
from onboarding.services import onboarding_answer, onboarding_session_get, onboarding_start

DEMO_PASSWORD = "ask-and-offer-demo"
DEMO_EMAIL_DOMAIN = "demo.collective.invalid"

# username, tagline, bio
MEMBERS: tuple[tuple[str, str, str], ...] = (
    (
        "maya",
        "Prompt engineer, builds evaluation suites",
        "I turn fuzzy product ideas into prompts that hold up under testing. Skills: prompt design, "
        "LLM evaluation, Python.",
    ),
    (
        "leo",
        "Indie hacker shipping small AI tools",
        "Three side projects live, one paying for itself. Skills: Next.js, Supabase, growth experiments.",
    ),
    (
        "priya",
        "ML engineer and mentor",
        "Ten years in applied ML; I mentor people moving from notebooks to production. Skills: PyTorch, "
        "MLOps, fine-tuning.",
    ),
    (
        "sam",
        "Product designer for AI interfaces",
        "I design chat and agent UIs people trust. Skills: Figma, UX research, design systems.",
    ),
    (
        "noor",
        "Data scientist, retrieval and search",
        "RAG pipelines, embeddings and the evaluation around them. Skills: vector search, SQL, statistics.",
    ),
    (
        "kai",
        "No-code automation builder",
        "Zapier, Make and n8n flows with an LLM in the middle. Skills: automation, APIs, ops.",
    ),
    (
        "elena",
        "Writer and course creator",
        "I teach non-technical teams to write with AI without sounding like it. Skills: writing, teaching.",
    ),
    (
        "tomas",
        "Runs a two-person dev studio",
        "We build MVPs for founders in six weeks. Skills: Django, React, project delivery.",
    ),
    (
        "jun",
        "Student, learning to build agents",
        "Final-year CS student; looking for feedback and a first collaboration. Skills: Python, LangGraph.",
    ),
    (
        "ravi",
        "Founder of a small legal-tech startup",
        "Building contract review for small firms; always looking for testers and advice.",
    ),
)

# owner, key, data (offer_create's fields)
OFFERS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "maya",
        "prompt-review",
        {
            "title": "Prompt review: I test your system prompt against 50 hard cases",
            "description": "Send me your prompt and a goal; you get a report of where it breaks and a revised version.",
            "offer_type": "service",
        },
    ),
    (
        "maya",
        "eval-template",
        {
            "title": "LLM evaluation spreadsheet template",
            "description": "The rubric and spreadsheet I use to compare model outputs, with instructions.",
            "offer_type": "template",
        },
    ),
    (
        "priya",
        "mlops-mentoring",
        {
            "title": "Mentorship: from notebook to production ML",
            "description": "Four calls over a month: deployment, monitoring, cost, and what to skip.",
            "offer_type": "mentorship",
        },
    ),
    (
        "elena",
        "writing-course",
        {
            "title": "Course: writing with AI for teams",
            "description": "Six short lessons and exercises to keep your voice while drafting with a model.",
            "offer_type": "course",
        },
    ),
    (
        "kai",
        "automation-audit",
        {
            "title": "A 30-minute automation audit of your workflow",
            "description": "We look at one weekly chore and I sketch the no-code flow that removes it.",
            "offer_type": "skill",
        },
    ),
    (
        "sam",
        "ui-feedback",
        {
            "title": "Design feedback on your AI product's interface",
            "description": "A recorded walkthrough of your app with concrete fixes for trust and clarity.",
            "offer_type": "feedback",
        },
    ),
    (
        "leo",
        "launch-checklist",
        {
            "title": "My launch checklist for small AI tools",
            "description": "The list I run before every launch: pricing page, onboarding, analytics, support.",
            "offer_type": "post",
        },
    ),
    (
        "noor",
        "rag-starter",
        {
            "title": "RAG starter app with evaluation built in",
            "description": "A small open-source app: ingestion, retrieval, answers and an eval harness.",
            "offer_type": "app",
        },
    ),
)

# owner, key, data (ask_create's fields)
ASKS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "ravi",
        "beta-testers",
        {
            "title": "Beta testers for contract review on real NDAs",
            "description": "Five people who read contracts at work, 20 minutes each, feedback form included.",
            "ask_type": "beta_tester",
        },
    ),
    (
        "jun",
        "agent-feedback",
        {
            "title": "Feedback on my first multi-agent project",
            "description": "A research assistant built with LangGraph; is the architecture sound?",
            "ask_type": "feedback",
        },
    ),
    (
        "tomas",
        "ml-collaborator",
        {
            "title": "An ML collaborator for a client's recommendation feature",
            "description": "Paid, about two weeks of work, starting next month.",
            "ask_type": "collaborator",
        },
    ),
    (
        "leo",
        "pricing-advice",
        {
            "title": "Advice on pricing a usage-based AI tool",
            "description": "Credits, tiers or seats? I have three months of usage data to share.",
            "ask_type": "advice",
        },
    ),
    (
        "elena",
        "intro-publisher",
        {
            "title": "An introduction to someone publishing AI education",
            "description": "I'd like to turn my course into a short book and need a first contact.",
            "ask_type": "introduction",
        },
    ),
)

# Connections: initiator, responder (direct) or None, offer key or None, ask key or None,
# [(actor, status), ...] transitions, first message, [(sender, body), ...] messages, ratings.
CONNECTIONS: tuple[dict[str, Any], ...] = (
    {
        "initiator": "jun",
        "offer": "prompt-review",
        "first": "Hi Maya, could you review the system prompt of my research agent?",
        "steps": [],
        "messages": [],
    },
    {
        "initiator": "leo",
        "responder": "priya",
        "first": "Priya, would you have half an hour to talk about serving a small model cheaply?",
        "steps": [("priya", "discussing")],
        "messages": [
            ("priya", "Happy to. What does your traffic look like?"),
            ("leo", "About 2,000 requests a day, spiky in the evening."),
        ],
    },
    {
        "initiator": "sam",
        "ask": "beta-testers",
        "first": "I review vendor contracts every week and would love to test this.",
        "steps": [("ravi", "accepted")],
        "messages": [("ravi", "Wonderful, I'll send you the link and three NDAs tomorrow.")],
    },
    {
        "initiator": "noor",
        "offer": "writing-course",
        "first": "Elena, can my team of four take the course together?",
        "steps": [("elena", "accepted"), ("noor", "in_progress")],
        "messages": [
            ("elena", "Yes! I've added all four of you; lesson one is up."),
            ("noor", "We did lesson one today, the exercises were great."),
        ],
    },
    {
        "initiator": "kai",
        "offer": "eval-template",
        "first": "Maya, I'd like to use your evaluation template for a client's chatbot.",
        "steps": [("maya", "accepted"), ("kai", "completed")],
        "messages": [
            ("maya", "Here it is, the second tab has the rubric."),
            ("kai", "Used it this week and found two regressions before launch. Thank you!"),
        ],
        "ratings": [("kai", 5, "Clear, practical and saved me a day."), ("maya", 5, "A pleasure to help.")],
    },
    {
        "initiator": "priya",
        "ask": "agent-feedback",
        "first": "Jun, I've built a few agent systems; happy to look at your architecture.",
        "steps": [("jun", "accepted"), ("priya", "in_progress"), ("jun", "completed")],
        "messages": [
            ("priya", "Your planner re-plans on every step; cache the plan and you'll halve the cost."),
            ("jun", "That worked, the run went from 40 to 18 seconds."),
        ],
        "ratings": [("jun", 5, "Priya found the real problem in ten minutes."), ("priya", 4, "")],
        "fulfils": "agent-feedback",
    },
    {
        "initiator": "tomas",
        "responder": "noor",
        "first": "Noor, would you join a two-week search project for a client?",
        "steps": [("noor", "declined")],
        "messages": [("noor", "Thanks Tomas, I'm fully booked this month. Ask me again in spring!")],
    },
    {
        "initiator": "ravi",
        "offer": "automation-audit",
        "first": "Kai, could you audit how we process incoming contracts?",
        "steps": [("ravi", "cancelled")],
        "messages": [("ravi", "Sorry Kai, we found an internal solution; cancelling for now.")],
    },
)

FOLLOWS: tuple[tuple[str, str], ...] = (
    ("jun", "priya"),
    ("jun", "maya"),
    ("leo", "maya"),
    ("kai", "maya"),
    ("noor", "elena"),
    ("sam", "ravi"),
    ("ravi", "sam"),
    ("elena", "priya"),
    ("tomas", "priya"),
    ("maya", "priya"),
)

# Onboarding with Ava completed: the member's answers (an ask chip, a skill chip of onboarding/script.py).
ONBOARDED: dict[str, tuple[str, str]] = {
    "maya": ("tools", "skill-beta-testing"),
    "priya": ("beta_testers", "skill-code-review"),
    "leo": ("advice", "skill-marketing"),
}
ONBOARDING_STARTED = ("jun",)  # started, left at its first question


class Command(BaseCommand):
    help = "Fill the database with a small demo community (idempotent; refuses production without --force)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off and the database is not SQLite (never on production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = db_connection.vendor
        if not settings.DEBUG and vendor != "sqlite" and not options["force"]:
            raise CommandError(
                f"Refusing to load demo data into a {vendor} database with DEBUG off: this looks like "
                "production. Use the embedded SQLite database (unset DATABASE_URL), or pass --force."
            )
        names = [m[0] for m in MEMBERS]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        if existing:
            if existing != set(names):
                raise CommandError(
                    f"Some demo usernames are taken ({', '.join(sorted(existing))}) but not all: "
                    "this database was not filled by load_demo_data; nothing changed."
                )
            self.stdout.write("Demo data is already loaded; nothing changed.")
        else:
            reference_data_load()
            with transaction.atomic():
                counts = self._load()
            self.stdout.write(self.style.SUCCESS("Loaded the demo community: " + ", ".join(counts)))
        self.stdout.write(
            f"Log in as any of {', '.join(names)} with the password {DEMO_PASSWORD!r} "
            "(e.g. maya; the web app at /, the API at /api/v1/)."
        )

    def _load(self) -> list[str]:
        users: dict[str, User] = {}
        for username, tagline, bio in MEMBERS:
            user, _token = user_register(
                username=username, email=f"{username}@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD
            )
            users[username] = user_profile_update(user=user, data={"tagline": tagline, "bio": bio})
        offers = {
            key: offer_create(user=users[owner], data={**data, "status": "active"}) for owner, key, data in OFFERS
        }
        asks = {key: ask_create(user=users[owner], data=data) for owner, key, data in ASKS}
        message_count = 0
        for spec in CONNECTIONS:
            initiator = users[spec["initiator"]]
            kwargs: dict[str, Any] = {}
            if "offer" in spec:
                kwargs["offer"] = offers[spec["offer"]]
            elif "ask" in spec:
                kwargs["ask"] = asks[spec["ask"]]
            else:
                kwargs.update(connection_type="direct", responder=users[spec["responder"]])
            conn = connection_create(initiator=initiator, initial_message=spec["first"], **kwargs)
            for sender, body in spec["messages"]:
                message_send(sender=users[sender], body=body, thread_id=conn.dm_thread_id, rate_limit=False)
                message_count += 1
            for actor, status in spec["steps"]:
                conn = connection_transition(connection=conn, actor=users[actor], status=status)
            for actor, rating, feedback in spec.get("ratings", []):
                conn = connection_rate(connection=conn, actor=users[actor], rating=rating, feedback=feedback)
            if "fulfils" in spec:
                ask = asks[spec["fulfils"]]
                ask_set_status(ask=ask, actor=ask.user, status="fulfilled")
        for follower, following in FOLLOWS:
            follow_create(follower=users[follower], following=users[following])
        for username, (ask_chip, skill_chip) in ONBOARDED.items():
            self._onboard(users[username], ask_chip=ask_chip, skill_chip=skill_chip)
        for username in ONBOARDING_STARTED:
            onboarding_start(user=users[username])
        return [
            f"{len(users)} members",
            f"{len(offers)} offers",
            f"{len(asks)} asks",
            f"{Connection.objects.filter(initiator__in=users.values()).count()} connections",
            f"{message_count} messages",
            f"{len(FOLLOWS)} follows",
            f"{len(ONBOARDED)} onboarded with Ava",
        ]

    @staticmethod
    def _onboard(user: User, *, ask_chip: str, skill_chip: str) -> None:
        """Walk Ava's script as a member would: welcome, an ask type, a skill, then agree."""
        from messaging.models import Message

        onboarding_start(user=user)
        for values in (None, [ask_chip], [skill_chip], None):
            session = onboarding_session_get(user=user)
            assert session is not None and session.current_message_id is not None
            message = Message.objects.get(pk=session.current_message_id)
            actions: list[dict[str, Any]] = message.actions or []
            onboarding_answer(user=user, message_id=message.pk, action_id=actions[0]["id"], values=values)
