from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from collective.models import User
from tests.factories import UserFactory

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
SESSION = "/api/v1/auth/session/"
CSRF = "/api/v1/auth/csrf/"
ME = "/api/v1/me/"

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-ocean-Ladder-42"


def register(client: APIClient, **overrides):
    payload = {"username": "ada_l", "email": "ada@example.com", "password": GOOD_PASSWORD, **overrides}
    return client.post(REGISTER, payload, format="json")


# --- register ----------------------------------------------------------------------------------


def test_register_returns_exactly_id_username_token_and_the_token_works(api_client):
    response = register(api_client)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "token"}
    user = User.objects.get(pk=body["id"])
    assert body["username"] == "ada_l" == user.username
    assert Token.objects.get(user=user).key == body["token"]
    assert user.role == "explorer"
    assert user.check_password(GOOD_PASSWORD)

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == "ada_l"


def test_register_stores_email_lower_cased(api_client):
    response = register(api_client, email="Ada.Lovelace@Example.COM")
    assert response.status_code == 201
    assert User.objects.get(pk=response.json()["id"]).email == "ada.lovelace@example.com"


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901", "ada_lovelace_x"],
    ids=["too-short", "common", "numeric", "similar-to-username"],
)
def test_register_rejects_weak_passwords_naming_password(api_client, password):
    response = register(api_client, username="ada_lovelace", email="someone@example.com", password=password)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["password"]
    assert body["detail"].startswith("password:")
    assert not User.objects.filter(username="ada_lovelace").exists()


def test_register_duplicate_username_is_case_insensitive(api_client):
    UserFactory(username="grace")
    response = register(api_client, username="Grace", email="g2@example.com")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "username_taken"
    assert list(body["fields"]) == ["username"]


def test_register_duplicate_email_is_case_insensitive(api_client):
    UserFactory(username="grace", email="grace@example.com")
    response = register(api_client, username="grace2", email="GRACE@Example.com")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "email_taken"
    assert list(body["fields"]) == ["email"]
    assert User.objects.filter(email__iexact="grace@example.com").count() == 1


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 31, "has space", "émile", "-dash", "dot.", "admin", "ME", "semi;colon"],
)
def test_register_username_rules(api_client, username):
    response = register(api_client, username=username)
    assert response.status_code == 400
    assert "username" in response.json()["fields"]


@pytest.mark.parametrize("username", ["abc", "ada.lovelace", "ada-l_99", "_under"])
def test_register_accepts_valid_usernames(api_client, username):
    assert register(api_client, username=username, email=f"{username}@example.com").status_code == 201


def test_register_missing_fields_are_named(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "email", "password"}


def test_register_bad_email(api_client):
    response = register(api_client, email="not-an-email")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["email"]


def test_register_is_throttled_per_scope(api_client, settings):
    from rest_framework.throttling import ScopedRateThrottle

    # The rate is read once at import time; patch the class attribute for this test only.
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "register": "2/hour"}
    try:
        assert register(api_client, username="one", email="one@example.com").status_code == 201
        assert register(api_client, username="two", email="two@example.com").status_code == 201
        third = register(api_client, username="three", email="three@example.com")
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert third.status_code == 429
    assert third.json()["code"] == "throttled"
    assert int(third["Retry-After"]) > 0
    assert not User.objects.filter(username="three").exists()


