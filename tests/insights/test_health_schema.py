"""The staff health endpoint against its own schema, as staff (the suite-wide run in
tests/config/test_schemathesis.py is a member, who gets 403 here): schemathesis generates the
query parameters, valid and not, and checks every answer with the same four checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _load() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves, generated at collection without a request (so without a
    database connection: this module also runs on PostgreSQL, where none is open yet)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from config.wsgi import application

    generated = SchemaGenerator().get_schema(request=None, public=True)
    served = json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))
    loaded = schemathesis.openapi.from_dict(served).include(path="/api/v1/staff/health/")
    loaded.app = application
    return loaded


schema = _load()


@pytest.fixture
def staff_token(db) -> Iterator[str]:
    """A staff member's token. The WSGI calls run inside the test's transaction, so, as Django's
    test client does, the request signals must not close the connection (on PostgreSQL it could
    not be reopened inside the transaction)."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=UserFactory(is_staff=True)).key
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield token
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_staff_health_conforms_to_its_schema(case, staff_token):
    response = case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=CHECKS)
    if case.method == "GET":  # schemathesis also probes other methods (405)
        assert response.status_code in (200, 400), (case.query, response.status_code)
