"""The OpenAPI schema tells the truth about the API (issue 16, item 4).

schemathesis generates requests from the served schema for every operation, sends them to the real
WSGI application as an authenticated member who has data (offers, an ask, a connection, a thread,
a follower), and checks each answer with exactly four checks: no 5xx, every status is declared,
every content type is declared, every body matches its declared schema. The run is deterministic
(`derandomize=True`) and bounded (`MAX_EXAMPLES` per operation, one test per operation). The served
schema is also validated by openapi-spec-validator.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import client_for
from tests.factories import UserFactory
from tests.fakes.stripe import FakeStripe, running_stripe_fake

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Examples per operation: enough for schemathesis to try valid, boundary and missing values of each
# parameter and body field, few enough that the whole run (~100 operations) stays within minutes.
MAX_EXAMPLES = 10


def _served_schema() -> dict:
    from rest_framework.test import APIClient

    response = APIClient().get(SCHEMA_URL)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_served_schema_passes_openapi_spec_validator():
    validate(_served_schema())  # raises OpenAPIValidationError on any violation


def test_every_operation_declares_its_errors_in_the_error_shape():
    doc = _served_schema()
    error = doc["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["code", "detail"] and set(error["properties"]) == {"code", "detail", "fields"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "503" in responses, (method, path)  # any dependency outage (contract §6)
            for status, response in responses.items():
                if status[0] in "45":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorResponse"), (method, path, status)
    register = doc["paths"]["/api/v1/auth/register/"]["post"]["responses"]
    assert {"201", "400", "429", "503"} <= set(register) and "401" not in register  # anonymous, throttled
    assert {"401", "403", "404"} <= set(doc["paths"]["/api/v1/offers/{id}/"]["patch"]["responses"])


def test_lists_are_declared_as_answered():
    doc = _served_schema()

    def body(path: str) -> dict:
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema

    assert body("/api/v1/badges/")["type"] == "array"  # not paginated
    assert body("/api/v1/credits/costs/")["type"] == "array"
    for path in (
        "/api/v1/credits/",
        "/api/v1/notifications/",
        "/api/v1/offers/",
        "/api/v1/people/{username}/followers/",
    ):
        assert {"count", "next", "previous", "results"} <= set(body(path)["properties"]), path
    assert "credit_balance" in body("/api/v1/credits/")["properties"]
    assert set(body("/api/v1/threads/{thread_id}/messages/")["properties"]) == {"next", "previous", "results"}


def _community() -> str:
    """A member with something of everything, so detail routes hit real objects some of the time:
    two offers, an ask, a connection each way, a thread with a message, a follower. Built through
    the API, as a client would. Returns the member's token."""
    from collective.services.reference import reference_data_load
    from payments.services import credit_packs_load

    reference_data_load()
    credit_packs_load()
    member = UserFactory(username="member")
    other = UserFactory(username="other")
    me, them = client_for(member), client_for(other)
    offer = me.post(
        "/api/v1/offers/",
        {"title": "Prompt review", "description": "I review prompts.", "offer_type": "service", "status": "active"},
    )
    assert offer.status_code in (200, 201), offer.content
    me.post(
        "/api/v1/offers/",
        {"title": "Python pairing", "description": "Pair on code.", "offer_type": "service", "status": "active"},
    )
    ask = me.post(
        "/api/v1/asks/",
        {"title": "Feedback wanted", "description": "On my agent.", "ask_type": "advice", "status": "active"},
    )
    assert ask.status_code in (200, 201), ask.content
    their_offer = them.post(
        "/api/v1/offers/",
        {"title": "Logo design", "description": "I draw logos.", "offer_type": "service", "status": "active"},
    )
    assert their_offer.status_code in (200, 201), their_offer.content
    connection = them.post("/api/v1/connections/", {"offer": offer.json()["id"], "initial_message": "Hi!"})
    assert connection.status_code == 201, connection.content
    mine = me.post("/api/v1/connections/", {"offer": their_offer.json()["id"], "initial_message": "Hello"})
    assert mine.status_code == 201, mine.content
    thread = me.post("/api/v1/threads/", {"user": other.pk}, format="json")
    assert thread.status_code in (200, 201), thread.content
    follow = them.post("/api/v1/follows/", {"following": member.pk}, format="json")
    assert follow.status_code == 201, follow.content
    from rest_framework.authtoken.models import Token

    return Token.objects.get(user=member).key


def _load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema as served, loaded at collection (serving it touches no database), so that each
    operation is its own test."""
    from django.test import Client

    from config.wsgi import application

    response = Client().get(SCHEMA_URL)
    assert response.status_code == 200, response.content[:500]
    loaded = schemathesis.openapi.from_dict(response.json())
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture(scope="module")
def stripe_fake() -> Iterator[FakeStripe]:
    with running_stripe_fake(f"whsec_test_{secrets.token_hex(8)}") as fake:
        yield fake


@pytest.fixture(scope="module")
def community(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The community, made once for the module inside a transaction rolled back at its end (as
    Django's TestCase.setUpClass does); each test's own transaction is a savepoint inside it, so
    what one operation's requests write is gone before the next. Yields the member's token."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            token = _community()
            # The WSGI application closes the connection at each request's start and end; inside
            # the test's transaction that would end it (PostgreSQL: "Cannot open a new connection
            # in an atomic block"). Django's own test client detaches the handler the same way
            # (and attaches it again after each of its requests: so this comes after _community).
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
            yield token
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def member_token(community: str, db, settings, stripe_fake: FakeStripe) -> str:
    """Payments are on, pointed at the Stripe fake (a real process speaking Stripe's API), so the
    payment operations run their real code instead of answering 503 payments_not_configured."""
    settings.STRIPE_SECRET_KEY = stripe_fake.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_fake.webhook_secret
    settings.STRIPE_API_BASE = stripe_fake.base_url
    settings.PAYMENTS = {**settings.PAYMENTS, "MAX_NETWORK_RETRIES": 0}
    return community


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: a failure is reported as found (with its curl line); shrinking it costs minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, member_token):
    case.call_and_validate(headers={"Authorization": f"Token {member_token}"}, checks=CHECKS)
