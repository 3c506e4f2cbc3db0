"""To a user someone has blocked, the blocker looks like a user that does not exist: their offers,
asks and storefront are gone from every list and detail (404), while everyone else, and the
blocker, sees what they saw before. Unblocking brings it all back."""

from __future__ import annotations

import pytest

from collective.models import Block
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def _ids(response, key="results"):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()[key]}


def _visible(client, blocker, offer, ask) -> dict[str, bool]:
    """Where `client` can find the blocker and their things."""
    discover = client.get("/api/v1/discover/").json()
    return {
        "offer_detail": client.get(f"/api/v1/offers/{offer.pk}/").status_code == 200,
        "ask_detail": client.get(f"/api/v1/asks/{ask.pk}/").status_code == 200,
        "offer_view": client.post(f"/api/v1/offers/{offer.pk}/view/").status_code == 200,
        "offers_list": offer.pk in _ids(client.get("/api/v1/offers/")),
        "asks_list": ask.pk in _ids(client.get("/api/v1/asks/")),
        "discover_offers": offer.pk in _ids(client.get("/api/v1/discover/offers/")),
        "discover_asks": ask.pk in _ids(client.get("/api/v1/discover/asks/")),
        "discover_people": blocker.pk in _ids(client.get("/api/v1/discover/people/")),
        "discover_sections": offer.pk in {o["id"] for o in discover["recent_offers"]}
        and ask.pk in {a["id"] for a in discover["open_asks"]}
        and blocker.pk in {p["id"] for p in discover["people"]},
        "storefront": client.get(f"/api/v1/people/{blocker.username}/").status_code == 200,
        "followers": client.get(f"/api/v1/people/{blocker.username}/followers/").status_code == 200,
    }


def test_the_blocker_vanishes_for_the_blocked_user_only_and_comes_back_on_unblock():
    blocker, blocked, bystander = UserFactory(), UserFactory(), UserFactory()
    offer = OfferFactory(user=blocker)
    ask = AskFactory(user=blocker)
    blocked_offer = OfferFactory(user=blocked)
    everywhere = dict.fromkeys(_visible(client_for(bystander), blocker, offer, ask), True)
    assert _visible(client_for(blocked), blocker, offer, ask) == everywhere

    assert client_for(blocker).post("/api/v1/blocks/", {"user": blocked.pk}).status_code == 201
    assert _visible(client_for(blocked), blocker, offer, ask) == dict.fromkeys(everywhere, False)
    response = client_for(blocked).get(f"/api/v1/people/{blocker.username}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # Everyone else still sees the blocker; the blocker still sees the blocked user's things.
    assert _visible(client_for(bystander), blocker, offer, ask) == everywhere
    assert blocked_offer.pk in _ids(client_for(blocker).get("/api/v1/offers/"))
    assert client_for(blocker).get(f"/api/v1/people/{blocked.username}/").status_code == 200

    assert client_for(blocker).delete(f"/api/v1/blocks/{blocked.pk}/").status_code == 204
    assert _visible(client_for(blocked), blocker, offer, ask) == everywhere


def test_anonymous_visitors_are_unaffected_by_blocks():
    from rest_framework.test import APIClient

    blocker, blocked = UserFactory(), UserFactory()
    offer, ask = OfferFactory(user=blocker), AskFactory(user=blocker)
    Block.objects.create(blocker=blocker, blocked=blocked)
    anonymous = APIClient()
    assert offer.pk in _ids(anonymous.get("/api/v1/discover/offers/"))
    assert ask.pk in _ids(anonymous.get("/api/v1/discover/asks/"))
    assert anonymous.get(f"/api/v1/people/{blocker.username}/").status_code == 200


def test_hiding_blockers_adds_no_query_to_lists(django_assert_max_num_queries):
    viewer = UserFactory()
    for _ in range(3):
        blocker = UserFactory()
        OfferFactory(user=blocker)
        Block.objects.create(blocker=blocker, blocked=viewer)
    OfferFactory.create_batch(5)
    client = client_for(viewer)
    client.get("/api/v1/discover/offers/")  # warm-up (token, content types)
    with django_assert_max_num_queries(5):  # token, count, page, tags, tools
        response = client.get("/api/v1/discover/offers/")
    assert len(response.json()["results"]) == 5
