"""The admin's community-health page, /admin/health/ (config/urls.py wraps it in
`admin.site.admin_view`: staff only, others go to the admin login). One chart per metric as
inline SVG, each with its definition and a data table beside it (docs/operations.md)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .charts import chart, format_value
from .selectors import BUCKETS, DEFAULT_BUCKETS, MAX_BUCKETS, community_health


def _choice(request: HttpRequest) -> tuple[str, int]:
    """The page's `?bucket=day|week&buckets=n`; anything out of range falls back to the default."""
    bucket = request.GET.get("bucket", "week")
    if bucket not in BUCKETS:
        bucket = "week"
    try:
        count = int(request.GET.get("buckets", ""))
    except ValueError:
        count = DEFAULT_BUCKETS[bucket]
    if not 1 <= count <= MAX_BUCKETS[bucket]:
        count = DEFAULT_BUCKETS[bucket]
    return bucket, count


def health_view(request: HttpRequest) -> TemplateResponse:
    bucket, count = _choice(request)
    health = community_health(bucket=bucket, buckets=count)  # type: ignore[arg-type]
    panels = [
        {
            "metric": metric,
            "chart": chart(metric, bucket),
            "current": format_value(metric.current, metric.unit),
            "rows": [
                {
                    "start": point.start,
                    "value": format_value(point.value, metric.unit),
                    "detail": (
                        f"{point.numerator} of {point.denominator}" if metric.unit == "ratio" else f"+{point.added}"
                    ),
                }
                for point in metric.series
            ],
        }
        for metric in health.metrics
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Community health",
        "health": health,
        "panels": panels,
        "bucket": bucket,
        "buckets": count,
        "choices": [("week", 12, "12 weeks"), ("week", 52, "52 weeks"), ("day", 30, "30 days"), ("day", 90, "90 days")],
    }
    return TemplateResponse(request, "admin/insights/health.html", context)
