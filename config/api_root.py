"""`GET /api/v1/`: the API root, a directory of the API's areas with absolute links.

The areas are read from the URL configuration, not kept by hand: every route under `api/v1/`
without a path parameter is grouped by its first path segment (`offers`, `threads`, `me`, ...),
and each area links its shortest such route (`offers/`, `realtime/tickets/`). A new app's routes
appear here by themselves. Provider callbacks (the Stripe and Twilio webhooks) are not areas a
client browses, and routes that need a path parameter (`people/<username>/`) have no link.

Anonymous access: it is a directory, it reveals nothing the schema does not. Links to the OpenAPI
schema, its docs and the AsyncAPI document of the socket come with it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

PREFIX = "api/v1/"
# Routes that are called by providers, not by clients (docs/payments.md, docs/sms.md).
PROVIDER_CALLBACKS = frozenset({"stripe-webhook", "sms-status", "sms-inbound"})


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    out: list[tuple[str, URLPattern]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            out += _walk(pattern.url_patterns, route)
        else:
            out.append((route, pattern))
    return out


@lru_cache(maxsize=1)
def api_areas() -> tuple[tuple[str, str], ...]:
    """(area, URL name) for each area under /api/v1/, in the order the URL conf lists them."""
    best: dict[str, tuple[int, str]] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(PREFIX) or route == PREFIX or not pattern.name:
            continue
        rest = route[len(PREFIX) :]
        if "<" in rest or "(" in rest or pattern.name in PROVIDER_CALLBACKS:
            continue  # needs a path parameter, or is a provider's callback
        area = rest.split("/", 1)[0]
        depth = rest.rstrip("/").count("/")
        if area not in best or depth < best[area][0]:
            best[area] = (depth, pattern.name)
    return tuple((area, name) for area, (_depth, name) in best.items())


class ApiRootSerializer(serializers.Serializer):
    areas = serializers.DictField(
        child=serializers.URLField(),
        help_text="Each area of the API (its first path segment) and the absolute URL of its main route.",
    )
    schema = serializers.URLField(help_text="The OpenAPI 3 schema of this API.")
    docs = serializers.URLField(help_text="Swagger UI over the schema.")
    asyncapi = serializers.URLField(help_text="The AsyncAPI 3.0 document of the WebSocket protocol (/ws/).")


class ApiRootView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="api_root",
        summary="The API root: every area of the API with its link",
        responses=ApiRootSerializer,
        examples=[
            OpenApiExample(
                "Directory",
                value={
                    "areas": {
                        "me": "http://127.0.0.1:8000/api/v1/me/",
                        "offers": "http://127.0.0.1:8000/api/v1/offers/",
                    },
                    "schema": "http://127.0.0.1:8000/api/schema/",
                    "docs": "http://127.0.0.1:8000/api/docs/",
                    "asyncapi": "http://127.0.0.1:8000/api/asyncapi/",
                },
                response_only=True,
            )
        ],
        tags=["api"],
    )
    def get(self, request: Request) -> Response:
        link = request.build_absolute_uri
        return Response(
            {
                "areas": {area: link(reverse(name)) for area, name in api_areas()},
                "schema": link(reverse("schema")),
                "docs": link(reverse("docs")),
                "asyncapi": link(reverse("asyncapi")),
            }
        )


api_root = ApiRootView.as_view()
