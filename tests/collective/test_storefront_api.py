"""Storefront GET /api/v1/people/{username}/ (seed 001 §5.1-5.3)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from collective.models import AgentProfile, Follow, User
from collective.models.users import UserRole
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, TaxonomyFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(username: str) -> str:
    return f"/api/v1/people/{username}/"


@pytest.fixture
def sarah(db) -> User:
    u = UserFactory(username="sarah", tagline="Building AI tools that make work easier")
    User.objects.filter(pk=u.pk).update(total_points=1240, helped_count=23, followers_count=412, following_count=8)
    u.refresh_from_db()
    return u


def test_header_stats(sarah):
    res = APIClient().get(url("sarah"))
    assert res.status_code == 200
    h = res.data["user"]
    assert h["username"] == "sarah" and h["tagline"] == "Building AI tools that make work easier"
    assert (h["total_points"], h["helped_count"], h["followers_count"], h["following_count"]) == (1240, 23, 412, 8)
    assert {"avatar_url", "avatar_frame", "role"} <= set(h)
    assert h["is_following"] is None  # anonymous caller
    assert res.data["is_owner"] is False


def test_is_following_for_authenticated_caller(sarah, user, other_user):
    Follow.objects.create(follower=user, following=sarah)
    assert client_for(user).get(url("sarah")).data["user"]["is_following"] is True
    assert client_for(other_user).get(url("sarah")).data["user"]["is_following"] is False
    own = client_for(sarah).get(url("sarah")).data
    assert own["user"]["is_following"] is False and own["is_owner"] is True


def test_offers_grouped_into_subsections_in_order_empty_hidden(sarah):
    app = OfferFactory(user=sarah, offer_type="app")
    course = OfferFactory(user=sarah, offer_type="course")
    post = OfferFactory(user=sarah, offer_type="post")
    service = OfferFactory(user=sarah, offer_type="service")
    feedback = OfferFactory(user=sarah, offer_type="feedback")
    res = APIClient().get(url("sarah"))
    sections = res.data["offer_sections"]
    assert [s["key"] for s in sections] == ["working_on", "learn_from_me", "work_with_me"]  # no links: hidden
    assert [s["title"] for s in sections] == ["Things I'm Working On", "Learn From Me", "Work With Me"]
    by_key = {s["key"]: {o["id"] for o in s["offers"]} for s in sections}
    assert by_key == {
        "working_on": {app.pk},
        "learn_from_me": {course.pk, post.pk},
        "work_with_me": {service.pk, feedback.pk},
    }
    assert sections[1]["count"] == 2


def test_all_four_subsections(sarah):
    for t in ("app", "template", "mentorship", "link"):
        OfferFactory(user=sarah, offer_type=t)
    keys = [s["key"] for s in APIClient().get(url("sarah")).data["offer_sections"]]
    assert keys == ["working_on", "learn_from_me", "work_with_me", "things_i_love"]


def test_only_public_offers_even_for_owner(sarah):
    public = OfferFactory(user=sarah, offer_type="app")
    paused = OfferFactory(user=sarah, offer_type="app", status="paused")
    OfferFactory(user=sarah, offer_type="app", status="draft")
    OfferFactory(user=sarah, offer_type="app", status="archived", is_archived=True)
    OfferFactory(offer_type="app")  # someone else's
    for client in (APIClient(), client_for(sarah)):
        sections = client.get(url("sarah")).data["offer_sections"]
        assert {o["id"] for o in sections[0]["offers"]} == {public.pk, paused.pk}


def test_asks_flat_list_of_wanted_asks(sarah):
    open_ask = AskFactory(user=sarah)
    in_progress = AskFactory(user=sarah, status="in_progress")
    AskFactory(user=sarah, status="fulfilled")
    AskFactory(user=sarah, status="closed")
    AskFactory(user=sarah, is_archived=True)
    asks = APIClient().get(url("sarah")).data["asks"]
    assert [a["id"] for a in asks] == [in_progress.pk, open_ask.pk]
    assert {"title", "ask_type", "status"} <= set(asks[0])


def test_agent_courses_of_owned_agents(sarah):
    sage = UserFactory(username="sage", role=UserRole.AGENT)
    AgentProfile.objects.create(user=sage, owner=sarah)
    course = OfferFactory(user=sage, offer_type="course")
    OfferFactory(user=sage, offer_type="course", status="draft")
    OfferFactory(user=sage, offer_type="app")  # not a course
    stranger_agent = UserFactory(role=UserRole.AGENT)
    AgentProfile.objects.create(user=stranger_agent, owner=UserFactory())
    OfferFactory(user=stranger_agent, offer_type="course")
    data = APIClient().get(url("sarah")).data
    assert [o["id"] for o in data["agent_courses"]] == [course.pk]
    assert data["agent_courses"][0]["user"]["username"] == "sage"
    assert data["offer_sections"] == []  # sarah's own offers only


def test_unknown_or_inactive_user_is_404(db):
    assert APIClient().get(url("nobody")).status_code == 404
    UserFactory(username="gone", is_active=False)
    assert APIClient().get(url("gone")).status_code == 404


def test_empty_storefront(sarah):
    data = APIClient().get(url("sarah")).data
    assert data["offer_sections"] == [] and data["asks"] == [] and data["agent_courses"] == []


def test_query_count_constant(sarah, user):
    def make(n):
        for t in ("app", "course", "service", "link")[: n if n < 4 else 4]:
            o = OfferFactory(user=sarah, offer_type=t)
            o.tags.set([TaxonomyFactory()])
            o.tools.set([ToolFactory()])
        for _ in range(n):
            OfferFactory(user=sarah, offer_type="skill").tags.set([TaxonomyFactory()])
            AskFactory(user=sarah).tools.set([ToolFactory()])
        agent = UserFactory(role=UserRole.AGENT)
        AgentProfile.objects.create(user=agent, owner=sarah)
        for _ in range(n):
            OfferFactory(user=agent, offer_type="course")

    client = APIClient()
    client.force_authenticate(user)
    make(1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url("sarah")).status_code == 200
    make(8)
    with CaptureQueriesContext(connection) as big:
        res = client.get(url("sarah"))
    # Up to 11 before the economy, + 3: endorsements, peer badges, unlocks and reputation (docs/economy.md).
    assert len(big) == len(small) <= 14
    assert len(res.data["agent_courses"]) == 9
