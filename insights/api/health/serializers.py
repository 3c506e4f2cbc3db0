"""The community-health response (insights/selectors.py): declared field by field, so the OpenAPI
schema says exactly what the endpoint answers."""

from __future__ import annotations

from rest_framework import serializers

from insights.selectors import BUCKETS, DEFAULT_BUCKETS, MAX_BUCKETS, METRIC_KEYS


class HealthQuerySerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(
        choices=list(BUCKETS), default="week", help_text="The width of a bucket (UTC; weeks start on Monday)."
    )
    buckets = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=max(MAX_BUCKETS.values()),
        help_text=(
            f"How many buckets, the last one holding now: default {DEFAULT_BUCKETS['week']} weeks or "
            f"{DEFAULT_BUCKETS['day']} days; at most {MAX_BUCKETS['week']} weeks or {MAX_BUCKETS['day']} days."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        limit = MAX_BUCKETS[attrs["bucket"]]
        if attrs.get("buckets") is not None and attrs["buckets"] > limit:
            raise serializers.ValidationError(
                {"buckets": [f"Ensure this value is less than or equal to {limit} for {attrs['bucket']} buckets."]}
            )
        return attrs


class HealthPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The bucket's first instant (UTC).")
    end = serializers.DateTimeField(help_text="The bucket's end (exclusive).")
    value = serializers.FloatField(
        allow_null=True,
        help_text="A count (a running total at the bucket's end, or active offers), or a ratio 0..1; "
        "null for a ratio with nothing to divide.",
    )
    added = serializers.IntegerField(allow_null=True, help_text="Counts: what the bucket added. Null for ratios.")
    numerator = serializers.IntegerField(allow_null=True, help_text="Ratios: the count on top. Null for counts.")
    denominator = serializers.IntegerField(allow_null=True, help_text="Ratios: the count below. Null for counts.")


class HealthMetricSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=list(METRIC_KEYS))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    unit = serializers.ChoiceField(choices=["count", "ratio"])
    definition = serializers.CharField(help_text="How the metric is counted (docs/operations.md).")
    current = serializers.FloatField(
        allow_null=True, help_text="Counts: the value now. Ratios: over the whole range (null if nothing to divide)."
    )
    series = HealthPointSerializer(many=True)


class CommunityHealthSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=list(BUCKETS))
    start = serializers.DateTimeField(help_text="The first bucket's start.")
    end = serializers.DateTimeField(help_text="When the figures were read (inside the last bucket).")
    generated_at = serializers.DateTimeField()
    metrics = HealthMetricSerializer(many=True)
