"""Offers REST API: create, read, update, archive, view, visibility, validation, markdown."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from collective.models import Offer, TaxonomyType
from tests.conftest import client_for
from tests.factories import CategoryFactory, OfferFactory, TaxonomyFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers/"


def detail(offer_id: int) -> str:
    return f"{URL}{offer_id}/"


def create(client: APIClient, **overrides) -> dict:
    body = {"title": "MeetingBot", "description": "AI meeting summaries", "offer_type": "app", **overrides}
    return client.post(URL, body, format="json")


# --- create ------------------------------------------------------------------------------------


def test_create_minimal_offer_is_a_free_draft_owned_by_caller(user):
    res = create(client_for(user))
    assert res.status_code == 201, res.data
    data = res.data
    assert data["user"]["username"] == user.username
    assert data["status"] == "draft"
    assert data["published_at"] is None
    assert data["is_paid"] is False and data["price_cents"] == 0 and data["pricing_type"] == "free"
    assert data["slug"] == "meetingbot"
    assert data["currency"] == "usd"
    offer = Offer.objects.get(pk=data["id"])
    assert offer.user_id == user.pk


def test_representation_has_every_seed_field(user):
    data = create(client_for(user)).data
    seed_fields = {
        "id", "user", "slug", "title", "description", "offer_type", "featured_image_url", "banner_url",
        "external_url", "body", "body_html", "content", "source_type", "source_url", "source_metadata",
        "category", "tags", "tools", "is_paid", "price_cents", "currency", "pricing_type",
        "stripe_product_id", "stripe_price_id", "status", "is_featured", "is_archived", "view_count",
        "connection_count", "created_at", "updated_at", "published_at",
    }  # fmt: skip
    assert seed_fields <= set(data)


def test_anonymous_cannot_create(db):
    assert create(APIClient()).status_code == 401


def test_create_requires_title_description_type(user):
    res = client_for(user).post(URL, {}, format="json")
    assert res.status_code == 400
    assert {"title", "description", "offer_type"} <= set(res.data["fields"])


def test_invalid_offer_type_is_400_naming_field(user):
    res = create(client_for(user), offer_type="spaceship")
    assert res.status_code == 400
    assert "offer_type" in res.data["fields"]


def test_create_active_sets_published_at(user):
    res = create(client_for(user), status="active")
    assert res.status_code == 201
    assert res.data["published_at"] is not None


def test_create_archived_status_refused(user):
    res = create(client_for(user), status="archived")
    assert res.status_code == 400
    assert res.data["code"] == "invalid_status"
    assert "status" in res.data["fields"]


def test_read_only_fields_are_ignored_on_create(user):
    res = create(client_for(user), view_count=999, is_featured=True, slug="custom", stripe_price_id="price_x")
    assert res.status_code == 201
    assert res.data["view_count"] == 0 and res.data["is_featured"] is False
    assert res.data["slug"] == "meetingbot" and res.data["stripe_price_id"] == ""


def test_slugs_unique_per_user_but_shared_between_users(user, other_user):
    a = create(client_for(user)).data
    b = create(client_for(user)).data
    c = create(client_for(other_user)).data
    assert a["slug"] == "meetingbot"
    assert b["slug"] == "meetingbot-2"
    assert c["slug"] == "meetingbot"


def test_slug_stays_when_title_changes(user):
    client = client_for(user)
    offer = create(client).data
    res = client.patch(detail(offer["id"]), {"title": "Totally New"}, format="json")
    assert res.status_code == 200
    assert res.data["title"] == "Totally New" and res.data["slug"] == "meetingbot"


def test_content_must_be_object(user):
    res = create(client_for(user), content=[1, 2])
    assert res.status_code == 400 and "content" in res.data["fields"]


def test_invalid_url_is_400(user):
    res = create(client_for(user), external_url="not a url")
    assert res.status_code == 400 and "external_url" in res.data["fields"]


# --- taxonomy and tools ------------------------------------------------------------------------


def test_category_tags_tools_written_by_slug_read_nested(user):
    cat = CategoryFactory(name="Development")
    skill = TaxonomyFactory(taxonomy_type=TaxonomyType.SKILL, name="Python")
    topic = TaxonomyFactory(taxonomy_type=TaxonomyType.TOPIC, name="Agents")
    tool = ToolFactory(name="Claude")
    res = create(client_for(user), category=cat.slug, tags=[skill.slug, topic.slug], tools=[tool.slug])
    assert res.status_code == 201, res.data
    assert res.data["category"] == {
        "id": cat.id,
        "slug": cat.slug,
        "name": "Development",
        "taxonomy_type": "offer_category",
        "color": "",
    }
    assert sorted(t["slug"] for t in res.data["tags"]) == sorted([skill.slug, topic.slug])
    assert res.data["tools"][0]["slug"] == "claude" and res.data["tools"][0]["name"] == "Claude"
    offer = Offer.objects.get(pk=res.data["id"])
    assert set(offer.tags.all()) == {skill, topic}
    assert list(offer.tools.all()) == [tool]


def test_category_must_be_offer_category(user):
    topic = TaxonomyFactory(taxonomy_type=TaxonomyType.TOPIC)
    res = create(client_for(user), category=topic.slug)
    assert res.status_code == 400
    assert res.data["code"] == "invalid_category" and "category" in res.data["fields"]


def test_inactive_category_refused(user):
    cat = CategoryFactory(is_active=False)
    res = create(client_for(user), category=cat.slug)
    assert res.status_code == 400 and "category" in res.data["fields"]


def test_unknown_category_slug_is_400(user):
    res = create(client_for(user), category="nope")
    assert res.status_code == 400 and "category" in res.data["fields"]


@pytest.mark.parametrize("kind", [TaxonomyType.OFFER_CATEGORY, TaxonomyType.INDUSTRY, TaxonomyType.TOOL])
def test_tags_must_be_skill_or_topic(user, kind):
    bad = TaxonomyFactory(taxonomy_type=kind)
    res = create(client_for(user), tags=[bad.slug])
    assert res.status_code == 400
    assert res.data["code"] == "invalid_tags" and "tags" in res.data["fields"]
    assert not Offer.objects.exists()


def test_inactive_tag_refused(user):
    tag = TaxonomyFactory(is_active=False)
    res = create(client_for(user), tags=[tag.slug])
    assert res.status_code == 400 and "tags" in res.data["fields"]


def test_unknown_tag_slug_is_400_naming_tags(user):
    res = create(client_for(user), tags=["ghost"])
    assert res.status_code == 400 and "tags" in res.data["fields"]
    assert "ghost" in res.data["fields"]["tags"][0]


def test_tags_must_be_list_of_strings(user):
    res = create(client_for(user), tags="python")
    assert res.status_code == 400 and "tags" in res.data["fields"]


def test_unknown_or_inactive_tool_refused(user):
    tool = ToolFactory(is_active=False)
    client = client_for(user)
    res = create(client, tools=[tool.slug])
    assert res.status_code == 400 and "tools" in res.data["fields"]
    res = create(client, tools=["nope"])
    assert res.status_code == 400 and "tools" in res.data["fields"]


def test_patch_replaces_tags_and_clears_category(user):
    cat = CategoryFactory()
    t1, t2 = TaxonomyFactory(), TaxonomyFactory()
    client = client_for(user)
    offer = create(client, category=cat.slug, tags=[t1.slug]).data
    res = client.patch(detail(offer["id"]), {"tags": [t2.slug], "category": None}, format="json")
    assert res.status_code == 200, res.data
    assert [t["slug"] for t in res.data["tags"]] == [t2.slug]
    assert res.data["category"] is None


# --- pricing -----------------------------------------------------------------------------------


def test_paid_offer(user):
    res = create(client_for(user), is_paid=True, price_cents=4900, pricing_type="one_time", currency="eur")
    assert res.status_code == 201, res.data
    assert (res.data["is_paid"], res.data["price_cents"], res.data["pricing_type"], res.data["currency"]) == (
        True, 4900, "one_time", "eur",
    )  # fmt: skip


def test_free_offer_with_price_is_400_naming_price(user):
    res = create(client_for(user), is_paid=False, price_cents=100)
    assert res.status_code == 400
    assert res.data["code"] == "free_offer_priced" and "price_cents" in res.data["fields"]


def test_free_offer_with_paid_pricing_type_is_400(user):
    res = create(client_for(user), pricing_type="hourly")
    assert res.status_code == 400 and "pricing_type" in res.data["fields"]


def test_paid_offer_priced_free_is_400(user):
    res = create(client_for(user), is_paid=True, price_cents=100)
    assert res.status_code == 400
    assert res.data["code"] == "paid_offer_free_pricing" and "pricing_type" in res.data["fields"]


def test_paid_one_time_needs_a_price_but_custom_does_not(user):
    client = client_for(user)
    res = create(client, is_paid=True, pricing_type="monthly")
    assert res.status_code == 400 and "price_cents" in res.data["fields"]
    res = create(client, is_paid=True, pricing_type="custom")
    assert res.status_code == 201


def test_negative_price_and_bad_currency_refused(user):
    client = client_for(user)
    res = create(client, is_paid=True, price_cents=-5, pricing_type="one_time")
    assert res.status_code == 400 and "price_cents" in res.data["fields"]
    res = create(client, currency="xyz")
    assert res.status_code == 400 and "currency" in res.data["fields"]


def test_switching_to_free_clears_price(user):
    client = client_for(user)
    offer = create(client, is_paid=True, price_cents=4900, pricing_type="hourly").data
    res = client.patch(detail(offer["id"]), {"is_paid": False}, format="json")
    assert res.status_code == 200, res.data
    assert (res.data["price_cents"], res.data["pricing_type"]) == (0, "free")


def test_patch_price_on_free_offer_is_400(user):
    client = client_for(user)
    offer = create(client).data
    res = client.patch(detail(offer["id"]), {"price_cents": 500}, format="json")
    assert res.status_code == 400 and "price_cents" in res.data["fields"]
    assert Offer.objects.get(pk=offer["id"]).price_cents == 0


def test_switching_to_paid_needs_pricing_type(user):
    client = client_for(user)
    offer = create(client).data
    res = client.patch(detail(offer["id"]), {"is_paid": True, "price_cents": 900}, format="json")
    assert res.status_code == 400 and "pricing_type" in res.data["fields"]
    res = client.patch(
        detail(offer["id"]), {"is_paid": True, "price_cents": 900, "pricing_type": "one_time"}, format="json"
    )
    assert res.status_code == 200 and res.data["is_paid"] is True


# --- status ------------------------------------------------------------------------------------


def test_publish_sets_published_at_once(user):
    client = client_for(user)
    offer = create(client).data
    first = client.patch(detail(offer["id"]), {"status": "active"}, format="json").data["published_at"]
    assert first is not None
    assert client.patch(detail(offer["id"]), {"status": "paused"}, format="json").data["published_at"] == first
    assert client.patch(detail(offer["id"]), {"status": "draft"}, format="json").data["published_at"] == first
    res = client.patch(detail(offer["id"]), {"status": "active"}, format="json")
    assert res.data["status"] == "active" and res.data["published_at"] == first


def test_patch_status_archived_refused(user):
    client = client_for(user)
    offer = create(client, status="active").data
    res = client.patch(detail(offer["id"]), {"status": "archived"}, format="json")
    assert res.status_code == 400 and "status" in res.data["fields"]


def test_archived_offer_cannot_be_edited_by_owner(user):
    client = client_for(user)
    offer = create(client, status="active").data
    assert client.delete(detail(offer["id"])).status_code == 204
    res = client.patch(detail(offer["id"]), {"title": "x"}, format="json")
    assert res.status_code == 409 and res.data["code"] == "offer_archived"


# --- markdown ----------------------------------------------------------------------------------


def test_body_rendered_and_sanitized(user):
    body = (
        "# Title\n\nSome **bold** [link](https://example.com).\n\n"
        '<script>alert(\'x\')</script>\n\n<a href="https://e.com" onclick="steal()">a</a> '
        '[bad](javascript:alert(1)) <img src="x.png" onerror="alert(1)">'
    )
    res = create(client_for(user), body=body)
    assert res.status_code == 201
    html = res.data["body_html"]
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    lowered = html.lower()
    assert "<script" not in lowered and "alert('x')" not in lowered
    assert "onclick" not in lowered and "onerror" not in lowered and "javascript:" not in lowered


def test_body_html_has_no_remote_images_and_links_are_nofollow(user):
    body = (
        '![pixel](http://evil.example/track.png) <img src="http://evil.example/t2.png">\n\n'
        "[docs](https://example.com/docs) [home](//evil.example) [rel](/offers/)"
    )
    html = create(client_for(user), body=body).data["body_html"]
    assert "<img" not in html and "t2.png" not in html
    # the image is a link to it, labelled with its alt text: nothing loads on its own
    assert '<a href="http://evil.example/track.png" rel="nofollow noopener noreferrer">pixel</a>' in html
    assert '<a href="https://example.com/docs" rel="nofollow noopener noreferrer">docs</a>' in html
    assert '<a href="/offers/" rel="nofollow noopener noreferrer">rel</a>' in html
    # protocol-relative: the text stays, the href goes
    assert '<a rel="nofollow noopener noreferrer">home</a>' in html and 'href="//' not in html
    assert html.count("<a ") == html.count('rel="nofollow noopener noreferrer"') == 4


def test_body_of_brackets_at_the_body_limit_renders_fast(user):
    import time

    from core.limits import OFFER_BODY_MAX

    start = time.perf_counter()
    res = create(client_for(user), body="[" * OFFER_BODY_MAX)
    assert res.status_code == 201
    assert res.data["body_html"] == "<p>" + "[" * OFFER_BODY_MAX + "</p>"
    assert time.perf_counter() - start < 2  # was minutes with Python-Markdown (issue 11)


def test_body_html_rerendered_on_update_and_not_writable(user):
    client = client_for(user)
    offer = create(client, body="first").data
    assert offer["body_html"] == "<p>first</p>"
    res = client.patch(detail(offer["id"]), {"body": "*second*", "body_html": "<script>x</script>"}, format="json")
    assert res.data["body_html"] == "<p><em>second</em></p>"


# --- visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "archived"])
def test_hidden_offer_is_404_for_others_visible_to_owner(state, user, other_user):
    offer = OfferFactory(user=user, status=state, is_archived=state == "archived")
    assert client_for(user).get(detail(offer.pk)).status_code == 200
    for client in (client_for(other_user), APIClient()):
        assert client.get(detail(offer.pk)).status_code == 404
        assert client.post(f"{detail(offer.pk)}view/").status_code == 404
    other = client_for(other_user)
    assert other.patch(detail(offer.pk), {"title": "hijack"}, format="json").status_code == 404
    assert other.delete(detail(offer.pk)).status_code == 404
    offer.refresh_from_db()
    assert offer.title != "hijack" and offer.view_count == 0


@pytest.mark.parametrize("state", ["active", "paused"])
def test_public_offer_readable_by_anyone(state, db):
    offer = OfferFactory(status=state)
    res = APIClient().get(detail(offer.pk))
    assert res.status_code == 200 and res.data["id"] == offer.pk


def test_non_owner_patch_or_delete_of_visible_offer_is_403(user, other_user):
    offer = OfferFactory(user=user, status="active")
    other = client_for(other_user)
    res = other.patch(detail(offer.pk), {"title": "hijack"}, format="json")
    assert res.status_code == 403
    assert other.delete(detail(offer.pk)).status_code == 403
    offer.refresh_from_db()
    assert offer.title != "hijack" and not offer.is_archived


def test_non_owner_403_comes_before_validation(user, other_user):
    offer = OfferFactory(user=user, status="active")
    res = client_for(other_user).patch(detail(offer.pk), {"offer_type": "nope"}, format="json")
    assert res.status_code == 403


def test_anonymous_patch_is_401(user):
    offer = OfferFactory(user=user, status="active")
    assert APIClient().patch(detail(offer.pk), {"title": "x"}, format="json").status_code == 401


def test_unknown_offer_is_404(user):
    assert client_for(user).get(detail(999999)).status_code == 404


# --- archive -----------------------------------------------------------------------------------


def test_delete_archives_and_hides_from_lists(user, other_user):
    offer = OfferFactory(user=user, status="active")
    client = client_for(user)
    assert client.delete(detail(offer.pk)).status_code == 204
    offer.refresh_from_db()
    assert offer.is_archived and offer.status == "archived"
    assert Offer.objects.filter(pk=offer.pk).exists()  # soft delete
    assert client_for(other_user).get(detail(offer.pk)).status_code == 404
    assert APIClient().get(URL).data["count"] == 0
    assert client.get(f"{URL}me/").data["count"] == 0
    archived = client.get(f"{URL}me/?archived=true").data
    assert [o["id"] for o in archived["results"]] == [offer.pk]
    # Archiving again is a no-op, still 204.
    assert client.delete(detail(offer.pk)).status_code == 204


# --- my offers ---------------------------------------------------------------------------------


def test_my_offers_lists_own_drafts_and_active_only(user, other_user):
    mine = [OfferFactory(user=user, status="draft"), OfferFactory(user=user, status="active")]
    OfferFactory(user=other_user, status="active")
    res = client_for(user).get(f"{URL}me/")
    assert res.status_code == 200
    assert {o["id"] for o in res.data["results"]} == {o.pk for o in mine}
    drafts = client_for(user).get(f"{URL}me/?status=draft").data
    assert [o["id"] for o in drafts["results"]] == [mine[0].pk]


def test_my_offers_requires_auth(db):
    assert APIClient().get(f"{URL}me/").status_code == 401


def test_my_offers_bad_archived_param_is_400(user):
    res = client_for(user).get(f"{URL}me/?archived=perhaps")
    assert res.status_code == 400 and "archived" in res.data["fields"]


# --- views -------------------------------------------------------------------------------------


def test_view_counted_for_visitors_not_owner(user, other_user):
    offer = OfferFactory(user=user, status="active")
    res = APIClient().post(f"{detail(offer.pk)}view/")
    assert res.status_code == 200 and res.data == {"view_count": 1, "counted": True}
    res = client_for(other_user).post(f"{detail(offer.pk)}view/")
    assert res.data == {"view_count": 2, "counted": True}
    res = client_for(user).post(f"{detail(offer.pk)}view/")
    assert res.data == {"view_count": 2, "counted": False}
    offer.refresh_from_db()
    assert offer.view_count == 2


def test_owner_may_post_view_on_own_draft_without_counting(user):
    offer = OfferFactory(user=user, status="draft")
    res = client_for(user).post(f"{detail(offer.pk)}view/")
    assert res.status_code == 200 and res.data["counted"] is False


def test_list_shows_only_public_offers(user):
    visible = [OfferFactory(status="active"), OfferFactory(status="paused")]
    OfferFactory(status="draft")
    OfferFactory(status="archived", is_archived=True)
    res = APIClient().get(URL)
    assert res.status_code == 200
    assert set(res.data) == {"count", "next", "previous", "results"}
    assert {o["id"] for o in res.data["results"]} == {o.pk for o in visible}


def test_owner_of_unknown_user_is_irrelevant_for_list(db):
    # A user without offers sees an empty paginated list, never an error.
    res = client_for(UserFactory()).get(URL)
    assert res.status_code == 200 and res.data["results"] == []
