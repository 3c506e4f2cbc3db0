"""onboarding's subscriptions, registered from `OnboardingConfig.ready()`.

A message the member types in their thread with Ava is the answer to the current step
(docs/onboarding.md). After commit: the reply must not hold the sender's transaction open, and
must not exist if the message was rolled back. The engine is deterministic and quick (no model
call), so it runs right there, in its own transaction, instead of in a Celery task; if it fails the
member's message stays unanswered and their next answer is taken as usual (logged).

No loops: a message sent by an agent (Ava's own replies included) is ignored at once, and so is
every message not sent to Ava (a remembered id: no query for the other messages of the site)."""

from __future__ import annotations

import logging

from core.events import subscribe
from messaging.events import MessageSent

from . import services

logger = logging.getLogger(__name__)


def on_message_sent(event: MessageSent) -> None:
    sender = event.sender
    if getattr(sender, "is_agent", False):
        return
    if event.recipient_id != services.ava_id():
        return
    try:
        services.onboarding_message_receive(message_id=event.message_id)
    except Exception:
        logger.exception("onboarding could not take message %s as an answer", event.message_id)


def register() -> None:
    subscribe(MessageSent, on_message_sent, phase="on_commit")
