"""Filters, search, ordering, pagination and query counts of the offer lists."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from collective.models import TaxonomyType
from tests.conftest import client_for
from tests.factories import CategoryFactory, OfferFactory, TaxonomyFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers/"


def ids(res) -> list[int]:
    assert res.status_code == 200, res.data
    return [o["id"] for o in res.data["results"]]


def paid(**kw):
    return OfferFactory(is_paid=True, pricing_type="one_time", **kw)


def test_filter_by_type_single_and_multiple():
    app = OfferFactory(offer_type="app")
    course = OfferFactory(offer_type="course")
    OfferFactory(offer_type="link")
    client = APIClient()
    assert ids(client.get(URL, {"offer_type": "app"})) == [app.pk]
    assert set(ids(client.get(f"{URL}?offer_type=app&offer_type=course"))) == {app.pk, course.pk}
    assert set(ids(client.get(URL, {"offer_type": "app,course"}))) == {app.pk, course.pk}
    assert set(ids(client.get(URL, {"type": "course"}))) == {course.pk}


def test_filter_by_category_slug():
    cat = CategoryFactory()
    inside = OfferFactory(category=cat)
    OfferFactory()
    assert ids(APIClient().get(URL, {"category": cat.slug})) == [inside.pk]


def test_filter_by_tools_any_of_without_duplicates():
    claude, mj, other = ToolFactory(), ToolFactory(), ToolFactory()
    both = OfferFactory()
    both.tools.set([claude, mj])
    one = OfferFactory()
    one.tools.set([mj])
    none = OfferFactory()
    none.tools.set([other])
    res = APIClient().get(f"{URL}?tools={claude.slug}&tools={mj.slug}")
    assert sorted(ids(res)) == sorted([both.pk, one.pk])
    assert res.data["count"] == 2


def test_filter_by_tags():
    skill = TaxonomyFactory(taxonomy_type=TaxonomyType.SKILL)
    tagged = OfferFactory()
    tagged.tags.set([skill])
    OfferFactory()
    assert ids(APIClient().get(URL, {"tags": skill.slug})) == [tagged.pk]


def test_filter_free_or_paid():
    p = paid(price_cents=1000)
    f = OfferFactory()
    client = APIClient()
    assert ids(client.get(URL, {"is_paid": "true"})) == [p.pk]
    assert ids(client.get(URL, {"is_paid": "false"})) == [f.pk]


def test_price_range_in_cents():
    cheap, mid, dear = paid(price_cents=500), paid(price_cents=5000), paid(price_cents=50000)
    client = APIClient()
    assert set(ids(client.get(URL, {"min_price": 1000}))) == {mid.pk, dear.pk}
    assert set(ids(client.get(URL, {"max_price": 5000, "is_paid": "true"}))) == {cheap.pk, mid.pk}
    assert ids(client.get(URL, {"min_price": 1000, "max_price": 10000})) == [mid.pk]


def test_filter_by_status_and_user():
    a = OfferFactory(status="active")
    p = OfferFactory(status="paused")
    client = APIClient()
    assert ids(client.get(URL, {"status": "paused"})) == [p.pk]
    assert ids(client.get(URL, {"user": a.user.username})) == [a.pk]
    # A draft is not found through the status filter either.
    OfferFactory(status="draft")
    assert ids(client.get(URL, {"status": "draft"})) == []


def test_search_title_and_description():
    t = OfferFactory(title="Prompt engineering course")
    d = OfferFactory(description="I review landing pages for prompt quality")
    OfferFactory(title="Unrelated")
    assert set(ids(APIClient().get(URL, {"search": "prompt"}))) == {t.pk, d.pk}


def test_ordering_options():
    a = paid(price_cents=300)
    b = paid(price_cents=100)
    c = paid(price_cents=200)
    client = APIClient()
    assert ids(client.get(URL)) == [c.pk, b.pk, a.pk]  # default -created_at
    assert ids(client.get(URL, {"ordering": "created_at"})) == [a.pk, b.pk, c.pk]
    assert ids(client.get(URL, {"ordering": "price_cents"})) == [b.pk, c.pk, a.pk]
    assert ids(client.get(URL, {"ordering": "-price_cents"})) == [a.pk, c.pk, b.pk]
    type(a).objects.filter(pk=b.pk).update(view_count=10, connection_count=1)
    type(a).objects.filter(pk=a.pk).update(view_count=5, connection_count=3)
    assert ids(client.get(URL, {"ordering": "-view_count"}))[:2] == [b.pk, a.pk]
    assert ids(client.get(URL, {"ordering": "-connection_count"}))[:2] == [a.pk, b.pk]


@pytest.mark.parametrize(
    "param,value",
    [
        ("offer_type", "spaceship"),
        ("type", "app,nope"),
        ("status", "deleted"),
        ("category", "no-such-category"),
        ("tools", "no-such-tool"),
        ("tags", "no-such-tag"),
        ("is_paid", "maybe"),
        ("is_featured", "2"),
        ("min_price", "abc"),
        ("min_price", "-1"),
        ("max_price", "1.5"),
        ("max_price", "1e30"),
        ("max_price", "NaN"),
        ("ordering", "password"),
        ("ordering", "-user__password"),
        ("search", "x" * 201),
    ],
)
def test_invalid_filter_values_are_400_naming_param(param, value):
    res = APIClient().get(URL, {param: value})
    assert res.status_code == 400, res.data
    assert param in res.data["fields"]


def test_min_above_max_is_400():
    res = APIClient().get(URL, {"min_price": 500, "max_price": 100})
    assert res.status_code == 400 and "min_price" in res.data["fields"]


def test_category_filter_rejects_non_category_taxonomy():
    topic = TaxonomyFactory(taxonomy_type=TaxonomyType.TOPIC)
    res = APIClient().get(URL, {"category": topic.slug})
    assert res.status_code == 400 and "category" in res.data["fields"]


def test_pagination_shape_and_page_size():
    for _ in range(5):
        OfferFactory()
    res = APIClient().get(URL, {"page_size": 2})
    assert res.data["count"] == 5 and len(res.data["results"]) == 2
    assert res.data["previous"] is None and "page=2" in res.data["next"]
    page3 = APIClient().get(URL, {"page_size": 2, "page": 3}).data
    assert len(page3["results"]) == 1 and page3["next"] is None


def test_pages_do_not_overlap_on_ties():
    offers = [OfferFactory() for _ in range(6)]
    type(offers[0]).objects.update(view_count=1)  # every row ties on the ordering key
    seen = []
    for page in (1, 2, 3):
        seen += ids(APIClient().get(URL, {"page_size": 2, "page": page, "ordering": "view_count"}))
    assert sorted(seen) == sorted(o.pk for o in offers)


def _rich_offers(n: int) -> None:
    cat = CategoryFactory()
    tags = [TaxonomyFactory(), TaxonomyFactory(taxonomy_type=TaxonomyType.SKILL)]
    tools = [ToolFactory(), ToolFactory()]
    for _ in range(n):
        o = OfferFactory(user=UserFactory(), category=cat)
        o.tags.set(tags)
        o.tools.set(tools)


@pytest.mark.parametrize("path", [URL, "/api/v1/discover/offers/"])
def test_list_queries_do_not_grow_with_rows(path, django_assert_max_num_queries):
    _rich_offers(3)
    client = APIClient()
    # count + page + tags prefetch + tools prefetch (+ filter lookups): constant.
    with django_assert_max_num_queries(5):
        small = client.get(path)
    _rich_offers(15)
    with django_assert_max_num_queries(5):
        big = client.get(path)
    assert small.data["count"] == 3 and big.data["count"] == 18
    assert len(big.data["results"][0]["tags"]) == 2 and len(big.data["results"][0]["tools"]) == 2


def test_my_offers_queries_constant(user, django_assert_max_num_queries):
    for _ in range(12):
        OfferFactory(user=user).tags.set([TaxonomyFactory()])
    client = APIClient()
    client.force_authenticate(user)
    with django_assert_max_num_queries(5):
        res = client.get(f"{URL}me/")
    assert res.data["count"] == 12


def test_filters_apply_to_my_offers(user):
    app = OfferFactory(user=user, offer_type="app", status="draft")
    OfferFactory(user=user, offer_type="course", status="draft")
    res = client_for(user).get(f"{URL}me/", {"offer_type": "app"})
    assert ids(res) == [app.pk]