def test_register_and_login_ignore_a_stale_token_header(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token deadbeef")
    assert register(api_client).status_code == 201
    assert api_client.post(TOKEN, {"username": "ada_l", "password": GOOD_PASSWORD}).status_code == 200


# --- token login -------------------------------------------------------------------------------


def test_token_login_returns_the_users_token(api_client):
    user = UserFactory(username="linus")
    response = api_client.post(TOKEN, {"username": "linus", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    user.refresh_from_db()
    assert user.last_login is not None
    # Logging in again returns the same token.
    again = api_client.post(TOKEN, {"username": "linus", "password": "correct-horse-battery"}, format="json")
    assert again.json() == response.json()


@pytest.mark.parametrize(
    "payload",
    [{"username": "linus", "password": "wrong-password"}, {"username": "nobody", "password": "correct-horse-battery"}],
    ids=["wrong-password", "unknown-user"],
)
def test_token_login_bad_credentials(api_client, payload):
    UserFactory(username="linus")
    response = api_client.post(TOKEN, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert "detail" in response.json()


def test_inactive_user_cannot_log_in(api_client):
    UserFactory(username="gone", is_active=False)
    response = api_client.post(TOKEN, {"username": "gone", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_agent_cannot_log_in_with_a_password_even_if_one_was_set(api_client):
    agent = UserFactory(username="sage", role="agent")  # the factory gives it a usable password
    assert agent.has_usable_password()
    for url in (TOKEN, SESSION):
        response = api_client.post(url, {"username": "sage", "password": "correct-horse-battery"}, format="json")
        assert response.status_code == 400, url
        assert response.json()["code"] == "invalid_credentials"
    assert not Token.objects.filter(user=agent).exists()


def test_token_login_missing_fields(api_client):
    response = api_client.post(TOKEN, {"username": "x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["password"]


def test_login_is_throttled_at_ten_per_minute_with_retry_after(api_client):
    UserFactory(username="linus")
    statuses = [
        api_client.post(TOKEN, {"username": "linus", "password": "wrong"}, format="json").status_code for _ in range(10)
    ]
    assert statuses == [400] * 10
    # The 11th is refused even with the right password.
    response = api_client.post(TOKEN, {"username": "linus", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"]
    assert 0 < int(response["Retry-After"]) <= 60


# --- browser session ---------------------------------------------------------------------------


def csrf_client() -> tuple[APIClient, str]:
    client = APIClient(enforce_csrf_checks=True)
    response = client.get(CSRF)
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    return client, response.json()["csrf_token"]


def test_session_login_sets_cookie_and_authenticates_later_requests():
    UserFactory(username="linus")
    client, csrf = csrf_client()
    response = client.post(
        SESSION, {"username": "linus", "password": "correct-horse-battery"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200
    assert response.json()["username"] == "linus"
    assert "sessionid" in response.cookies
    assert client.get(ME).json()["username"] == "linus"


def test_session_login_without_csrf_token_is_refused():
    UserFactory(username="linus")
    client, _ = csrf_client()
    response = client.post(SESSION, {"username": "linus", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "sessionid" not in response.cookies


def test_session_login_bad_credentials():
    UserFactory(username="linus")
    client, csrf = csrf_client()
    response = client.post(SESSION, {"username": "linus", "password": "nope"}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_session_writes_need_csrf_and_logout_ends_the_session():
    UserFactory(username="linus")
    client, csrf = csrf_client()
    client.post(
        SESSION, {"username": "linus", "password": "correct-horse-battery"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    # Login rotates the CSRF token: the old one no longer works for session-authenticated writes.
    new_csrf = client.cookies["csrftoken"].value
    patch = client.patch(ME, {"tagline": "hi"}, format="json")
    assert patch.status_code == 403
    assert client.patch(ME, {"tagline": "hi"}, format="json", HTTP_X_CSRFTOKEN=new_csrf).status_code == 200

    assert client.delete(SESSION).status_code == 403  # logout needs CSRF too
    assert client.get(ME).status_code == 200
    assert client.delete(SESSION, HTTP_X_CSRFTOKEN=new_csrf).status_code == 204
    assert client.get(ME).status_code == 401


def test_unauthenticated_me_is_401_with_json_body(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_invalid_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- concurrency (PostgreSQL) ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field", ["username", "email"])
def test_concurrent_registrations_differing_only_in_case_yield_one_account(field):
    import threading

    from django.db import connection as default_connection  # noqa: F401  (each thread opens its own)
    from django.db import connections

    barrier = threading.Barrier(4)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        variants = ["racer", "Racer", "RACER", "rAcEr"]
        payload = {
            "username": variants[i] if field == "username" else f"racer{i}",
            "email": f"{variants[i]}@example.com" if field == "email" else f"r{i}@example.com",
            "password": GOOD_PASSWORD,
        }
        try:
            barrier.wait(timeout=10)
            response = APIClient().post(REGISTER, payload, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "register": "100/min"}
    try:
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400, 400], results
    assert all(body["code"] == f"{field}_taken" for status, body in results if status == 400)
    lookup = {"username__iexact": "racer"} if field == "username" else {"email__iexact": "racer@example.com"}
    assert User.objects.filter(**lookup).count() == 1
