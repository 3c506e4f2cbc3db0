"""Onboarding's representations: the state `GET /api/v1/onboarding/` and every write answer with."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import OnboardingSession, OnboardingStatus, OnboardingStep


class AvaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class OnboardingStateSerializer(serializers.Serializer):
    """`{status, step, thread, message, ava, asks, offers, guidelines_version, agreed_at,
    completed_at, skipped_at}`: `message` is Ava's message awaiting an answer (the completion
    message, with its [Enter the Collective] button, once completed)."""

    status = serializers.ChoiceField(choices=OnboardingStatus.choices)
    step = serializers.ChoiceField(choices=OnboardingStep.choices)
    thread = serializers.IntegerField(allow_null=True)
    message = serializers.IntegerField(allow_null=True)
    ava = AvaSerializer()
    asks = serializers.ListField(child=serializers.IntegerField())
    offers = serializers.ListField(child=serializers.IntegerField())
    guidelines_version = serializers.CharField()
    agreed_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    skipped_at = serializers.DateTimeField(allow_null=True)


def onboarding_state(session: OnboardingSession, ava) -> dict[str, Any]:
    return dict(
        OnboardingStateSerializer(
            {
                "status": session.status,
                "step": session.step,
                "thread": session.thread_id,
                "message": session.current_message_id,
                "ava": {"id": ava.pk, "username": ava.username},
                "asks": list(session.ask_ids),
                "offers": list(session.offer_ids),
                "guidelines_version": session.guidelines_version,
                "agreed_at": session.agreed_at,
                "completed_at": session.completed_at,
                "skipped_at": session.skipped_at,
            }
        ).data
    )
