"""Garbage input never yields a 500, and every error body has `code` and `detail`.

Runs on SQLite by default; the same tests run against PostgreSQL (which refuses NUL bytes in text,
unlike SQLite) when DATABASE_URL is set.
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from collective.services.reference import offer_categories_seed
from tests.conftest import client_for
from tests.factories import ToolFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "x" * 1_000_000


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("detail"), str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def authed():
    return client_for(UserFactory(username="ada"))


@pytest.mark.parametrize("url", ["/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/auth/session/"])
@pytest.mark.parametrize("raw", ['{"username": ', "{'single': 'quotes'}", "\x00\x01", "[" * 100_000, "nul"])
def test_malformed_json_is_parse_error(url, raw):
    response = APIClient().generic("POST", url, raw, content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_malformed_json_on_me_patch(authed):
    response = authed.generic("PATCH", "/api/v1/me/", '{"tagline": "x"', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_unsupported_media_type(authed):
    response = authed.generic("PATCH", "/api/v1/me/", "<tagline>x</tagline>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "payload",
    [
        [],
        [1, 2, 3],
        "a string",
        123,
        None,
        {"username": 123, "email": 456, "password": 789},
        {"username": ["a"], "email": {"x": 1}, "password": None},
        {"username": True, "email": "a@example.com", "password": 1.5},
        {"username": HUGE, "email": "a@example.com", "password": "plum-ocean-Ladder-42"},
        {"username": "ada_x", "email": HUGE + "@example.com", "password": "plum-ocean-Ladder-42"},
        {"username": "ada_x", "email": "a@example.com", "password": HUGE},
        {"username": "nul\x00name", "email": "a@example.com", "password": "plum-ocean-Ladder-42"},
        {"username": "ada_x", "email": "a\x00@example.com", "password": "plum-ocean-Ladder-42"},
    ],
)
def test_register_garbage_is_400(payload):
    assert_error(APIClient().post("/api/v1/auth/register/", payload, format="json"), 400)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "x",
        {"username": None, "password": None},
        {"username": ["x"], "password": {"y": 1}},
        {"username": HUGE, "password": HUGE},
        {"username": "a\x00b", "password": "pw"},
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/auth/session/"])
def test_login_garbage_is_400(url, payload):
    UserFactory(username="ada")
    assert_error(APIClient().post(url, payload, format="json"), 400)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "x",
        {"settings": []},
        {"settings": None},
        {"settings": {"time_zone": 5}},
        {"settings": {"time_zone": None}},
        {"settings": {"time_zone": "Europe/\x00Paris"}},
        {"settings": {"quiet_hours_start": [], "quiet_hours_end": {}}},
        {"settings": {"phone_number": 14155550123}},
        {"settings": {"phone_number": "+1415\x005550123"}},
        {"settings": {"sms_enabled": "perhaps"}},
        {"tagline": HUGE},
        {"bio": HUGE},
        {"avatar_url": HUGE},
        {"email": HUGE},
        {"tagline": None},
        {"tagline": "nul\x00byte"},
        {"bio": {"nested": True}},
        {"total_points": 10**30},
        {"": 1},
    ],
)
def test_me_patch_garbage_is_400(authed, payload):
    assert_error(authed.patch("/api/v1/me/", payload, format="json"), 400)


def test_huge_body_is_not_a_500(authed):
    body = '{"tagline": "' + "y" * 3_000_000 + '"}'
    response = authed.generic("PATCH", "/api/v1/me/", body, content_type="application/json")
    # Over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): refused before parsing, still in the JSON shape.
    assert_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/tools/does-not-exist/",
        "/api/v1/tools/" + "z" * 5000 + "/",
        "/api/v1/taxonomies/nothing/",
        "/api/v1/taxonomies/%E2%98%83/",
    ],
)
def test_unknown_ids_are_404(url):
    assert_error(APIClient().get(url), 404, "not_found")


@pytest.mark.parametrize("url", ["/api/v1/tools/%00/", "/api/v1/taxonomies/a%00b/"])
def test_nul_byte_in_a_lookup_is_a_4xx(url):
    # SQLite finds nothing (404); PostgreSQL refuses NUL in text, which the handler answers as 400.
    response = APIClient().get(url)
    assert_error(response, response.status_code)
    assert response.status_code in (400, 404)


@pytest.mark.parametrize(
    "params",
    [
        {"search": "\x00"},
        {"search": HUGE[:10_000]},
        {"category": "\x00"},
        {"category": ["a", "b"]},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999999999999999999999"},
        {"page_size": "abc"},
        {"page_size": "-5"},
        {"ordering": "password"},
        {"ordering": "\x00"},
        {"featured": "\x00"},
        {"pricing_model": "\x00"},
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/tools/", "/api/v1/taxonomies/"])
def test_list_query_garbage_is_never_500(url, params):
    offer_categories_seed()
    ToolFactory(name="Cursor")
    response = APIClient().get(url, params)
    if response.status_code == 200:
        assert "results" in response.json()
    else:
        assert_error(response, response.status_code)
        assert response.status_code in (400, 404)


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/auth/session/"])
def test_unauthenticated_or_bad_auth_is_json(url):
    client = APIClient()
    if url == "/api/v1/me/":
        assert_error(client.get(url), 401, "not_authenticated")
        assert_error(client.patch(url, {"tagline": "x"}, format="json"), 401, "not_authenticated")
        client.credentials(HTTP_AUTHORIZATION="Token garbage-token")
        assert_error(client.get(url), 401, "authentication_failed")
        # A key that cannot be a token (a NUL byte PostgreSQL could not even compare, upper-case,
        # too long) is refused as a bad token on every database, before any query.
        for bad in ("\x00garbage", "A" * 40, "a" * 41, "0" * 39 + "\x00"):
            client.credentials(HTTP_AUTHORIZATION=f"Token {bad}")
            assert_error(client.get(url), 401, "authentication_failed")
        client.credentials(HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
        assert_error(client.get(url), 401, "not_authenticated")
    else:
        # Logging out without a session is fine (idempotent), once CSRF is satisfied.
        assert client.delete(url).status_code == 204


@pytest.mark.parametrize(
    "method, url",
    [
        ("put", "/api/v1/me/"),
        ("delete", "/api/v1/me/"),
        ("get", "/api/v1/auth/register/"),
        ("get", "/api/v1/auth/token/"),
        ("post", "/api/v1/tools/"),
        ("put", "/api/v1/taxonomies/x/"),
    ],
)
def test_wrong_method_is_405_json(authed, method, url):
    assert_error(getattr(authed, method)(url), 405, "method_not_allowed")


def test_unknown_api_url_is_json_404():
    response = APIClient().get("/api/v1/no-such-endpoint/")
    assert_error(response, 404, "not_found")


def test_non_api_unknown_url_is_still_404():
    response = APIClient().get("/no-such-page")
    assert response.status_code == 404


def test_validation_error_body_names_fields():
    response = APIClient().post("/api/v1/auth/register/", {"username": "ok_name"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"email", "password"}
    assert body["detail"].split(":")[0] in {"email", "password"}


def test_django_level_handlers_answer_json_for_api_paths_only():
    from django.test import RequestFactory

    from core import errors as exceptions

    api = RequestFactory().get("/api/v1/anything/")
    page = RequestFactory().get("/admin/anything/")
    for response, status, code in [
        (exceptions.json_server_error(api), 500, "server_error"),
        (exceptions.json_bad_request(api, Exception("x")), 400, "bad_request"),
        (exceptions.json_permission_denied(api, Exception("x")), 403, "permission_denied"),
        (exceptions.json_not_found(api, Exception("x")), 404, "not_found"),
    ]:
        assert_error(response, status, code)
    assert exceptions.json_server_error(page)["Content-Type"].startswith("text/html")
    assert exceptions.json_not_found(page, Exception("x"))["Content-Type"].startswith("text/html")
