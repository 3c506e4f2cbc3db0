"""GET /api/v1/staff/health/: the community-health metrics for staff (docs/operations.md
"Community health"). Nine queries whatever the size of the data (insights/selectors.py)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.selectors import community_health

from .serializers import CommunityHealthSerializer, HealthQuerySerializer


class CommunityHealthView(APIView):
    """Seed 002's success metrics as series over day or week buckets, with their current values.
    Staff only: 401 without credentials, 403 for a member who is not staff; 400 for a bad
    `bucket` or `buckets`."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="staff_health_retrieve",
        parameters=[HealthQuerySerializer],
        responses={200: CommunityHealthSerializer},
    )
    def get(self, request: Request) -> Response:
        query = HealthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        health = community_health(bucket=query.validated_data["bucket"], buckets=query.validated_data.get("buckets"))
        return Response(CommunityHealthSerializer(asdict(health)).data)
