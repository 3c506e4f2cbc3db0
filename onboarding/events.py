"""Onboarding's domain events, announced through `core.events` (docs/onboarding.md). Nothing
subscribes yet: a subscriber app (notifications, realtime) may, without onboarding importing it."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True)
class OnboardingStepAnswered(DomainEvent):
    """The member answered `step` (by chips, a button, a text prompt or a typed message); the
    session is now at `next_step`. Announced in the answer's transaction."""

    session_id: int
    user_id: int
    step: str
    next_step: str


@dataclass(frozen=True)
class OnboardingCompleted(DomainEvent):
    """The member agreed to the guidelines: onboarding is complete (once per member)."""

    session_id: int
    user_id: int
    ask_ids: tuple[int, ...]
    offer_ids: tuple[int, ...]
