"""Request serializers of the `onboarding` area (the state's is `onboarding.representations`)."""

from __future__ import annotations

from rest_framework import serializers


class AnswerSerializer(serializers.Serializer):
    """An answer to Ava's message `message` through its action `action` (docs/onboarding.md)."""

    message = serializers.IntegerField(min_value=1)
    action = serializers.CharField(max_length=64)
    values = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=40)
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000)
