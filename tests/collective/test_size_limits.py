"""Every text and JSON field users write has a size limit, answered with a 400 naming the field;
list responses are bounded; creating offers and asks is rate limited (issue 11 item 4)."""

from __future__ import annotations

import pytest

from core import limits
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def offer(**fields):
    return {"title": "Prompt clinic", "description": "Help with prompts.", "offer_type": "service", **fields}


@pytest.mark.parametrize(
    "field, value",
    [
        ("description", "x" * (2 * 1024 * 1024)),  # the 2 MB description that was accepted
        ("description", "x" * (limits.OFFER_DESCRIPTION_MAX + 1)),
        ("body", "y" * (limits.OFFER_BODY_MAX + 1)),
        ("content", {"blob": "z" * (2 * 1024 * 1024)}),  # the 2 MB content document
        ("content", {"k": "z" * limits.OFFER_CONTENT_MAX_BYTES}),
        ("title", "t" * 201),
    ],
)
def test_offer_fields_over_their_limit_are_a_400_naming_the_field(field, value):
    user = UserFactory()
    resp = client_for(user).post("/api/v1/offers/", offer(**{field: value}), format="json")
    assert resp.status_code == 400, resp.status_code
    assert list(resp.data["fields"]) == [field], resp.data


def test_offer_fields_at_their_limit_are_accepted():
    user = UserFactory()
    content = {"k": "z" * (limits.OFFER_CONTENT_MAX_BYTES - len('{"k":""}'))}
    resp = client_for(user).post(
        "/api/v1/offers/",
        offer(
            description="d" * limits.OFFER_DESCRIPTION_MAX,
            body="b" * limits.OFFER_BODY_MAX,
            content=content,
        ),
        format="json",
    )
    assert resp.status_code == 201, resp.data


def test_ask_description_over_its_limit_is_a_400():
    resp = client_for(UserFactory()).post(
        "/api/v1/asks/",
        {
            "title": "Need testers",
            "description": "x" * (limits.ASK_DESCRIPTION_MAX + 1),
            "ask_type": "advice",
        },
        format="json",
    )
    assert resp.status_code == 400 and list(resp.data["fields"]) == ["description"]


def test_patch_is_held_to_the_same_limits():
    user = UserFactory()
    mine = OfferFactory(user=user)
    resp = client_for(user).patch(f"/api/v1/offers/{mine.pk}/", {"content": {"blob": "z" * 30_000}}, format="json")
    assert resp.status_code == 400 and list(resp.data["fields"]) == ["content"]


def test_a_discovery_page_is_bounded_by_the_field_limits(api_client):
    """The worst page: 20 offers, every field at its limit (written directly, past the API's create
    limit). The page stays within the bound docs/security.md gives for it."""
    owner = UserFactory()
    big = {"k": "z" * (limits.OFFER_CONTENT_MAX_BYTES - 20)}
    for _ in range(20):
        OfferFactory(
            user=owner, description="d" * limits.OFFER_DESCRIPTION_MAX, body="b" * limits.OFFER_BODY_MAX, content=big
        )
    size = len(api_client.get("/api/v1/discover/offers/").content)
    print(f"\nworst discovery page: {size:,} bytes")
    assert size < 1_500_000


def test_creating_offers_and_asks_is_rate_limited_per_account():
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    assert original["create"] == "30/hour"  # the documented default
    ScopedRateThrottle.THROTTLE_RATES = {**original, "create": "3/hour"}
    try:
        user, other = UserFactory(), UserFactory()
        client = client_for(user)
        codes = [client.post("/api/v1/offers/", offer(title=f"o{i}"), format="json").status_code for i in range(2)]
        codes.append(
            client.post(
                "/api/v1/asks/", {"title": "a", "description": "d", "ask_type": "advice"}, format="json"
            ).status_code
        )
        refused = client.post("/api/v1/offers/", offer(title="o3"), format="json")
        assert codes == [201, 201, 201] and refused.status_code == 429
        assert refused.data["code"] == "throttled" and int(refused["Retry-After"]) >= 1
        assert client.get("/api/v1/offers/").status_code == 200  # reading is not limited
        assert client_for(other).post("/api/v1/offers/", offer(), format="json").status_code == 201
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
