"""Reads of matches (docs/matching.md): the best offers for an ask, the best asks for an offer,
"matches for you" on the home dashboard, and the caller's match records.

Bounded work: candidates are pre-filtered in SQL (the type table's offer or ask types, or the same
category; active offers and open, unexpired asks only; never the viewer's or the other side's own
items, never an inactive owner, never across a block in either direction), newest first, capped
at `MATCHING["CANDIDATES"]`; they are scored in Python (`collective.services.matching`, pure).
A constant number of queries per call: the candidates with their owners and reputations, their
tags, their tools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from collective.models import Ask, AskStatus, Block, Match, Offer, OfferStatus, User
from collective.services import matching as scorer


@dataclass(frozen=True)
class OfferMatch:
    """An offer for an ask (`ask` set when several asks were looked at, as on the home page)."""

    offer: Offer
    score: float
    reasons: list[str] = field(default_factory=list)
    ask: Ask | None = None


@dataclass(frozen=True)
class AskMatch:
    ask: Ask
    score: float
    reasons: list[str] = field(default_factory=list)
    offer: Offer | None = None


# --- building the scorer's inputs ---------------------------------------------------------------


def _side(item: Offer | Ask) -> scorer.Side:
    kind = item.offer_type if isinstance(item, Offer) else item.ask_type
    category = item.category
    return scorer.side(
        kind=kind,
        category=category.slug if category is not None else None,
        category_name=category.name if category is not None else "",
        tags=[t.slug for t in item.tags.all()],
        tools=[t.slug for t in item.tools.all()],
        text=f"{item.title} {item.description}",
    )


def _helper(user: User) -> scorer.Helper:
    rep = getattr(user, "reputation", None)  # a missing row reads as score 0, tier "new"
    last: dt.datetime | None = user.last_login
    if rep is not None and rep.last_activity_at is not None and (last is None or rep.last_activity_at > last):
        last = rep.last_activity_at
    if rep is None:
        return scorer.Helper(last_active_at=last)
    return scorer.Helper(reputation=rep.score, tier=rep.tier, last_active_at=last)


def _block_q(user_ids: Iterable[int], field_name: str = "user_id") -> Q:
    """Rows whose owner blocked, or was blocked by, any of `user_ids` (one subquery each way)."""
    ids = list(user_ids)
    blocked = Block.objects.filter(blocker_id__in=ids).values("blocked_id")
    blockers = Block.objects.filter(blocked_id__in=ids).values("blocker_id")
    return Q(**{f"{field_name}__in": blocked}) | Q(**{f"{field_name}__in": blockers})


def _people(*users: Any) -> set[int]:
    return {u.pk for u in users if u is not None and getattr(u, "is_authenticated", False)}


def clamp_limit(raw: object, default: int | None = None) -> int:
    """`?limit=` for the match lists: 1..MAX_LIMIT, the default when absent or not a number."""
    fallback = scorer.conf("DEFAULT_LIMIT") if default is None else default
    try:
        value = int(str(raw)) if raw not in (None, "") else fallback
    except ValueError:
        value = fallback
    return max(1, min(value, scorer.conf("MAX_LIMIT")))


# --- candidates ---------------------------------------------------------------------------------


def _open_ask_q() -> Q:
    return Q(status=AskStatus.OPEN, is_archived=False) & (Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


# Columns the scorer and the summaries never read: left in the database (the body may be 20,000 chars).
_OFFER_UNREAD = ("body", "body_html", "content", "source_metadata")


def offer_candidates(*, ask: Ask, exclude_users: set[int]) -> QuerySet[Offer]:
    """Active offers whose type answers the ask's (the type table) or in its category."""
    cond = Q(offer_type__in=scorer.offer_types_for(ask.ask_type))
    if ask.category_id:
        cond |= Q(category_id=ask.category_id)
    return (
        Offer.objects.filter(cond, status=OfferStatus.ACTIVE, is_archived=False, user__is_active=True)
        .exclude(user_id__in=exclude_users)
        .exclude(_block_q(exclude_users))
        .select_related("user", "user__reputation", "category")
        .defer(*_OFFER_UNREAD)
        .prefetch_related("tags", "tools")
        .order_by("-published_at", "-pk")[: scorer.conf("CANDIDATES")]
    )


def ask_candidates(*, offer: Offer, exclude_users: set[int]) -> QuerySet[Ask]:
    """Open, unexpired asks whose type the offer answers (the type table) or in its category."""
    cond = Q(ask_type__in=scorer.ask_types_for(offer.offer_type))
    if offer.category_id:
        cond |= Q(category_id=offer.category_id)
    return (
        Ask.objects.filter(cond, _open_ask_q(), user__is_active=True)
        .exclude(user_id__in=exclude_users)
        .exclude(_block_q(exclude_users))
        .select_related("user", "category")
        .prefetch_related("tags", "tools")
        .order_by("-created_at", "-pk")[: scorer.conf("CANDIDATES")]
    )


