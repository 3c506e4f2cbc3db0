"""REST views of offers, asks, discovery, storefronts and the home dashboard (see docs/offers.md).

Thin by design: parse with a serializer, scope with a selector, write with a service.
Visibility: an object the caller may not see is a 404 (also for PATCH/DELETE/view); an object
the caller sees but does not own is a 403 on writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.forms import ValidationError as FormValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import ScopedRateThrottle

from collective.api.offers.filters import (
    AskFilterSet,
    FullTextSearchFilter,
    OfferFilterSet,
    StrictBooleanField,
    StrictOrderingFilter,
)
from collective.api.offers.serializers import (
    AskMatchSerializer,
    AskSerializer,
    AskStatusSerializer,
    OfferMatchSerializer,
    OfferSerializer,
    PersonSerializer,
    ViewCountSerializer,
    home_data,
    storefront_data,
)
from collective.models import Ask, AskStatus, Offer, OfferStatus, Taxonomy
from collective.models.taxonomy import TaxonomyType
from collective.representations import MatchSerializer
from collective.selectors import matching as matching_selectors
from collective.selectors import offers as selectors
from collective.services import offers as services

OFFER_ORDERING = ["created_at", "published_at", "updated_at", "view_count", "connection_count", "price_cents", "title"]
ASK_ORDERING = [
    "created_at", "updated_at", "view_count", "response_count", "budget_min_cents", "budget_max_cents", "title",
]  # fmt: skip
PEOPLE_ORDERING = ["helped_count", "followers_count", "total_points", "date_joined", "username", "reputation_score"]


class IsOwnerOrReadOnly(permissions.BasePermission):
    """Writes on an offer or ask are the owner's; others who can see it get a 403."""

    message = "Only the owner may change this."

    def has_object_permission(self, request: Request, view: Any, obj: Offer | Ask) -> bool:
        return request.method in permissions.SAFE_METHODS or obj.user_id == request.user.pk


def _archived_param(request: Request) -> bool:
    try:
        return bool(StrictBooleanField(required=False).clean(request.query_params.get("archived")))
    except FormValidationError as exc:
        raise ValidationError({"archived": exc.messages}) from exc


class _ListView(ListModelMixin, GenericAPIView):
    """Filtered, searched, ordered, paginated list (the mixin also lets the schema show the filters)."""

    filter_backends = [DjangoFilterBackend, FullTextSearchFilter, StrictOrderingFilter]
    search_fields = ["title", "description"]  # full-text: also body, tags and category (docs/offers.md, "Search")
    ordering = ["-created_at"]


# A mixin of views: for the type checker, one (it reads self.request); at run time, no base.
if TYPE_CHECKING:
    _ViewBase = GenericAPIView
else:
    _ViewBase = object


class _CreateThrottled(_ViewBase):
    """Creating offers and asks is limited per account (THROTTLE_CREATE, default 30/hour, offers
    and asks together); reading is not."""

    throttle_scope = "create"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []


# --- offers ------------------------------------------------------------------------------------


class OfferListCreateView(_CreateThrottled, _ListView):
    serializer_class = OfferSerializer
    filterset_class = OfferFilterSet
    ordering_fields = OFFER_ORDERING

    def get_queryset(self) -> QuerySet[Offer]:
        return selectors.offers_public(viewer=self.request.user)

    def get(self, request: Request) -> Response:
        return self.list(request)

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_create(user=request.user, data=dict(serializer.validated_data))
        offer = selectors.offers_of_owner(user=request.user, include_archived=True).get(pk=offer.pk)
        return Response(self.get_serializer(offer).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[OpenApiParameter("archived", bool, description="true: only archived items")])
class MyOffersView(_ListView):
    serializer_class = OfferSerializer
    filterset_class = OfferFilterSet
    ordering_fields = OFFER_ORDERING
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Offer]:
        qs = selectors.offers_of_owner(user=self.request.user, include_archived=True)
        return qs.filter(is_archived=_archived_param(self.request))

    def get(self, request: Request) -> Response:
        return self.list(request)


