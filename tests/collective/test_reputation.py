"""Reputation (seed 003's ideas): aggregates of ratings received, completed and cancelled
connections, score, tier, decay; the Celery task queued on commit; shown on /me/, the
storefront and people discovery (sortable)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collective.models import Connection, UserReputation
from collective.services.connections import connection_create, connection_rate, connection_transition
from collective.services.reputation import (
    DECAY_GRACE_DAYS,
    DECAY_HALF_LIFE_DAYS,
    reputation_decay_all,
    reputation_recompute,
    tier_for,
)
from collective.tasks import reputation_decay_task
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def completed_with(helper, rating: int | None, *, rater=None) -> Connection:
    """An offer inquiry to `helper`'s offer, completed, rated `rating` by the inquirer."""
    rater = rater or UserFactory()
    c = connection_create(initiator=rater, offer=OfferFactory(user=helper), initial_message="hi")
    connection_transition(connection=c, actor=helper, status="accepted")
    connection_transition(connection=c, actor=rater, status="completed")
    if rating is not None:
        connection_rate(connection=c, actor=rater, rating=rating)
    return c


def test_aggregates_count_ratings_received_on_both_sides():
    helper = UserFactory()
    for r in (5, 4, 3, 1):
        completed_with(helper, r)
    # As the initiator of an ask response, rated by the responder (the asker).
    owner = UserFactory()
    c = connection_create(initiator=helper, ask=AskFactory(user=owner), initial_message="me")
    connection_transition(connection=c, actor=owner, status="accepted")
    connection_transition(connection=c, actor=owner, status="completed")
    connection_rate(connection=c, actor=owner, rating=2)
    connection_rate(connection=c, actor=helper, rating=5)  # helper's rating of the owner: not theirs
    rep = reputation_recompute(user_id=helper.pk)
    assert (rep.ratings_count, rep.positive_count, rep.neutral_count, rep.negative_count) == (5, 2, 1, 2)
    assert rep.rating_average == Decimal("3.00")
    assert rep.completed_count == 5
    # 5 completed * 10 + 2 positive * 20 + 1 neutral * 5 - 2 negative * 30
    assert rep.raw_score == rep.score == 50 + 40 + 5 - 60


def test_cancellations_cost_the_one_who_cancelled():
    canceller, other = UserFactory(), UserFactory()
    completed_with(canceller, 5)
    completed_with(canceller, 5)
    c = connection_create(initiator=canceller, offer=OfferFactory(user=other), initial_message="hi")
    connection_transition(connection=c, actor=canceller, status="cancelled")
    rep = reputation_recompute(user_id=canceller.pk)
    assert (rep.cancelled_count, rep.score) == (1, 2 * 10 + 2 * 20 - 10)
    assert reputation_recompute(user_id=other.pk).cancelled_count == 0


@pytest.mark.parametrize(
    "score,ratings,completed,tier",
    [
        (0, 0, 0, "new"),
        (900, 0, 5, "new"),
        (10, 1, 1, "rising"),
        (80, 3, 3, "trusted"),
        (200, 5, 5, "established"),
        (500, 9, 9, "exemplary"),
    ],
)
def test_tiers(score, ratings, completed, tier):
    assert tier_for(score=score, ratings_count=ratings, completed_count=completed) == tier


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process, also when REDIS_URL makes Celery use a real broker."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_rating_queues_the_recompute_on_commit(django_capture_on_commit_callbacks, eager_celery):
    helper = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        completed_with(helper, 5)
    rep = UserReputation.objects.get(user=helper)
    assert (rep.ratings_count, rep.score, rep.tier) == (1, 30, "rising")


def test_nothing_is_queued_before_commit():
    helper = UserFactory()
    completed_with(helper, 5)  # the test transaction never commits: on_commit never runs
    assert not UserReputation.objects.filter(user=helper).exists()


def test_decay_halves_after_grace_plus_half_life():
    helper = UserFactory()
    for _ in range(5):
        completed_with(helper, 5)
    rep = reputation_recompute(user_id=helper.pk)
    assert rep.score == 150 and rep.tier == "trusted"
    long_ago = timezone.now() - dt.timedelta(days=DECAY_GRACE_DAYS + DECAY_HALF_LIFE_DAYS)
    UserReputation.objects.filter(pk=rep.pk).update(last_activity_at=long_ago)
    assert reputation_decay_task() == 1  # the task body, as the worker runs it
    rep.refresh_from_db()
    assert rep.raw_score == 150 and rep.score == 75 and rep.tier == "rising"
    # Within the grace period nothing decays.
    UserReputation.objects.filter(pk=rep.pk).update(last_activity_at=timezone.now() - dt.timedelta(days=10))
    assert reputation_decay_all(now=timezone.now()) == 0


def test_reputation_on_me_storefront_and_discovery_sorting():
    strong, weak = UserFactory(username="strong"), UserFactory(username="weak")
    for _ in range(3):
        completed_with(strong, 5)
    completed_with(weak, 2)
    reputation_recompute(user_id=strong.pk)
    reputation_recompute(user_id=weak.pk)
    me = client_for(strong).get("/api/v1/me/").data["reputation"]
    assert me == {
        "score": 90,
        "tier": "trusted",
        "ratings_count": 3,
        "rating_average": 5.0,
        "positive": 3,
        "neutral": 0,
        "negative": 0,
        "completed": 3,
        "cancelled": 0,
    }
    assert client_for(weak).get("/api/v1/people/strong/").data["reputation"]["score"] == 90
    OfferFactory(user=UserFactory(username="newbie"))  # discoverable, no reputation row yet
    rows = client_for(weak).get("/api/v1/discover/people/", {"ordering": "-reputation_score"}).data["results"]
    assert [r["username"] for r in rows][:1] == ["strong"]
    by_name = {r["username"]: (r["reputation_score"], r["reputation_tier"]) for r in rows}
    assert by_name["strong"] == (90, "trusted") and by_name["newbie"] == (0, "new")
    ascending = client_for(weak).get("/api/v1/discover/people/", {"ordering": "reputation_score"}).data["results"]
    assert ascending[-1]["username"] == "strong"
