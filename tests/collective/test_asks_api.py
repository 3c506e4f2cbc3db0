"""Asks REST API: CRUD, budget rules, status changes, visibility, views, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from collective.models import Ask, TaxonomyType
from tests.conftest import client_for
from tests.factories import AskFactory, CategoryFactory, TaxonomyFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/asks/"


def detail(ask_id: int) -> str:
    return f"{URL}{ask_id}/"


def create(client: APIClient, **overrides):
    body = {
        "title": "Beta testers for TaskAI",
        "description": "Ten people please",
        "ask_type": "beta_tester",
        **overrides,
    }
    return client.post(URL, body, format="json")


def ids(res) -> list[int]:
    assert res.status_code == 200, res.data
    return [a["id"] for a in res.data["results"]]


# --- create / update ---------------------------------------------------------------------------


def test_create_ask_defaults(user):
    res = create(client_for(user))
    assert res.status_code == 201, res.data
    d = res.data
    assert d["status"] == "open" and d["slug"] == "beta-testers-for-taskai"
    assert d["user"]["id"] == user.pk and d["is_paid_opportunity"] is False
    assert d["budget_min_cents"] is None and d["fulfilled_at"] is None
    seed_fields = {
        "id", "user", "slug", "title", "description", "ask_type", "featured_image_url", "category", "tags",
        "tools", "is_paid_opportunity", "budget_min_cents", "budget_max_cents", "currency", "status",
        "is_archived", "view_count", "response_count", "created_at", "updated_at", "fulfilled_at", "expires_at",
    }  # fmt: skip
    assert seed_fields <= set(d)


def test_create_with_relations_by_slug(user):
    cat = CategoryFactory()
    tag = TaxonomyFactory(taxonomy_type=TaxonomyType.SKILL)
    tool = ToolFactory()
    res = create(client_for(user), category=cat.slug, tags=[tag.slug], tools=[tool.slug])
    assert res.status_code == 201
    assert res.data["category"]["slug"] == cat.slug
    assert [t["slug"] for t in res.data["tags"]] == [tag.slug]
    assert [t["slug"] for t in res.data["tools"]] == [tool.slug]


def test_ask_tags_and_category_rules(user):
    client = client_for(user)
    res = create(client, tags=[CategoryFactory().slug])
    assert res.status_code == 400 and res.data["code"] == "invalid_tags" and "tags" in res.data["fields"]
    res = create(client, category=TaxonomyFactory().slug)
    assert res.status_code == 400 and "category" in res.data["fields"]
    assert not Ask.objects.exists()


def test_invalid_ask_type_is_400(user):
    res = create(client_for(user), ask_type="wish")
    assert res.status_code == 400 and "ask_type" in res.data["fields"]


def test_status_not_writable_through_create_or_patch(user):
    client = client_for(user)
    ask = create(client, status="fulfilled").data
    assert ask["status"] == "open"
    res = client.patch(detail(ask["id"]), {"status": "closed"}, format="json")
    assert res.status_code == 200 and res.data["status"] == "open"


def test_paid_opportunity_with_budget(user):
    res = create(client_for(user), is_paid_opportunity=True, budget_min_cents=1000, budget_max_cents=5000)
    assert res.status_code == 201
    assert (res.data["budget_min_cents"], res.data["budget_max_cents"]) == (1000, 5000)


def test_budget_min_above_max_is_400_naming_field(user):
    res = create(client_for(user), is_paid_opportunity=True, budget_min_cents=9000, budget_max_cents=5000)
    assert res.status_code == 400
    assert res.data["code"] == "budget_min_exceeds_max" and "budget_min_cents" in res.data["fields"]


def test_budget_min_above_existing_max_on_patch(user):
    client = client_for(user)
    ask = create(client, is_paid_opportunity=True, budget_min_cents=100, budget_max_cents=500).data
    res = client.patch(detail(ask["id"]), {"budget_min_cents": 600}, format="json")
    assert res.status_code == 400 and "budget_min_cents" in res.data["fields"]
    assert Ask.objects.get(pk=ask["id"]).budget_min_cents == 100


def test_unpaid_ask_with_budget_is_400(user):
    res = create(client_for(user), budget_max_cents=5000)
    assert res.status_code == 400 and "budget_max_cents" in res.data["fields"]


def test_switching_to_unpaid_clears_budget(user):
    client = client_for(user)
    ask = create(client, is_paid_opportunity=True, budget_min_cents=100, budget_max_cents=500).data
    res = client.patch(detail(ask["id"]), {"is_paid_opportunity": False}, format="json")
    assert res.status_code == 200
    assert res.data["budget_min_cents"] is None and res.data["budget_max_cents"] is None


def test_negative_budget_is_400(user):
    res = create(client_for(user), is_paid_opportunity=True, budget_min_cents=-1)
    assert res.status_code == 400 and "budget_min_cents" in res.data["fields"]


def test_expires_at_must_be_future(user):
    client = client_for(user)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    res = create(client, expires_at=past)
    assert res.status_code == 400 and "expires_at" in res.data["fields"]
    future = (timezone.now() + timedelta(days=3)).isoformat()
    assert create(client, expires_at=future).status_code == 201


def test_slug_unique_per_user(user, other_user):
    assert create(client_for(user)).data["slug"] == "beta-testers-for-taskai"
    assert create(client_for(user)).data["slug"] == "beta-testers-for-taskai-2"
    assert create(client_for(other_user)).data["slug"] == "beta-testers-for-taskai"


# --- status ------------------------------------------------------------------------------------


def status_url(ask_id: int) -> str:
    return f"{detail(ask_id)}status/"


def test_fulfil_sets_fulfilled_at(user):
    ask = AskFactory(user=user)
    client = client_for(user)
    res = client.patch(status_url(ask.pk), {"status": "in_progress"}, format="json")
    assert res.status_code == 200 and res.data["status"] == "in_progress" and res.data["fulfilled_at"] is None
    res = client.patch(status_url(ask.pk), {"status": "fulfilled"}, format="json")
    assert res.status_code == 200 and res.data["status"] == "fulfilled"
    assert res.data["fulfilled_at"] is not None
    ask.refresh_from_db()
    assert ask.fulfilled_at is not None


def test_fulfilled_is_final(user):
    ask = AskFactory(user=user, status="fulfilled", fulfilled_at=timezone.now())
    res = client_for(user).patch(status_url(ask.pk), {"status": "open"}, format="json")
    assert res.status_code == 409 and res.data["code"] == "invalid_status_transition"


def test_closed_can_reopen_and_same_status_is_noop(user):
    ask = AskFactory(user=user, status="closed")
    client = client_for(user)
    assert client.patch(status_url(ask.pk), {"status": "closed"}, format="json").status_code == 200
    res = client.patch(status_url(ask.pk), {"status": "open"}, format="json")
    assert res.status_code == 200 and res.data["status"] == "open"


def test_status_unknown_value_is_400(user):
    ask = AskFactory(user=user)
    res = client_for(user).patch(status_url(ask.pk), {"status": "done"}, format="json")
    assert res.status_code == 400 and "status" in res.data["fields"]


def test_status_change_by_non_owner(user, other_user):
    ask = AskFactory(user=user)
    res = client_for(other_user).patch(status_url(ask.pk), {"status": "closed"}, format="json")
    assert res.status_code == 403
    archived = AskFactory(user=user, is_archived=True)
    res = client_for(other_user).patch(status_url(archived.pk), {"status": "closed"}, format="json")
    assert res.status_code == 404
    assert APIClient().patch(status_url(ask.pk), {"status": "closed"}, format="json").status_code == 401
    ask.refresh_from_db()
    assert ask.status == "open"


def test_archived_ask_status_change_is_409_for_owner(user):
    ask = AskFactory(user=user, is_archived=True)
    res = client_for(user).patch(status_url(ask.pk), {"status": "closed"}, format="json")
    assert res.status_code == 409 and res.data["code"] == "ask_archived"


# --- visibility, archive, views ----------------------------------------------------------------


def test_archived_ask_only_visible_to_owner(user, other_user):
    ask = AskFactory(user=user, is_archived=True)
    assert client_for(user).get(detail(ask.pk)).status_code == 200
    other = client_for(other_user)
    assert other.get(detail(ask.pk)).status_code == 404
    assert APIClient().get(detail(ask.pk)).status_code == 404
    assert other.patch(detail(ask.pk), {"title": "x"}, format="json").status_code == 404
    assert other.delete(detail(ask.pk)).status_code == 404
    assert other.post(f"{detail(ask.pk)}view/").status_code == 404


def test_non_owner_write_on_visible_ask_is_403(user, other_user):
    ask = AskFactory(user=user)
    other = client_for(other_user)
    assert other.patch(detail(ask.pk), {"title": "x"}, format="json").status_code == 403
    assert other.delete(detail(ask.pk)).status_code == 403
    ask.refresh_from_db()
    assert not ask.is_archived and ask.title != "x"


def test_delete_archives_keeps_status(user):
    ask = AskFactory(user=user, status="in_progress")
    client = client_for(user)
    assert client.delete(detail(ask.pk)).status_code == 204
    ask.refresh_from_db()
    assert ask.is_archived and ask.status == "in_progress"
    assert APIClient().get(URL).data["count"] == 0
    assert client.get(f"{URL}me/").data["count"] == 0
    assert ids(client.get(f"{URL}me/", {"archived": "true"})) == [ask.pk]
    res = client.patch(detail(ask.pk), {"title": "x"}, format="json")
    assert res.status_code == 409


def test_view_counted_except_owner(user, other_user):
    ask = AskFactory(user=user)
    assert APIClient().post(f"{detail(ask.pk)}view/").data == {"view_count": 1, "counted": True}
    assert client_for(other_user).post(f"{detail(ask.pk)}view/").data == {"view_count": 2, "counted": True}
    assert client_for(user).post(f"{detail(ask.pk)}view/").data == {"view_count": 2, "counted": False}


def test_list_shows_non_archived_asks_of_every_status(db):
    visible = [AskFactory(status=s) for s in ("open", "in_progress", "fulfilled", "closed")]
    AskFactory(is_archived=True)
    assert set(ids(APIClient().get(URL))) == {a.pk for a in visible}


def test_my_asks(user, other_user):
    mine = AskFactory(user=user)
    AskFactory(user=other_user)
    assert ids(client_for(user).get(f"{URL}me/")) == [mine.pk]
    assert APIClient().get(f"{URL}me/").status_code == 401


# --- filters -----------------------------------------------------------------------------------


def test_filters_type_status_paid_category_tools_search(db):
    cat = CategoryFactory()
    tool = ToolFactory()
    a = AskFactory(ask_type="hire", is_paid_opportunity=True, category=cat, title="Hiring React dev")
    a.tools.set([tool])
    b = AskFactory(ask_type="advice", status="closed", description="pricing strategy advice")
    c = AskFactory(ask_type="learning")
    client = APIClient()
    assert ids(client.get(URL, {"ask_type": "hire"})) == [a.pk]
    assert set(ids(client.get(URL, {"type": "hire,learning"}))) == {a.pk, c.pk}
    assert ids(client.get(URL, {"status": "closed"})) == [b.pk]
    assert ids(client.get(URL, {"is_paid_opportunity": "true"})) == [a.pk]
    assert set(ids(client.get(URL, {"is_paid_opportunity": "false"}))) == {b.pk, c.pk}
    assert ids(client.get(URL, {"category": cat.slug})) == [a.pk]
    assert ids(client.get(URL, {"tools": tool.slug})) == [a.pk]
    assert ids(client.get(URL, {"search": "pricing"})) == [b.pk]
    assert ids(client.get(URL, {"search": "react"})) == [a.pk]


def test_budget_overlap_filter(db):
    def ask(lo, hi):
        return AskFactory(is_paid_opportunity=True, budget_min_cents=lo, budget_max_cents=hi)

    low = ask(100, 500)  # [1, 5] dollars
    mid = ask(1000, 3000)
    open_top = ask(2000, None)
    open_bottom = ask(None, 800)
    AskFactory()  # no budget: never matches a price filter
    client = APIClient()
    assert set(ids(client.get(URL, {"min_price": 2500}))) == {mid.pk, open_top.pk}
    assert set(ids(client.get(URL, {"max_price": 600}))) == {low.pk, open_bottom.pk}
    assert set(ids(client.get(URL, {"min_price": 400, "max_price": 1200}))) == {low.pk, mid.pk, open_bottom.pk}


def test_ordering_by_response_count(db):
    a, b = AskFactory(), AskFactory()
    Ask.objects.filter(pk=a.pk).update(response_count=4)
    assert ids(APIClient().get(URL, {"ordering": "-response_count"})) == [a.pk, b.pk]


@pytest.mark.parametrize(
    "param,value",
    [("ask_type", "wish"), ("status", "gone"), ("is_paid_opportunity", "sometimes"), ("min_price", "x"),
     ("ordering", "-connection_count"), ("category", "missing"), ("tags", "missing")],
)  # fmt: skip
def test_invalid_ask_filters_are_400(db, param, value):
    res = APIClient().get(URL, {param: value})
    assert res.status_code == 400 and param in res.data["fields"]


def test_ask_list_queries_constant(django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            a = AskFactory(user=UserFactory(), category=CategoryFactory())
            a.tags.set([TaxonomyFactory()])
            a.tools.set([ToolFactory()])

    make(2)
    with django_assert_max_num_queries(5):
        APIClient().get(URL)
    make(12)
    with django_assert_max_num_queries(5):
        res = APIClient().get(URL)
    assert res.data["count"] == 14
