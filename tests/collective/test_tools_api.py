from __future__ import annotations

import pytest

from collective.models import Taxonomy
from collective.services.reference import offer_categories_seed
from tests.factories import AskFactory, OfferFactory, TaxonomyFactory, ToolFactory

TOOLS = "/api/v1/tools/"
TAXONOMIES = "/api/v1/taxonomies/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    offer_categories_seed()
    dev = Taxonomy.objects.get(slug="development")
    design = Taxonomy.objects.get(slug="creative-design")
    return {
        "cursor": ToolFactory(
            name="Cursor",
            slug="cursor",
            category=dev,
            pricing_model="freemium",
            is_featured=True,
            tagline="The AI-first code editor",
            best_for=["Refactoring"],
        ),
        "copilot": ToolFactory(
            name="GitHub Copilot",
            slug="github-copilot",
            category=dev,
            pricing_model="paid",
            has_free_tier=False,
            tagline="AI pair programmer",
        ),
        "midjourney": ToolFactory(
            name="Midjourney",
            slug="midjourney",
            category=design,
            pricing_model="paid",
            description="Image generation with style",
        ),
        "retired": ToolFactory(name="Retired", slug="retired", category=design, is_active=False),
    }


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["slug"] for t in response.json()["results"]]


def test_list_is_public_paginated_and_hides_inactive(api_client, directory):
    response = api_client.get(TOOLS)
    assert slugs(response) == ["cursor", "github-copilot", "midjourney"]
    body = response.json()
    assert body["count"] == 3 and "next" in body and "previous" in body
    first = body["results"][0]
    assert first["category"] == {
        "id": first["category"]["id"],
        "slug": "development",
        "name": "Development & Technical",
    }
    assert set(first) >= {
        "name",
        "tagline",
        "website_url",
        "logo_url",
        "pricing_model",
        "has_free_tier",
        "usage_tips",
        "best_for",
        "is_featured",
    }
    page = api_client.get(TOOLS, {"page_size": 2})
    assert len(page.json()["results"]) == 2 and page.json()["next"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"category": "development"}, ["cursor", "github-copilot"]),
        ({"category": "creative-design"}, ["midjourney"]),
        ({"category": "no-such-category"}, []),
        ({"pricing_model": "paid"}, ["github-copilot", "midjourney"]),
        ({"featured": "true"}, ["cursor"]),
        ({"featured": "false"}, ["github-copilot", "midjourney"]),
        ({"has_free_tier": "false"}, ["github-copilot"]),
        ({"search": "pair programmer"}, ["github-copilot"]),
        ({"search": "image"}, ["midjourney"]),
        ({"search": "refactoring"}, ["cursor"]),
        ({"category": "development", "pricing_model": "freemium"}, ["cursor"]),
    ],
)
def test_list_filters(api_client, directory, params, expected):
    assert slugs(api_client.get(TOOLS, params)) == expected


@pytest.mark.parametrize(
    "params, field", [({"pricing_model": "cheap"}, "pricing_model"), ({"featured": "maybe"}, "featured")]
)
def test_list_bad_filter_values_are_400_naming_the_filter(api_client, directory, params, field):
    response = api_client.get(TOOLS, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_detail_counts_only_public_offers_and_asks(api_client, directory):
    cursor = directory["cursor"]
    for status in ("active", "paused", "draft"):
        OfferFactory(status=status).tools.add(cursor)
    OfferFactory(status="archived", is_archived=True).tools.add(cursor)
    OfferFactory(status="active")  # not using the tool
    AskFactory().tools.add(cursor)
    AskFactory(is_archived=True).tools.add(cursor)

    response = api_client.get(f"{TOOLS}cursor/")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "cursor"
    assert body["offers_count"] == 2  # active + paused
    assert body["asks_count"] == 1


def test_detail_unknown_or_inactive_is_404(api_client, directory):
    for slug in ("nope", "retired"):
        response = api_client.get(f"{TOOLS}{slug}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_tools_are_read_only(api_client, directory):
    from tests.conftest import client_for
    from tests.factories import UserFactory

    client = client_for(UserFactory())
    assert client.post(TOOLS, {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"{TOOLS}cursor/").status_code == 405


def test_taxonomies_by_type_active_only(api_client):
    offer_categories_seed()
    TaxonomyFactory(name="Python", taxonomy_type="skill")
    TaxonomyFactory(name="Cobol", taxonomy_type="skill", is_active=False)
    TaxonomyFactory(name="Agents", taxonomy_type="topic")

    categories = api_client.get(TAXONOMIES, {"type": "offer_category", "page_size": 50}).json()
    assert categories["count"] == 8
    assert {t["slug"] for t in categories["results"]} >= {"marketing-content", "other"}
    assert all(t["type"] == "offer_category" for t in categories["results"])

    skills = api_client.get(TAXONOMIES, {"type": "skill"}).json()
    assert [t["name"] for t in skills["results"]] == ["Python"]

    everything = api_client.get(TAXONOMIES, {"page_size": 100}).json()
    assert everything["count"] == 10  # 8 categories + Python + Agents; Cobol is inactive


def test_taxonomies_bad_type_is_400_naming_type(api_client):
    response = api_client.get(TAXONOMIES, {"type": "spaceship"})
    assert response.status_code == 400
    assert "type" in response.json()["fields"]


def test_taxonomy_detail_by_slug(api_client):
    parent = TaxonomyFactory(name="Programming", taxonomy_type="skill")
    TaxonomyFactory(name="Python", slug="python", taxonomy_type="skill", parent=parent)
    body = api_client.get(f"{TAXONOMIES}python/").json()
    assert body["name"] == "Python" and body["parent"] == parent.slug
    assert api_client.get(f"{TAXONOMIES}nothing/").status_code == 404
