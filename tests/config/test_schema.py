from __future__ import annotations

import pytest
import yaml
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

MY_PATHS = {
    "/api/v1/auth/register/": {"post"},
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/session/": {"post", "delete"},
    "/api/v1/auth/csrf/": {"get"},
    "/api/v1/me/": {"get", "patch"},
    "/api/v1/tools/": {"get"},
    "/api/v1/tools/{slug}/": {"get"},
    "/api/v1/taxonomies/": {"get"},
    "/api/v1/taxonomies/{slug}/": {"get"},
}


@pytest.fixture(scope="module")
def schema_response(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")


def test_schema_is_a_valid_openapi_3_document(schema_response):
    assert schema_response.status_code == 200
    doc = (
        schema_response.json() if "json" in schema_response["Content-Type"] else yaml.safe_load(schema_response.content)
    )
    assert doc["openapi"].startswith("3.")
    validate_schema(doc)  # raises on any violation of the OpenAPI 3.0 JSON schema
    for path, methods in MY_PATHS.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, set(doc["paths"][path]))


def test_schema_describes_accounts_contract(schema_response):
    doc = schema_response.json()
    components = doc["components"]["schemas"]
    register = doc["paths"]["/api/v1/auth/register/"]["post"]
    ref = register["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(components[ref]["properties"]) == {"id", "username", "token"}
    me = doc["paths"]["/api/v1/me/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    me_props = components[me.rsplit("/", 1)[-1]]["properties"]
    assert {"total_points", "helped_count", "credit_balance", "followers_count", "following_count", "settings"} <= set(
        me_props
    )
    tools = doc["paths"]["/api/v1/tools/"]["get"]
    assert {p["name"] for p in tools["parameters"]} >= {"category", "pricing_model", "featured", "search", "page"}


def test_my_views_generate_without_warnings_or_errors():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    mine = [
        m
        for m in messages
        if any(
            name in m
            for name in (
                "accounts.py",
                "accounts_serializers.py",
                "api/tools.py",
                "RegisterView",
                "TokenLoginView",
                "SessionView",
                "CsrfView",
                "MeView",
                "ToolViewSet",
                "TaxonomyViewSet",
            )
        )
    ]
    assert mine == []


def test_the_whole_schema_generates_without_warnings_or_errors():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    assert messages == []


def test_docs_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
