"""Discovery: the unified page, browsing offers, asks and people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from collective.models import Ask, User
from collective.models.users import UserRole
from tests.factories import AskFactory, CategoryFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def ids(res, key: str = "results") -> list[int]:
    assert res.status_code == 200, res.data
    return [x["id"] for x in res.data[key]]


# --- unified -----------------------------------------------------------------------------------


def test_unified_sections(db):
    cat = CategoryFactory(name="Marketing & Content")
    featured = OfferFactory(is_featured=True, category=cat)
    recent = OfferFactory()
    course = OfferFactory(offer_type="course")
    draft = OfferFactory(status="draft")
    paused = OfferFactory(status="paused")  # not accepting connections: not in the offer sections
    open_ask = AskFactory()
    closed = AskFactory(status="closed")
    res = APIClient().get("/api/v1/discover/")
    assert res.status_code == 200
    d = res.data
    assert ids(res, "featured_offers") == [featured.pk]
    assert ids(res, "recent_offers") == [course.pk, recent.pk, featured.pk]
    assert ids(res, "courses") == [course.pk]
    assert ids(res, "open_asks") == [open_ask.pk]
    # People: anyone with a public item (a paused offer, a closed ask count); a draft does not.
    expected = {featured.user_id, recent.user_id, course.user_id, open_ask.user_id, paused.user_id, closed.user_id}
    assert {p["id"] for p in d["people"]} == expected
    assert draft.user_id not in expected
    assert {"slug": cat.slug, "name": cat.name, "id": cat.id} in d["categories"]
    assert d["category"] is None


def test_unified_narrowed_by_category(db):
    cat = CategoryFactory()
    inside = OfferFactory(category=cat)
    OfferFactory()
    ask_inside = AskFactory(category=cat)
    AskFactory()
    res = APIClient().get("/api/v1/discover/", {"category": cat.slug})
    assert ids(res, "recent_offers") == [inside.pk]
    assert ids(res, "open_asks") == [ask_inside.pk]
    assert [p["id"] for p in res.data["people"]] == [inside.user_id]
    assert res.data["category"]["slug"] == cat.slug


def test_unified_unknown_category_is_400(db):
    res = APIClient().get("/api/v1/discover/", {"category": "nope"})
    assert res.status_code == 400 and "category" in res.data["fields"]


def test_unified_query_count_constant(django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            OfferFactory(is_featured=True, offer_type="course", category=CategoryFactory())
            AskFactory()

    make(2)
    with django_assert_max_num_queries(20):
        APIClient().get("/api/v1/discover/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        APIClient().get("/api/v1/discover/")
    make(10)
    with CaptureQueriesContext(connection) as big:
        APIClient().get("/api/v1/discover/")
    assert len(big) == len(small)


# --- offers and asks ---------------------------------------------------------------------------


def test_discover_offers_active_by_default(db):
    active = OfferFactory()
    paused = OfferFactory(status="paused")
    OfferFactory(status="draft")
    client = APIClient()
    assert ids(client.get("/api/v1/discover/offers/")) == [active.pk]
    assert ids(client.get("/api/v1/discover/offers/", {"status": "paused"})) == [paused.pk]


def test_discover_offers_filters(db):
    cat = CategoryFactory()
    a = OfferFactory(offer_type="app", category=cat)
    OfferFactory(offer_type="course")
    res = APIClient().get("/api/v1/discover/offers/", {"type": "app", "category": cat.slug})
    assert ids(res) == [a.pk]
    assert APIClient().get("/api/v1/discover/offers/", {"type": "bad"}).status_code == 400


def test_discover_offers_is_read_only(user):
    client = APIClient()
    client.force_authenticate(user)
    res = client.post("/api/v1/discover/offers/", {"title": "x"}, format="json")
    assert res.status_code == 405


def test_discover_asks_open_unexpired_by_default(db):
    open_ask = AskFactory()
    AskFactory(status="in_progress")
    AskFactory(is_archived=True)
    expired = AskFactory()
    Ask.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    later = AskFactory(expires_at=timezone.now() + timedelta(days=1))
    client = APIClient()
    assert set(ids(client.get("/api/v1/discover/asks/"))) == {open_ask.pk, later.pk}
    res = client.get("/api/v1/discover/asks/", {"status": "in_progress"})
    assert len(ids(res)) == 1


def test_discover_asks_paid_budget_filter(db):
    paid = AskFactory(is_paid_opportunity=True, budget_min_cents=1000, budget_max_cents=2000)
    AskFactory()
    res = APIClient().get("/api/v1/discover/asks/", {"is_paid_opportunity": "true", "min_price": 1500})
    assert ids(res) == [paid.pk]


# --- people ------------------------------------------------------------------------------------


def test_people_are_active_humans_with_public_items(db):
    with_offer = OfferFactory().user
    with_ask = AskFactory().user
    OfferFactory(status="draft")  # only a draft: not a creator yet
    AskFactory(is_archived=True)
    UserFactory()  # nothing at all
    agent = UserFactory(role=UserRole.AGENT)
    OfferFactory(user=agent)
    inactive = UserFactory(is_active=False)
    OfferFactory(user=inactive)
    res = APIClient().get("/api/v1/discover/people/")
    assert set(ids(res)) == {with_offer.pk, with_ask.pk}
    row = next(p for p in res.data["results"] if p["id"] == with_offer.pk)
    assert row["public_offer_count"] == 1 and row["open_ask_count"] == 0
    assert {"username", "tagline", "avatar_url", "total_points", "helped_count", "followers_count"} <= set(row)


def test_people_counts_are_not_multiplied_by_joins(db):
    u = UserFactory()
    for _ in range(3):
        OfferFactory(user=u)
    for _ in range(2):
        AskFactory(user=u)
    row = APIClient().get("/api/v1/discover/people/").data["results"][0]
    assert (row["public_offer_count"], row["open_ask_count"]) == (3, 2)


def test_people_ordering_and_search(db):
    a = OfferFactory(user=UserFactory(username="alice", tagline="AI for small business")).user
    b = OfferFactory(user=UserFactory(username="bob")).user
    c = OfferFactory(user=UserFactory(username="carol")).user
    User.objects.filter(pk=a.pk).update(helped_count=5, followers_count=1, total_points=10)
    User.objects.filter(pk=b.pk).update(helped_count=9, followers_count=0, total_points=30)
    User.objects.filter(pk=c.pk).update(helped_count=1, followers_count=7, total_points=20)
    url = "/api/v1/discover/people/"
    client = APIClient()
    assert ids(client.get(url)) == [b.pk, a.pk, c.pk]  # default -helped_count
    assert ids(client.get(url, {"ordering": "-followers_count"})) == [c.pk, a.pk, b.pk]
    assert ids(client.get(url, {"ordering": "-total_points"})) == [b.pk, c.pk, a.pk]
    assert ids(client.get(url, {"ordering": "-date_joined"})) == [c.pk, b.pk, a.pk]
    assert ids(client.get(url, {"search": "small business"})) == [a.pk]
    assert ids(client.get(url, {"search": "car"})) == [c.pk]
    res = client.get(url, {"ordering": "password"})
    assert res.status_code == 400 and "ordering" in res.data["fields"]


def test_people_query_count_constant(django_assert_max_num_queries):
    for _ in range(3):
        OfferFactory()
    with django_assert_max_num_queries(2):
        APIClient().get("/api/v1/discover/people/")
    for _ in range(15):
        OfferFactory()
        AskFactory()
    with django_assert_max_num_queries(2):
        res = APIClient().get("/api/v1/discover/people/")
    assert res.data["count"] == 33