class OfferDetailView(GenericAPIView):
    serializer_class = OfferSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]

    def get_object(self) -> Offer:
        offer = selectors.offer_get_visible(user=self.request.user, offer_id=self.kwargs["pk"])
        if offer is None:
            raise NotFound("No such offer.")
        self.check_object_permissions(self.request, offer)
        return offer

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        offer = self.get_object()
        serializer = self.get_serializer(offer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.offer_update(offer=offer, actor=request.user, data=dict(serializer.validated_data))
        updated = selectors.offer_get_visible(user=request.user, offer_id=pk)
        return Response(self.get_serializer(updated).data)

    def delete(self, request: Request, pk: int) -> Response:
        services.offer_archive(offer=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OfferViewView(GenericAPIView):
    """Record a view. Anyone who can see the offer may call it; the owner's views are not counted."""

    serializer_class = ViewCountSerializer
    permission_classes = [permissions.AllowAny]

    def post(self, request: Request, pk: int) -> Response:
        offer = selectors.offer_get_visible(user=request.user, offer_id=pk)
        if offer is None:
            raise NotFound("No such offer.")
        count, counted = services.offer_record_view(offer=offer, viewer=request.user)
        return Response({"view_count": count, "counted": counted})


# --- asks --------------------------------------------------------------------------------------


class AskListCreateView(_CreateThrottled, _ListView):
    serializer_class = AskSerializer
    filterset_class = AskFilterSet
    ordering_fields = ASK_ORDERING

    def get_queryset(self) -> QuerySet[Ask]:
        return selectors.asks_public(viewer=self.request.user)

    def get(self, request: Request) -> Response:
        return self.list(request)

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ask = services.ask_create(user=request.user, data=dict(serializer.validated_data))
        ask = selectors.asks_of_owner(user=request.user, include_archived=True).get(pk=ask.pk)
        return Response(self.get_serializer(ask).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[OpenApiParameter("archived", bool, description="true: only archived items")])
class MyAsksView(_ListView):
    serializer_class = AskSerializer
    filterset_class = AskFilterSet
    ordering_fields = ASK_ORDERING
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Ask]:
        qs = selectors.asks_of_owner(user=self.request.user, include_archived=True)
        return qs.filter(is_archived=_archived_param(self.request))

    def get(self, request: Request) -> Response:
        return self.list(request)


class AskDetailView(GenericAPIView):
    serializer_class: type[BaseSerializer] = AskSerializer  # AskStatusView has its own
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]

    def get_object(self) -> Ask:
        ask = selectors.ask_get_visible(user=self.request.user, ask_id=self.kwargs["pk"])
        if ask is None:
            raise NotFound("No such ask.")
        self.check_object_permissions(self.request, ask)
        return ask

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        ask = self.get_object()
        serializer = self.get_serializer(ask, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.ask_update(ask=ask, actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(selectors.ask_get_visible(user=request.user, ask_id=pk)).data)

    def delete(self, request: Request, pk: int) -> Response:
        services.ask_archive(ask=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AskStatusView(AskDetailView):
    serializer_class = AskStatusSerializer
    http_method_names = ["patch", "options"]

    @extend_schema(request=AskStatusSerializer, responses=AskSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        ask = self.get_object()
        serializer = AskStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ask_set_status(ask=ask, actor=request.user, status=serializer.validated_data["status"])
        return Response(AskSerializer(selectors.ask_get_visible(user=request.user, ask_id=pk)).data)


class AskViewView(GenericAPIView):
    serializer_class = ViewCountSerializer
    permission_classes = [permissions.AllowAny]

    def post(self, request: Request, pk: int) -> Response:
        ask = selectors.ask_get_visible(user=request.user, ask_id=pk)
        if ask is None:
            raise NotFound("No such ask.")
        count, counted = services.ask_record_view(ask=ask, viewer=request.user)
        return Response({"view_count": count, "counted": counted})


# --- discovery ---------------------------------------------------------------------------------


def _category_param(request: Request) -> Taxonomy | None:
    slug = request.query_params.get("category")
    if not slug:
        return None
    category = Taxonomy.objects.filter(slug=slug, taxonomy_type=TaxonomyType.OFFER_CATEGORY).first()
    if category is None:
        raise ValidationError({"category": [f"Unknown offer category '{slug}'."]})
    return category


class DiscoverView(GenericAPIView):
    """Unified discovery: a few short sections, optionally narrowed to one category."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[OpenApiParameter("category", str, description="offer category slug")], responses=dict)
    def get(self, request: Request) -> Response:
        category = _category_param(request)
        sections = selectors.discover_sections(category=category, viewer=request.user)
        ctx = self.get_serializer_context()
        categories = Taxonomy.objects.filter(taxonomy_type=TaxonomyType.OFFER_CATEGORY, is_active=True)

        def brief(c: Taxonomy) -> dict[str, Any]:
            return {"id": c.id, "slug": c.slug, "name": c.name}

        return Response(
            {
                "category": None if category is None else brief(category),
                "categories": [brief(c) for c in categories.order_by("name")],
                "featured_offers": OfferSerializer(sections["featured_offers"], many=True, context=ctx).data,
                "recent_offers": OfferSerializer(sections["recent_offers"], many=True, context=ctx).data,
                "courses": OfferSerializer(sections["courses"], many=True, context=ctx).data,
                "open_asks": AskSerializer(sections["open_asks"], many=True, context=ctx).data,
                "people": PersonSerializer(sections["people"], many=True, context=ctx).data,
            }
        )


class DiscoverOffersView(OfferListCreateView):
    """Public offers; only `active` ones (accepting connections) unless `status` is given."""

    permission_classes = [permissions.AllowAny]
    http_method_names = ["get", "options"]

    def get_queryset(self) -> QuerySet[Offer]:
        qs = selectors.offers_public(viewer=self.request.user)
        return qs if "status" in self.request.query_params else qs.filter(status=OfferStatus.ACTIVE)


class DiscoverAsksView(AskListCreateView):
    """Public, unexpired asks; only `open` ones unless `status` is given."""

    permission_classes = [permissions.AllowAny]
    http_method_names = ["get", "options"]

    def get_queryset(self) -> QuerySet[Ask]:
        qs = selectors.asks_discoverable(viewer=self.request.user)
        return qs if "status" in self.request.query_params else qs.filter(status=AskStatus.OPEN)


class DiscoverPeopleView(ListModelMixin, GenericAPIView):
    """Creators: active non-agent users with at least one public offer or ask."""

    serializer_class = PersonSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = [FullTextSearchFilter, StrictOrderingFilter]
    search_fields = ["username", "tagline"]  # full-text: also bio
    ordering_fields = PEOPLE_ORDERING
    ordering = ["-helped_count"]

    def get_queryset(self):
        return selectors.people_discoverable(viewer=self.request.user)

    def get(self, request: Request) -> Response:
        return self.list(request)


# --- storefront and home -----------------------------------------------------------------------


class StorefrontView(GenericAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=dict)
    def get(self, request: Request, username: str) -> Response:
        page = selectors.storefront_get(username=username, viewer=request.user)
        if page is None:
            raise NotFound("No such person.")
        return Response(storefront_data(page, context=self.get_serializer_context()))


class HomeView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        return Response(home_data(selectors.home_get(user=request.user)))


# --- matches (docs/matching.md) ------------------------------------------------------------------

_LIMIT = OpenApiParameter("limit", int, description="How many (1-20; default 10).")


class AskMatchesView(GenericAPIView):
    """The best offers for one of the caller's asks. Someone else's ask: 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = OfferMatchSerializer
    queryset = Ask.objects.none()  # for the schema: the view reads through collective.selectors.matching

    @extend_schema(parameters=[_LIMIT], responses=OfferMatchSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        ask = matching_selectors.ask_for_matching(ask_id=pk)
        if ask is None or ask.user_id != request.user.pk:
            raise NotFound("No such ask.")
        limit = matching_selectors.clamp_limit(request.query_params.get("limit"))
        found = matching_selectors.matches_for_ask(ask=ask, viewer=request.user, limit=limit)
        return Response({"results": OfferMatchSerializer(found, many=True).data})


class OfferMatchesView(GenericAPIView):
    """The open asks one of the caller's offers answers best. Someone else's offer: 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AskMatchSerializer
    queryset = Offer.objects.none()  # for the schema: the view reads through collective.selectors.matching

    @extend_schema(parameters=[_LIMIT], responses=AskMatchSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        offer = matching_selectors.offer_for_matching(offer_id=pk)
        if offer is None or offer.user_id != request.user.pk:
            raise NotFound("No such offer.")
        limit = matching_selectors.clamp_limit(request.query_params.get("limit"))
        found = matching_selectors.matches_for_offer(offer=offer, viewer=request.user, limit=limit)
        return Response({"results": AskMatchSerializer(found, many=True).data})


class MatchListView(ListModelMixin, GenericAPIView):
    """The caller's match records (as the ask's or the offer's owner), newest first, with how
    they turned out (`outcome`)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MatchSerializer

    def get_queryset(self):
        return matching_selectors.matches_of_user(user=self.request.user)

    def get(self, request: Request) -> Response:
        return self.list(request)
