"""One real row of every project model, made through the services where one exists (a thread and
its messages, a notification, a moderation action), else by the ORM (append-only records whose
writers need Stripe, Twilio or a worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import models
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from collective.models import (
    AgentProfile,
    Block,
    Connection,
    CreditCost,
    CreditGift,
    CreditTransaction,
    Endorsement,
    Follow,
    Match,
    PeerBadgeAward,
    PeerBadgeType,
    PhoneVerification,
    PointGift,
    PointsAccount,
    PointsTransaction,
    PriceProposal,
    Taxonomy,
    User,
    UserReputation,
)
from collective.services.reference import offer_categories_seed
from core.models import OutboxTask
from messaging import services as messaging_services
from notifications import texts
from notifications.models import NotificationPreference, SmsMessage, SmsOptOut
from notifications.services import notification_create
from onboarding.models import OnboardingSession
from payments.models import CreditPack, LedgerEntry, Payment, PayoutAccount, StripeEvent
from tests.factories import AskFactory, OfferFactory, ToolFactory, UserFactory

PROJECT_APPS = ("core", "collective", "messaging", "notifications", "realtime", "payments", "onboarding", "insights")


def project_models() -> list[type[models.Model]]:
    """Every concrete model of the project's apps (not Django's or DRF's)."""
    found = []
    for config in apps.get_app_configs():
        if config.label in PROJECT_APPS:
            found.extend(m for m in config.get_models() if not m._meta.abstract and not m._meta.proxy)
    return found


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root_admin", "root@example.com", "very-secret-pass-42")


@pytest.fixture
def moderator(db) -> User:
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="messaging", codename__in=["view_message", "moderate_message"]
        )
    )
    return User.objects.get(pk=user.pk)  # a fresh instance: no cached permissions


@pytest.fixture
def everything(superuser) -> dict[type[models.Model], models.Model]:
    offer_categories_seed()
    a, b = UserFactory(), UserFactory()
    agent = UserFactory(role="agent")
    other = Taxonomy.objects.get(slug="other")
    tool = ToolFactory(category=Taxonomy.objects.get(slug="development"))
    offer = OfferFactory(user=a, category=other)
    offer.tools.add(tool)
    ask = AskFactory(user=b)
    connection = Connection.objects.create(
        initiator=b,
        responder=a,
        offer=offer,
        connection_type="offer_inquiry",
        initial_message="Hi",
        status="completed",
        completed_at=timezone.now(),
    )
    thread, _ = messaging_services.thread_get_or_create(user_a=a, user_b=b)
    message = messaging_services.message_send(sender=a, thread=thread, body="Hello **there**")
    messaging_services.message_hide(message_id=message.pk, moderator=superuser, reason="spam")
    notification = notification_create(
        recipient=b, actor=a, kind="new_follower", texts=texts.new_follower(actor=a.username), subject="follow"
    )
    badge = PeerBadgeType.objects.create(slug="kind", name="Kind", icon="heart", category="quality")
    payment = Payment.objects.create(
        kind="offer",
        offer=offer,
        buyer=b,
        seller=a,
        description="Logo",
        amount_cents=5000,
        currency="usd",
        idempotency_key="k1",
    )
    rows: list[models.Model] = [
        a,
        Taxonomy.objects.get(slug="development"),
        tool,
        offer,
        ask,
        connection,
        Follow.objects.create(follower=a, following=b),
        AgentProfile.objects.create(user=agent, owner=a),
        Block.objects.create(blocker=agent, blocked=b),
        PointsTransaction.objects.create(user=a, action="complete_help", amount=5, balance_after=5),
        PointsAccount.objects.get_or_create(user=a)[0],
        CreditTransaction.objects.create(user=a, amount=10, transaction_type="purchase", balance_after=10),
        CreditCost.objects.get_or_create(slug="boost", defaults={"name": "Boost", "cost": 3})[0],
        PointGift.objects.create(sender=a, recipient=b, amount=5),
        CreditGift.objects.create(sender=a, recipient=b, amount=5),
        Endorsement.objects.create(endorser=b, endorsee=a, content="Great help", connection=connection),
        badge,
        PeerBadgeAward.objects.create(badge_type=badge, awarder=b, recipient=a, connection=connection),
        UserReputation.objects.get_or_create(user=a)[0],
        PhoneVerification.objects.create(
            user=a, phone_number="+15550001111", code_hash="0" * 64, expires_at=timezone.now() + timedelta(minutes=5)
        ),
        PriceProposal.objects.create(connection=connection, proposer=a, amount_cents=5000),
        Match.objects.create(ask=ask, offer=offer, score=0.8),
        OutboxTask.objects.create(task="core.tasks.noop", not_before=timezone.now()),
        thread,
        thread.memberships.first(),
        message,
        message.moderation_actions.first(),
        notification,
        NotificationPreference.objects.create(user=b, kind="new_follower", sms=False),
        SmsMessage.objects.create(key="sms-1", purpose="notification", user=b, to="+15550002222", body="Hi"),
        SmsOptOut.objects.create(phone_number="+15550003333"),
        OnboardingSession.objects.create(user=b, thread=thread),
        CreditPack.objects.get_or_create(
            slug="starter", defaults={"name": "Starter", "price_cents": 500, "currency": "usd", "credits": 50}
        )[0],
        payment,
        LedgerEntry.objects.create(
            payment=payment, user=a, entry_type="sale", amount_cents=4500, currency="usd", stripe_object_id="ch_1"
        ),
        StripeEvent.objects.create(event_id="evt_1", event_type="charge.succeeded", payload={}),
        PayoutAccount.objects.create(user=a, stripe_account_id="acct_1"),
        TokenProxy.objects.get(pk=Token.objects.create(user=a).pk),
    ]
    from realtime.models import Event, Stream

    rows += [Event.objects.filter(user=a).first(), Stream.objects.get(user=a)]
    return {type(row): row for row in rows if row is not None}
