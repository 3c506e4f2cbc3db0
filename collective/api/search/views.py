"""`GET /api/v1/search/?q=`: the best offers, asks and people for a sentence (docs/offers.md, "Search")."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from collective.api.offers.serializers import AskSerializer, OfferSerializer, PersonSerializer
from collective.selectors import search as selectors

SEARCH_TOP = 10


class SearchView(GenericAPIView):
    """Top 10 of each kind, best first, in the list representations; only what the caller may
    see (their own drafts included). An empty or stopword-only `q` finds nothing."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description=f"at most {selectors.MAX_QUERY_LENGTH} characters")],
        responses=dict,
    )
    def get(self, request: Request) -> Response:
        text = request.query_params.get("q", "")
        if len(text) > selectors.MAX_QUERY_LENGTH:
            raise ValidationError({"q": [f"At most {selectors.MAX_QUERY_LENGTH} characters."]})
        viewer, ctx = request.user, self.get_serializer_context()
        offers = selectors.search_offers(viewer=viewer, text=text)[:SEARCH_TOP]
        asks = selectors.search_asks(viewer=viewer, text=text)[:SEARCH_TOP]
        people = selectors.search_people(viewer=viewer, text=text)[:SEARCH_TOP]
        return Response(
            {
                "q": text,
                "offers": OfferSerializer(offers, many=True, context=ctx).data,
                "asks": AskSerializer(asks, many=True, context=ctx).data,
                "people": PersonSerializer(people, many=True, context=ctx).data,
            }
        )
