"""Community health: seed 002's success metrics ("Long-Term": active offers, ask fulfilment rate,
connection completion rate, "helped X people" growth, creator follower growth; "Phase 2": SMS
notifications driving engagement), each a series over time buckets plus its current value.

Every metric is computed in the database: one GROUP BY over a truncated date (`TruncDay` /
`TruncWeek`, UTC; weeks start on Monday) for the counts inside the range, plus, for a running
total, one COUNT of what came before the range. Nine queries in all, whatever the number of rows;
no row is loaded into Python, only one aggregate row per bucket. The definitions (docs/operations.md
"Community health") are in METRICS below, word for word what the API and the admin page show.

This app sits beside `web` in the layering (tests/test_layering.py): it reads collective's and
notifications' tables and nothing imports it but urls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from collective.models import Ask, Connection, Follow, Offer
from collective.models.connections import FINAL_STATUSES, ConnectionStatus
from collective.models.offers import AskStatus, OfferStatus
from notifications.links import PATH_PREFIX
from notifications.models import SmsMessage, SmsPurpose

Bucket = Literal["day", "week"]
BUCKETS: tuple[Bucket, ...] = ("day", "week")
DEFAULT_BUCKETS: dict[str, int] = {"day": 30, "week": 12}
MAX_BUCKETS: dict[str, int] = {"day": 366, "week": 104}
_STEP = {"day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}
UTC = dt.UTC


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str
    unit: Literal["count", "ratio"]
    definition: str


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "active_offers",
        "Active offers",
        "count",
        "Offers that are active now (status active, not archived), counted from when they were first "
        "published: a bucket's value is how many of them had been published by its end; 'added', how many "
        "were published in it. An offer paused or archived since drops out of every bucket (offers keep no "
        "status history). Current value: active offers now.",
    ),
    MetricInfo(
        "ask_fulfilment_rate",
        "Ask fulfilment rate",
        "ratio",
        "Of the asks created in a bucket (denominator), the share that were fulfilled (numerator): one of "
        "their connections was completed, or their owner marked them fulfilled. Young asks are still "
        "open, so the last buckets rise as they are helped. Current value: over the whole range.",
    ),
    MetricInfo(
        "connection_completion_rate",
        "Connection completion rate",
        "ratio",
        "Of the connections created in a bucket that have ended (completed, declined or cancelled: the "
        "denominator), the share completed (numerator); connections still open are not counted yet. "
        "Current value: over the whole range.",
    ),
    MetricInfo(
        "people_helped",
        "People helped",
        "count",
        "The community's \"helped X people\": completed connections (each adds one to its helper's "
        "helped_count), as a running total at each bucket's end; 'added', the helps completed in the "
        "bucket. Current value: all helps completed so far.",
    ),
    MetricInfo(
        "follows",
        "Follows",
        "count",
        "Creator follower growth: follows that exist now, as a running total at each bucket's end; "
        "'added', follows made in the bucket (an unfollow removes the follow from every bucket). "
        "Current value: all follows now.",
    ),
    MetricInfo(
        "sms_engagement_rate",
        "SMS engagement",
        "ratio",
        "Of the notification SMS handed to the provider in a bucket that carried a tracked link "
        f"({PATH_PREFIX}<token>: the denominator), the share whose link was opened (numerator), at any "
        "time since. Current value: over the whole range.",
    ),
)
METRIC_KEYS = tuple(m.key for m in METRICS)


@dataclass(frozen=True)
class Point:
    start: dt.datetime
    end: dt.datetime
    value: float | int | None  # None: a ratio with nothing to divide by
    added: int | None = None  # counts: what the bucket added
    numerator: int | None = None  # ratios
    denominator: int | None = None


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    definition: str
    current: float | int | None
    series: list[Point]


@dataclass(frozen=True)
class Health:
    bucket: str
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    metrics: list[Metric]


def bucket_starts(*, bucket: Bucket, count: int, now: dt.datetime) -> list[dt.datetime]:
    """`count` bucket starts (UTC midnight; weeks on Monday), the last one holding `now`."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    last = day - dt.timedelta(days=day.weekday()) if bucket == "week" else day
    return [last - _STEP[bucket] * (count - 1 - i) for i in range(count)]


def _trunc(field: str, bucket: Bucket) -> Trunc:
    return Trunc(field, bucket, output_field=DateTimeField(), tzinfo=UTC)


def _by_bucket(rows: QuerySet[Any, dict[str, Any]]) -> dict[dt.datetime, dict[str, Any]]:
    return {row["b"].astimezone(UTC): row for row in rows}


def _grouped(qs: QuerySet[Any], field: str, bucket: Bucket, **aggregates: Any) -> dict[dt.datetime, dict[str, Any]]:
    """One query: `aggregates` per bucket of `field`. `order_by()` clears a model's ordering, which
    would otherwise join the GROUP BY."""
    return _by_bucket(qs.order_by().annotate(b=_trunc(field, bucket)).values("b").annotate(**aggregates))


