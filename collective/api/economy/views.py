"""Generosity economy API: points, leaderboard, credits, gifts, endorsements, peer badges,
onboarding completion (docs/economy.md). Views validate the shape, call one service or
selector, and serialize."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collective.api.common import UserSummarySerializer, request_user
from collective.models import (
    CreditCost,
    PeerBadgeType,
    PointGift,
)
from collective.selectors import points as selectors
from collective.services import credits as credit_services
from collective.services import points as point_services
from collective.services import rewards as reward_services
from core.errors import CoreCode, DomainError
from core.schema import page_of

from .serializers import (
    BadgeAwardCreateSerializer,
    BadgeAwardSerializer,
    ConvertSerializer,
    CreditCostSerializer,
    CreditTransactionSerializer,
    EndorsementCreateSerializer,
    EndorsementSerializer,
    EndorsementUpdateSerializer,
    GiftCreateSerializer,
    GiftSerializer,
    LeaderboardRowSerializer,
    PeerBadgeTypeSerializer,
    PointsTransactionSerializer,
    SpendSerializer,
    StorefrontEndorsementSerializer,
)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PointsView(GenericAPIView):
    """The caller's points: balance, lifetime points, unlocks, and the ledger (paginated)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PointsTransactionSerializer

    @extend_schema(
        responses=page_of(
            PointsTransactionSerializer,
            "PaginatedPoints",
            total_points=serializers.IntegerField(),
            unlocks=serializers.JSONField(help_text="What the lifetime points unlock (as in /me/)."),
        )
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        page = self.paginate_queryset(selectors.points_transactions_of(user=user))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["total_points"] = user.total_points
        response.data["unlocks"] = point_services.unlocks_for(selectors.lifetime_points_of(user.pk))
        return response


class LeaderboardView(GenericAPIView):
    """`window=week` (default): "Top Helpers This Week", giving points in the last 7 days.
    `window=all`: lifetime earned points. Paginated; three queries whatever the page size."""

    permission_classes = [permissions.AllowAny]
    serializer_class = LeaderboardRowSerializer

    @extend_schema(
        parameters=[OpenApiParameter("window", str, enum=["week", "all"], required=False)],
        responses=page_of(LeaderboardRowSerializer, "PaginatedLeaderboard", window=serializers.CharField()),
    )
    def get(self, request: Request) -> Response:
        window = request.query_params.get("window", "week")
        if window not in ("week", "all"):
            raise DomainError("window must be 'week' or 'all'.", code=CoreCode.INVALID_CHOICE, field="window")
        if window == "week":
            rows = self._page(selectors.leaderboard_week())
            users = selectors.users_by_id([r["user"] for r in rows])
            items = [(users[r["user"]], r["points"], r["helped"]) for r in rows if r["user"] in users]
        else:
            rows = self._page(selectors.leaderboard_all())
            items = [(a.user, a.lifetime_points, a.user.helped_count) for a in rows]
        paginator = cast(PageNumberPagination, self.paginator)  # DEFAULT_PAGINATION_CLASS's base
        page, size = paginator.page, paginator.get_page_size(request)
        assert page is not None and size is not None  # both set by paginate_queryset above
        offset = (page.number - 1) * size
        data = [
            {"rank": offset + i + 1, "user": UserSummarySerializer(u).data, "points": p, "helped": h}
            for i, (u, p, h) in enumerate(items)
        ]
        response = self.get_paginated_response(data)
        response.data["window"] = window
        return response

    def _page(self, queryset: Any) -> list[Any]:
        rows = self.paginate_queryset(queryset)
        assert rows is not None  # DEFAULT_PAGINATION_CLASS is set: there is always a page
        return rows


class OnboardingCompleteView(APIView):
    """Complete onboarding: +25 points once (§8.2); repeating it awards nothing."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=dict)
    def post(self, request: Request) -> Response:
        user = request_user(request)
        row = point_services.onboarding_complete(user=user)
        user.refresh_from_db(fields=["total_points"])
        return Response({"awarded": row is not None, "total_points": user.total_points})


class CreditsView(GenericAPIView):
    """The caller's credit balance and transactions (newest first, paginated)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = CreditTransactionSerializer

    @extend_schema(
        responses=page_of(CreditTransactionSerializer, "PaginatedCredits", credit_balance=serializers.IntegerField())
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        page = self.paginate_queryset(selectors.credit_transactions_of(user=user))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["credit_balance"] = user.credit_balance
        return response


class CreditCostsView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = CreditCostSerializer
    queryset = CreditCost.objects.none()  # for the schema; the view reads through its selector
    pagination_class = None

    @extend_schema(responses=CreditCostSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(selectors.credit_costs(), many=True).data)


class CreditConvertView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ConvertSerializer, responses={201: CreditTransactionSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(ConvertSerializer, request.data)
        row = credit_services.credits_convert_points(user=request_user(request), points=data["points"])
        return Response(CreditTransactionSerializer(row).data, status=status.HTTP_201_CREATED)


class CreditSpendView(APIView):
    """Pay for a feature; `client_id` makes a retry return the first debit (200) instead of
    charging again (201)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=SpendSerializer, responses={201: CreditTransactionSerializer, 200: CreditTransactionSerializer}
    )
    def post(self, request: Request) -> Response:
        data = _valid(SpendSerializer, request.data)
        row, created = credit_services.credits_spend(user=request_user(request), **data)
        return Response(
            CreditTransactionSerializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class GiftCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=GiftCreateSerializer, responses={201: GiftSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(GiftCreateSerializer, request.data)
        gift = reward_services.gift_send(sender=request_user(request), **data)
        # An attribute for GiftSerializer's `kind` only, not a model field.
        gift.kind = "points" if isinstance(gift, PointGift) else "credits"  # type: ignore[union-attr]
        return Response(GiftSerializer(gift).data, status=status.HTTP_201_CREATED)


class EndorsementCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=EndorsementCreateSerializer, responses={201: EndorsementSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(EndorsementCreateSerializer, request.data)
        endorsement = reward_services.endorsement_create(endorser=request_user(request), **data)
        return Response(EndorsementSerializer(endorsement).data, status=status.HTTP_201_CREATED)


class EndorsementDetailView(APIView):
    """The endorsee features (pins) or unpins an endorsement."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=EndorsementUpdateSerializer, responses=EndorsementSerializer)
    def patch(self, request: Request, endorsement_id: int) -> Response:
        data = _valid(EndorsementUpdateSerializer, request.data)
        endorsement = reward_services.endorsement_set_featured(
            endorsement_id=endorsement_id, actor=request_user(request), is_featured=data["is_featured"]
        )
        return Response(EndorsementSerializer(endorsement).data)


class EndorsementFlagView(APIView):
    """The endorsee flags an endorsement for moderation (hidden until reviewed)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=EndorsementSerializer)
    def post(self, request: Request, endorsement_id: int) -> Response:
        endorsement = reward_services.endorsement_flag(endorsement_id=endorsement_id, actor=request_user(request))
        return Response(EndorsementSerializer(endorsement).data)


class BadgeTypesView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = PeerBadgeTypeSerializer
    queryset = PeerBadgeType.objects.none()  # for the schema
    pagination_class = None

    @extend_schema(responses=PeerBadgeTypeSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(PeerBadgeType.objects.filter(is_active=True), many=True).data)


class BadgeAwardCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=BadgeAwardCreateSerializer, responses={201: BadgeAwardSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(BadgeAwardCreateSerializer, request.data)
        award = reward_services.badge_award(awarder=request_user(request), **data)
        return Response(BadgeAwardSerializer(award).data, status=status.HTTP_201_CREATED)


def storefront_economy_data(economy: dict[str, Any]) -> dict[str, Any]:
    return {
        "endorsements": StorefrontEndorsementSerializer(economy["endorsements"], many=True).data,
        "peer_badges": economy["peer_badges"],
        "reputation": economy["reputation"],
        "unlocks": economy["unlocks"],
    }
