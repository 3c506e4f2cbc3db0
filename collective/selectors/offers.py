"""Reads of offers and asks, scoped to what the caller may see, in one place.

Visibility (seed 000): a draft or archived offer, and an archived ask, is seen by its owner only;
to anyone else it does not exist (the API answers 404). Lists never show archived items.

Blocks: to a user someone has blocked, the blocker looks like a user that does not exist
(docs/connections.md): their offers, asks, agents' courses and storefront are left out of every
list and answer 404 — one subquery on the viewer's blocks, no extra query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from collective.models import AgentProfile, Ask, AskStatus, Connection, Follow, Offer, OfferStatus, User
from collective.models.offers import OFFER_SUBSECTIONS
from collective.models.reputation import ReputationTier
from collective.models.users import UserRole
from collective.selectors.blocks import hide_blockers_of
from collective.selectors.follows import user_get_by_username
from collective.selectors.matching import home_matches
from collective.selectors.points import storefront_economy

PUBLIC_OFFER_STATUSES = (OfferStatus.ACTIVE, OfferStatus.PAUSED)
# Asks a storefront shows under "What I Need": the ones still wanted.
STOREFRONT_ASK_STATUSES = (AskStatus.OPEN, AskStatus.IN_PROGRESS)
STOREFRONT_MAX_OFFERS = 200
DISCOVER_SECTION_SIZE = 6
HOME_RECENT_CONNECTIONS = 5


def _me(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def _offer_qs() -> QuerySet[Offer]:
    """Everything a list or detail representation reads, in a constant number of queries."""
    return Offer.objects.select_related("user", "category").prefetch_related("tags", "tools")


def _ask_qs() -> QuerySet[Ask]:
    return Ask.objects.select_related("user", "category").prefetch_related("tags", "tools")


def _public_offer_q() -> Q:
    return Q(status__in=PUBLIC_OFFER_STATUSES, is_archived=False)


# --- offers ------------------------------------------------------------------------------------


def offers_public(*, viewer=None) -> QuerySet[Offer]:
    """Offers anyone may list: active or paused, not archived (and not of someone who blocked
    `viewer`)."""
    return hide_blockers_of(_offer_qs().filter(_public_offer_q()), viewer)


def offers_of_owner(*, user, include_archived: bool = False) -> QuerySet[Offer]:
    qs = _offer_qs().filter(user_id=user.pk)
    return qs if include_archived else qs.filter(is_archived=False)


def offer_get_visible(*, user, offer_id: int) -> Offer | None:
    """The offer if `user` may see it (public, or theirs in any state), else None."""
    me = _me(user)
    cond = _public_offer_q() | Q(user_id=me) if me else _public_offer_q()
    return hide_blockers_of(_offer_qs().filter(cond, pk=offer_id), user).first()


# --- asks --------------------------------------------------------------------------------------


def asks_public(*, viewer=None) -> QuerySet[Ask]:
    """Asks anyone may list: every status, not archived (and not of someone who blocked `viewer`)."""
    return hide_blockers_of(_ask_qs().filter(is_archived=False), viewer)


def asks_discoverable(*, viewer=None) -> QuerySet[Ask]:
    """Public asks not past their expiry: what discovery browses."""
    return asks_public(viewer=viewer).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def asks_of_owner(*, user, include_archived: bool = False) -> QuerySet[Ask]:
    qs = _ask_qs().filter(user_id=user.pk)
    return qs if include_archived else qs.filter(is_archived=False)


def ask_get_visible(*, user, ask_id: int) -> Ask | None:
    me = _me(user)
    cond = Q(is_archived=False) | Q(user_id=me) if me else Q(is_archived=False)
    return hide_blockers_of(_ask_qs().filter(cond, pk=ask_id), user).first()


# --- people ------------------------------------------------------------------------------------


def people_discoverable(*, viewer=None) -> QuerySet[User]:
    """Creators: active human users with at least one public offer or public ask.

    Agents are left out; their courses show on their owner's storefront.
    """
    public_offers = Offer.objects.filter(_public_offer_q(), user_id=OuterRef("pk"))
    public_asks = Ask.objects.filter(is_archived=False, user_id=OuterRef("pk"))
    return (
        hide_blockers_of(User.objects.filter(is_active=True), viewer, field="pk")
        .exclude(role=UserRole.AGENT)
        .filter(Exists(public_offers) | Exists(public_asks))
        .annotate(
            public_offer_count=_count_per_user(Offer.objects.filter(_public_offer_q())),
            open_ask_count=_count_per_user(Ask.objects.filter(status=AskStatus.OPEN, is_archived=False)),
            # No reputation row yet reads as a score of 0, tier "new" (docs/economy.md).
            reputation_score=Coalesce(F("reputation__score"), 0),
            reputation_tier=Coalesce(F("reputation__tier"), Value(ReputationTier.NEW)),
        )
    )


def _count_per_user(qs: QuerySet) -> Coalesce:
    # A correlated subquery rather than Count() over joins: two joined reverse relations would
    # multiply each other's rows.
    sub = qs.filter(user_id=OuterRef("pk")).order_by().values("user_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


# --- discovery ---------------------------------------------------------------------------------


def discover_sections(*, category=None, viewer=None, size: int = DISCOVER_SECTION_SIZE) -> dict[str, Any]:
    """The unified discovery page (seed 001 §6.1): featured, recent, courses, experts, open asks.

    With a category, every section is narrowed to it ("experts" are people with a public offer
    in it). Each section is one query plus its prefetches.
    """
    offers = offers_public(viewer=viewer).filter(status=OfferStatus.ACTIVE)
    asks = asks_discoverable(viewer=viewer).filter(status=AskStatus.OPEN)
    people = people_discoverable(viewer=viewer)
    if category is not None:
        offers = offers.filter(category=category)
        asks = asks.filter(category=category)
        people = people.filter(
            Exists(Offer.objects.filter(_public_offer_q(), user_id=OuterRef("pk"), category=category))
        )
    return {
        "featured_offers": list(offers.filter(is_featured=True).order_by("-created_at", "-pk")[:size]),
        "recent_offers": list(offers.order_by("-created_at", "-pk")[:size]),
        "courses": list(offers.filter(offer_type="course").order_by("-connection_count", "-created_at", "-pk")[:size]),
        "open_asks": list(asks.order_by("-created_at", "-pk")[:size]),
        "people": list(people.order_by("-helped_count", "-followers_count", "pk")[:size]),
    }


# --- storefront --------------------------------------------------------------------------------


def storefront_get(*, username: str, viewer) -> dict[str, Any] | None:
    """The public profile of `username` (seed 001 §5): header, offers grouped into the §5.2
    subsections (empty ones left out), asks still wanted, and the courses of agents the user owns.

    Only public items, also when the owner looks: the storefront shows what everyone sees; the
    owner's drafts are in /offers/me/. None for an unknown or inactive user, and for a user who
    blocked the viewer.
    """
    profile = user_get_by_username(username=username, viewer=viewer)
    if profile is None:
        return None
    me = _me(viewer)
    is_following = None
    if me is not None:
        is_following = me != profile.pk and Follow.objects.filter(follower_id=me, following_id=profile.pk).exists()

    offers = list(offers_public().filter(user=profile).order_by("-created_at", "-pk")[:STOREFRONT_MAX_OFFERS])
    subsections = []
    for key, title, types in OFFER_SUBSECTIONS:
        items = [o for o in offers if o.offer_type in types]
        if items:
            subsections.append({"key": key, "title": title, "offer_types": list(types), "offers": items})

    asks = list(asks_public().filter(user=profile, status__in=STOREFRONT_ASK_STATUSES).order_by("-created_at", "-pk"))
    agent_ids = AgentProfile.objects.filter(owner=profile).values("user_id")
    agent_courses = list(
        offers_public(viewer=viewer)
        .filter(user_id__in=agent_ids, offer_type="course", user__is_active=True)
        .order_by("-created_at", "-pk")[:STOREFRONT_MAX_OFFERS]
    )
    return {
        "user": profile,
        # Endorsements, peer badges, reputation and unlocks (docs/economy.md).
        "economy": storefront_economy(user=profile),
        "is_following": is_following,
        "is_owner": me == profile.pk,
        "offer_sections": subsections,
        "asks": asks,
        "agent_courses": agent_courses,
    }


# --- home --------------------------------------------------------------------------------------


def home_get(*, user) -> dict[str, Any]:
    """The caller's dashboard (seed 001 §4): counts of their offers and asks by status (every key
    present), their five most recent connections, and the best offers for their open asks."""
    offer_counts = {s: 0 for s in OfferStatus.values}
    for row in Offer.objects.filter(user=user).values("status").annotate(n=Count("pk")).order_by():
        offer_counts[row["status"]] = row["n"]

    ask_counts = {s: 0 for s in AskStatus.values}
    ask_counts["archived"] = 0
    for row in Ask.objects.filter(user=user).values("status", "is_archived").annotate(n=Count("pk")).order_by():
        key = "archived" if row["is_archived"] else row["status"]
        ask_counts[key] += row["n"]

    connections = list(
        Connection.objects.filter(Q(initiator=user) | Q(responder=user))
        .select_related("initiator", "responder", "offer", "ask")
        .order_by("-created_at", "-pk")[:HOME_RECENT_CONNECTIONS]
    )
    return {
        "user": user,
        "offer_counts": offer_counts,
        "ask_counts": ask_counts,
        "recent_connections": connections,
        # "Matches for you": the best offers for the caller's open asks (docs/matching.md).
        "matches": home_matches(user=user),
    }
