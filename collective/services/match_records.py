"""Writes of match records (docs/matching.md): a new ask's or a newly published offer's best
matches are recorded and announced to the other side's owners; a connection made between the two
sides of a match records it.

`matches_record_for_ask` / `matches_record_for_offer` run from collective's on-commit subscribers
(collective.subscribers), each in its own transaction: the creation never waits for them and never
fails because of them. Each records the top `MATCHING["NOTIFY_TOP"]` matches (an existing pair is
left as it is) and announces `MatchCreated` for each new one whose recipient has been told fewer
than `MATCHING["DAILY_NOTIFICATIONS"]` matches in the last 24 hours; the others are recorded
unannounced (`notified_at` null), and still listed by `GET /matches/`.

Lock order: the recipients' user rows first, in ascending id (the cap is counted under them), then
the announcements in the same order, each publishing to one recipient's stream: user rows before
event streams, streams in ascending user id (docs/economy.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from collective.events import MatchCreated
from collective.models import Connection, Match, User
from collective.selectors import matching as selectors
from collective.services import matching as scorer
from core.events import announce


def _record(rows: list[dict[str, Any]]) -> list[Match]:
    """`rows`: {ask, offer, score, reasons, recipient_id, side}. Returns the matches announced."""
    if not rows:
        return []
    now = timezone.now()
    since = now - dt.timedelta(days=1)
    cap = scorer.conf("DAILY_NOTIFICATIONS")
    recipients = sorted({row["recipient_id"] for row in rows})
    list(User.objects.select_for_update().filter(pk__in=recipients).order_by("pk").values_list("pk", flat=True))
    told = {user_id: selectors.matches_notified_since(user_id=user_id, since=since) for user_id in recipients}
    announced: list[Match] = []
    for row in sorted(rows, key=lambda r: (r["recipient_id"], -r["score"])):
        match, created = Match.objects.get_or_create(
            ask=row["ask"], offer=row["offer"], defaults={"score": row["score"], "reasons": row["reasons"]}
        )
        if not created:
            continue
        recipient_id = row["recipient_id"]
        if told[recipient_id] >= cap:
            continue
        told[recipient_id] += 1
        match.notified_user_id = recipient_id
        match.notified_at = now
        match.save(update_fields=["notified_user", "notified_at"])
        announce(
            MatchCreated(
                match_id=match.pk,
                ask_id=match.ask_id,
                offer_id=match.offer_id,
                recipient_id=recipient_id,
                side=row["side"],
                match=match,
            )
        )
        announced.append(match)
    return announced


@transaction.atomic
def matches_record_for_ask(*, ask_id: int) -> list[Match]:
    """A new ask: record its best offers and tell their owners (returns the matches announced)."""
    ask = selectors.ask_for_matching(ask_id=ask_id)
    if ask is None:
        return []
    found = selectors.matches_for_ask(ask=ask, viewer=ask.user, limit=scorer.conf("NOTIFY_TOP"))
    return _record(
        [
            {
                "ask": ask,
                "offer": m.offer,
                "score": m.score,
                "reasons": m.reasons,
                "recipient_id": m.offer.user_id,
                "side": "offer",
            }
            for m in found
        ]
    )


@transaction.atomic
def matches_record_for_offer(*, offer_id: int) -> list[Match]:
    """A newly published offer: record the open asks it answers best and tell their owners."""
    offer = selectors.offer_for_matching(offer_id=offer_id)
    if offer is None:
        return []
    found = selectors.matches_for_offer(offer=offer, viewer=offer.user, limit=scorer.conf("NOTIFY_TOP"))
    return _record(
        [
            {
                "ask": m.ask,
                "offer": offer,
                "score": m.score,
                "reasons": m.reasons,
                "recipient_id": m.ask.user_id,
                "side": "ask",
            }
            for m in found
        ]
    )


def match_connection_record(*, connection: Connection) -> int:
    """A connection about an ask or an offer between the two sides of a match records it on the
    matches still without one. Returns how many it set (one UPDATE, in the caller's transaction)."""
    if not connection.ask_id and not connection.offer_id:
        return 0
    about = Q()
    if connection.ask_id:
        about &= Q(ask_id=connection.ask_id)
    if connection.offer_id:
        about &= Q(offer_id=connection.offer_id)
    a, b = connection.initiator_id, connection.responder_id
    sides = Q(ask__user_id=a, offer__user_id=b) | Q(ask__user_id=b, offer__user_id=a)
    return Match.objects.filter(about, sides, connection__isnull=True).update(connection=connection)