def _is_matchable_offer(offer: Offer) -> bool:
    return offer.status == OfferStatus.ACTIVE and not offer.is_archived


def _is_matchable_ask(ask: Ask) -> bool:
    return (
        ask.status == AskStatus.OPEN
        and not ask.is_archived
        and (ask.expires_at is None or ask.expires_at > timezone.now())
    )


# --- the public reads ---------------------------------------------------------------------------


def matches_for_ask(*, ask: Ask, viewer, limit: int = 3) -> list[OfferMatch]:
    """The best offers for `ask`, best first (ties: newest offer first), at most `limit`.

    Never the ask owner's or the viewer's own offers, never an offer of someone who blocked or was
    blocked by either of them, only active offers of active users; nothing for an ask that is not
    open (closed, fulfilled, archived, expired). Called by onboarding (keep the signature)."""
    if not _is_matchable_ask(ask):
        return []
    now = timezone.now()
    exclude = _people(viewer) | {ask.user_id}
    ask_side = _side(ask)
    minimum = scorer.conf("MIN_SCORE")
    found: list[OfferMatch] = []
    for offer in offer_candidates(ask=ask, exclude_users=exclude):
        scored = scorer.score_pair(ask_side, _side(offer), _helper(offer.user), now=now)
        if scored.score >= minimum:
            found.append(OfferMatch(offer=offer, score=scored.score, reasons=scored.reasons, ask=ask))
    # Candidates come newest first and sort() is stable: equal scores keep that order.
    found.sort(key=lambda m: -m.score)
    return found[: max(0, limit)]


def matches_for_offer(*, offer: Offer, viewer, limit: int = 3) -> list[AskMatch]:
    """The open asks `offer` answers best, best first, at most `limit` (same exclusions)."""
    if not _is_matchable_offer(offer):
        return []
    now = timezone.now()
    exclude = _people(viewer) | {offer.user_id}
    offer_side = _side(offer)
    helper = _helper(offer.user)
    minimum = scorer.conf("MIN_SCORE")
    found: list[AskMatch] = []
    for ask in ask_candidates(offer=offer, exclude_users=exclude):
        scored = scorer.score_pair(_side(ask), offer_side, helper, now=now)
        if scored.score >= minimum:
            found.append(AskMatch(ask=ask, score=scored.score, reasons=scored.reasons, offer=offer))
    found.sort(key=lambda m: -m.score)
    return found[: max(0, limit)]


def ask_for_matching(*, ask_id: int) -> Ask | None:
    return Ask.objects.select_related("user", "category").prefetch_related("tags", "tools").filter(pk=ask_id).first()


def offer_for_matching(*, offer_id: int) -> Offer | None:
    return (
        Offer.objects.select_related("user", "user__reputation", "category")
        .prefetch_related("tags", "tools")
        .filter(pk=offer_id)
        .first()
    )


def home_matches(*, user, limit: int | None = None) -> list[OfferMatch]:
    """ "Matches for you": the best offers for the caller's open asks (the newest
    `HOME_ASKS`), one entry per offer (its best ask), best first, at most `HOME_LIMIT`."""
    limit = scorer.conf("HOME_LIMIT") if limit is None else limit
    asks = list(
        Ask.objects.filter(_open_ask_q(), user_id=user.pk)
        .select_related("user", "category")
        .prefetch_related("tags", "tools")
        .order_by("-created_at", "-pk")[: scorer.conf("HOME_ASKS")]
    )
    best: dict[int, OfferMatch] = {}
    for ask in asks:
        for found in matches_for_ask(ask=ask, viewer=user, limit=limit):
            current = best.get(found.offer.pk)
            if current is None or found.score > current.score:
                best[found.offer.pk] = found
    ranked = sorted(best.values(), key=lambda m: (-m.score, -m.offer.pk))
    return ranked[:limit]


def matches_of_user(*, user) -> QuerySet[Match]:
    """The caller's match records, as the ask's owner or the offer's owner, newest first; never
    one whose other side blocked the caller or was blocked by them."""
    return (
        Match.objects.filter(Q(ask__user_id=user.pk) | Q(offer__user_id=user.pk))
        .exclude(_block_q([user.pk], "ask__user_id"))
        .exclude(_block_q([user.pk], "offer__user_id"))
        .select_related("ask", "offer", "connection")
        .order_by("-created_at", "-pk")
    )


def matches_notified_since(*, user_id: int, since: dt.datetime) -> int:
    """How many matches were announced to `user_id` since `since` (the daily cap)."""
    return Match.objects.filter(notified_user_id=user_id, notified_at__gte=since).count()