def _running_total(
    qs: QuerySet[Any], field: str, bucket: Bucket, starts: list[dt.datetime], end: dt.datetime
) -> tuple[list[Point], int]:
    """Two queries: the rows before the range (one COUNT) and the rows of each bucket (GROUP BY)."""
    start = starts[0]
    before = qs.order_by().filter(**{f"{field}__lt": start}).count()
    rows = _grouped(qs.filter(**{f"{field}__gte": start, f"{field}__lt": end}), field, bucket, n=Count("pk"))
    total, points = before, []
    for s, e in _spans(starts, end):
        added = rows.get(s, {}).get("n", 0)
        total += added
        points.append(Point(start=s, end=e, value=total, added=added))
    return points, total


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _rates(
    rows: dict[dt.datetime, dict[str, Any]], starts: list[dt.datetime], end: dt.datetime
) -> tuple[list[Point], float | None]:
    points, num_total, den_total = [], 0, 0
    for s, e in _spans(starts, end):
        row = rows.get(s, {})
        num, den = row.get("num", 0), row.get("den", 0)
        num_total, den_total = num_total + num, den_total + den
        points.append(Point(start=s, end=e, value=_ratio(num, den), numerator=num, denominator=den))
    return points, _ratio(num_total, den_total)


def _spans(starts: list[dt.datetime], end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    return list(zip(starts, [*starts[1:], end], strict=True))


def _active_offers(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    live = Offer.objects.filter(status=OfferStatus.ACTIVE, is_archived=False).annotate(
        live_at=Coalesce("published_at", "created_at")
    )
    return _running_total(live, "live_at", bucket, starts, end)


def _ask_fulfilment(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    helped = Connection.objects.filter(ask_id=OuterRef("pk"), status=ConnectionStatus.COMPLETED)
    asks = Ask.objects.filter(created_at__gte=starts[0], created_at__lt=end)
    fulfilled = Q(status=AskStatus.FULFILLED) | Q(Exists(helped))
    rows = _grouped(asks, "created_at", bucket, den=Count("pk"), num=Count("pk", filter=fulfilled))
    return _rates(rows, starts, end)


def _connection_completion(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    ended = Connection.objects.filter(created_at__gte=starts[0], created_at__lt=end, status__in=FINAL_STATUSES)
    completed = Q(status=ConnectionStatus.COMPLETED)
    rows = _grouped(ended, "created_at", bucket, den=Count("pk"), num=Count("pk", filter=completed))
    return _rates(rows, starts, end)


def _people_helped(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    helps = Connection.objects.filter(status=ConnectionStatus.COMPLETED, completed_at__isnull=False)
    return _running_total(helps, "completed_at", bucket, starts, end)


def _follows(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    return _running_total(Follow.objects.all(), "created_at", bucket, starts, end)


def _sms_engagement(bucket: Bucket, starts: list[dt.datetime], end: dt.datetime) -> tuple[list[Point], Any]:
    linked = SmsMessage.objects.filter(
        purpose=SmsPurpose.NOTIFICATION, sent_at__gte=starts[0], sent_at__lt=end, body__contains=PATH_PREFIX
    )
    opened = Q(notification__sms_opened_at__isnull=False)
    rows = _grouped(linked, "sent_at", bucket, den=Count("pk"), num=Count("pk", filter=opened))
    return _rates(rows, starts, end)


_COMPUTE: dict[str, Callable[[Bucket, list[dt.datetime], dt.datetime], tuple[list[Point], Any]]] = {
    "active_offers": _active_offers,
    "ask_fulfilment_rate": _ask_fulfilment,
    "connection_completion_rate": _connection_completion,
    "people_helped": _people_helped,
    "follows": _follows,
    "sms_engagement_rate": _sms_engagement,
}


def community_health(*, bucket: Bucket = "week", buckets: int | None = None, now: dt.datetime | None = None) -> Health:
    """The metrics over the last `buckets` buckets (default 12 weeks or 30 days), up to `now`. Nine
    queries (two per running total, one per ratio). Raises ValueError for a bucket or count out of
    range (the API validates first)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    count = DEFAULT_BUCKETS[bucket] if buckets is None else buckets
    if not 1 <= count <= MAX_BUCKETS[bucket]:
        raise ValueError(f"buckets must be between 1 and {MAX_BUCKETS[bucket]}")
    now = (now or timezone.now()).astimezone(UTC)
    starts = bucket_starts(bucket=bucket, count=count, now=now)
    end = starts[-1] + _STEP[bucket]  # the end of the bucket holding `now`
    metrics = []
    for info in METRICS:
        series, current = _COMPUTE[info.key](bucket, starts, end)
        metrics.append(Metric(info.key, info.label, info.unit, info.definition, current, series))
    return Health(bucket=bucket, start=starts[0], end=now, generated_at=now, metrics=metrics)
