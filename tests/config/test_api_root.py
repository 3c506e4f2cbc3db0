"""`GET /api/v1/` (config/api_root.py): a directory of the API, derived from the URL conf."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MAIN_AREAS = {
    "me",
    "offers",
    "asks",
    "connections",
    "discover",
    "search",
    "threads",
    "notifications",
    "realtime",
    "payments",
    "onboarding",
    "matches",
    "home",
    "points",
}


def test_anonymous_gets_the_directory_with_absolute_links(api_client):
    response = api_client.get("/api/v1/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"areas", "schema", "docs", "asyncapi"}
    assert MAIN_AREAS <= set(body["areas"])
    assert body["areas"]["offers"] == "http://testserver/api/v1/offers/"
    assert body["areas"]["realtime"] == "http://testserver/api/v1/realtime/tickets/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["asyncapi"] == "http://testserver/api/asyncapi/"
    # Provider callbacks are not areas a client browses.
    assert not [u for u in body["areas"].values() if "webhook" in u or "/sms/" in u]


def test_every_link_resolves_for_an_authenticated_user(api_client):
    body = api_client.get("/api/v1/").json()
    client = client_for(UserFactory())
    links = {**body["areas"], "schema": body["schema"], "docs": body["docs"], "asyncapi": body["asyncapi"]}
    for name, url in links.items():
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.netloc == "testserver", url
        status = client.get(parts.path).status_code
        # 200 for what a member reads, 405 for a POST-only area (follows, gifts), 403 for staff only,
        # 503 for payments while no payment provider is configured (docs/payments.md).
        assert status not in (404, 500), (name, url, status)
        assert status < 500 or name == "payments", (name, url, status)


def test_the_root_is_in_the_openapi_schema_truthfully(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(component["required"]) == {"areas", "schema", "docs", "asyncapi"}
    assert component["properties"]["areas"]["additionalProperties"]["format"] == "uri"


def test_links_follow_the_host_asked_for(api_client):
    body = api_client.get("/api/v1/", HTTP_HOST="localhost").json()
    assert body["areas"]["threads"] == "http://localhost/api/v1/threads/"
