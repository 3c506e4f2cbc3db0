"""Writes of offers and asks: create, update, archive, record a view, change an ask's status.

Every service is keyword-only and atomic, and leaves only rows the database accepts: the rules
behind the model's check constraints (free/paid pricing, archived consistency, budget range) and
the taxonomy rules of seed 000 are checked here first and raised as `DomainError`s that name the
field, so a client gets a 400 instead of a refused write.

Publishing an offer awards points (docs/economy.md). A new ask (`AskCreated`) and an offer's first
publication (`OfferPublished`) are announced: matching tells the other side (docs/matching.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from collective.errors import CollectiveCode
from collective.events import AskCreated, OfferPublished
from collective.models import Ask, AskStatus, Offer, OfferStatus, PointsAction, PricingType, Taxonomy, Tool
from collective.models.taxonomy import CATEGORY_TYPES, TAG_TYPES
from collective.services.points import offer_points_reverse, points_award, toast_batch
from core.errors import Conflict, DomainError, Forbidden
from core.events import announce
from core.rendering import render_markdown

MAX_TAGS = 20
MAX_TOOLS = 20
SLUG_RETRIES = 5

# Fields a client may write on each model (the rest are system-maintained).
OFFER_WRITABLE = {
    "title",
    "description",
    "offer_type",
    "featured_image_url",
    "banner_url",
    "external_url",
    "body",
    "content",
    "source_type",
    "source_url",
    "source_metadata",
    "category",
    "tags",
    "tools",
    "is_paid",
    "price_cents",
    "currency",
    "pricing_type",
    "status",
}
ASK_WRITABLE = {
    "title",
    "description",
    "ask_type",
    "featured_image_url",
    "category",
    "tags",
    "tools",
    "is_paid_opportunity",
    "budget_min_cents",
    "budget_max_cents",
    "currency",
    "expires_at",
}
# Offer statuses a client may set through create/update; `archived` only through archive (DELETE).
OFFER_CLIENT_STATUSES = (OfferStatus.DRAFT, OfferStatus.ACTIVE, OfferStatus.PAUSED)
# Pricing types whose price must be positive ("custom" is "price on request").
PRICED_TYPES = (PricingType.ONE_TIME, PricingType.HOURLY, PricingType.MONTHLY)

# Ask status changes an owner may make (PATCH /asks/{id}/status/). Fulfilled is final: the ask got
# what it needed; a closed ask may be reopened.
ASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AskStatus.OPEN: (AskStatus.IN_PROGRESS, AskStatus.FULFILLED, AskStatus.CLOSED),
    AskStatus.IN_PROGRESS: (AskStatus.OPEN, AskStatus.FULFILLED, AskStatus.CLOSED),
    AskStatus.CLOSED: (AskStatus.OPEN,),
    AskStatus.FULFILLED: (),
}

# --- validation shared by offers and asks ---------------------------------------------------


def _check_category(category: Taxonomy | None) -> None:
    if category is None:
        return
    if category.taxonomy_type not in CATEGORY_TYPES or not category.is_active:
        raise DomainError(
            f"'{category.slug}' is not an active offer category.",
            code=CollectiveCode.INVALID_CATEGORY,
            field="category",
        )


def _check_tags(tags: Iterable[Taxonomy]) -> list[Taxonomy]:
    tags = list({t.pk: t for t in tags}.values())
    if len(tags) > MAX_TAGS:
        raise DomainError(f"At most {MAX_TAGS} tags.", code=CollectiveCode.TOO_MANY_TAGS, field="tags")
    bad = sorted(t.slug for t in tags if t.taxonomy_type not in TAG_TYPES or not t.is_active)
    if bad:
        raise DomainError(
            f"Tags must be active 'skill' or 'topic' entries; not allowed: {', '.join(bad)}.",
            code=CollectiveCode.INVALID_TAGS,
            field="tags",
        )
    return tags


def _check_tools(tools: Iterable[Tool]) -> list[Tool]:
    tools = list({t.pk: t for t in tools}.values())
    if len(tools) > MAX_TOOLS:
        raise DomainError(f"At most {MAX_TOOLS} tools.", code=CollectiveCode.TOO_MANY_TOOLS, field="tools")
    bad = sorted(t.slug for t in tools if not t.is_active)
    if bad:
        raise DomainError(
            f"Tools no longer in the directory: {', '.join(bad)}.", code=CollectiveCode.INVALID_TOOLS, field="tools"
        )
    return tools


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DomainError(f"Not writable: {', '.join(unknown)}.", code=CollectiveCode.NOT_WRITABLE, field=unknown[0])


def _apply_offer_pricing(offer: Offer, data: dict[str, Any]) -> None:
    """Set the pricing fields from `data` and make them consistent, or refuse.

    Turning an offer free clears the price fields the request did not name; a contradiction the
    client did name (free with a price, paid priced as 'free') is a 400 on that field.
    """
    for field in ("is_paid", "price_cents", "currency", "pricing_type"):
        if field in data:
            setattr(offer, field, data[field])
    if not offer.is_paid:
        if "price_cents" not in data:
            offer.price_cents = 0
        if "pricing_type" not in data:
            offer.pricing_type = PricingType.FREE
        if offer.price_cents:
            raise DomainError(
                "A free offer has no price (price_cents must be 0).",
                code=CollectiveCode.FREE_OFFER_PRICED,
                field="price_cents",
            )
        if offer.pricing_type != PricingType.FREE:
            raise DomainError(
                "A free offer has pricing type 'free'; set is_paid to true for another pricing type.",
                code=CollectiveCode.FREE_OFFER_PRICING_TYPE,
                field="pricing_type",
            )
        return
    if offer.pricing_type == PricingType.FREE:
        raise DomainError(
            "A paid offer needs a pricing type other than 'free' (one_time, hourly, monthly, custom).",
            code=CollectiveCode.PAID_OFFER_FREE_PRICING,
            field="pricing_type",
        )
    if offer.pricing_type in PRICED_TYPES and not offer.price_cents:
        raise DomainError(
            f"A paid '{offer.pricing_type}' offer needs a price above 0.",
            code=CollectiveCode.PAID_OFFER_NO_PRICE,
            field="price_cents",
        )


def _apply_ask_budget(ask: Ask, data: dict[str, Any]) -> None:
    """Same shape as offer pricing: a budget belongs to a paid opportunity, and min <= max."""
    for field in ("is_paid_opportunity", "budget_min_cents", "budget_max_cents", "currency"):
        if field in data:
            setattr(ask, field, data[field])
    if not ask.is_paid_opportunity:
        for field in ("budget_min_cents", "budget_max_cents"):
            if field not in data:
                setattr(ask, field, None)
            elif getattr(ask, field) is not None:
                raise DomainError(
                    "Only a paid opportunity has a budget; set is_paid_opportunity to true.",
                    code=CollectiveCode.UNPAID_ASK_BUDGET,
                    field=field,
                )
    if (
        ask.budget_min_cents is not None
        and ask.budget_max_cents is not None
        and ask.budget_min_cents > ask.budget_max_cents
    ):
        raise DomainError(
            "Minimum budget cannot exceed maximum budget.",
            code=CollectiveCode.BUDGET_MIN_EXCEEDS_MAX,
            field="budget_min_cents",
        )


def _check_expiry(data: dict[str, Any]) -> None:
    expires_at = data.get("expires_at")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("expires_at must be in the future.", code=CollectiveCode.EXPIRES_IN_PAST, field="expires_at")


def _save_new_with_slug(instance: Offer | Ask) -> None:
    """Insert `instance`, retrying when a concurrent insert took the same slug for the same user.

    `save()` picks a free slug, but two writers may pick the same one between the check and the
    insert; the unique constraint refuses the loser, who picks again with a random suffix.
    """
    model = type(instance)
    for attempt in range(SLUG_RETRIES):
        try:
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            if not model.objects.filter(user_id=instance.user_id, slug=instance.slug).exists():
                raise  # another rule refused the row: not ours to retry
            instance.pk = None
            # First retry: the next sequential slug. Losing again means a burst on the same
            # title, so leave the sequential scheme for a random suffix.
            instance.slug = f"{_base_slug(instance)}-{secrets.token_hex(3)}" if attempt else ""
    raise Conflict("Could not allocate a unique slug; try again.", code=CollectiveCode.SLUG_CONFLICT)


def _base_slug(instance: Offer | Ask) -> str:
    from django.utils.text import slugify

    return slugify(instance.title)[:200].strip("-") or "item"


def _set_relations(instance: Offer | Ask, *, tags: list | None, tools: list | None) -> None:
    if tags is not None:
        instance.tags.set(tags)
    if tools is not None:
        instance.tools.set(tools)


def _require_owner(instance: Offer | Ask, actor) -> None:
    if actor is None or instance.user_id != actor.pk:
        raise Forbidden("Only the owner may change this.", code=CollectiveCode.NOT_OWNER)


# --- offers ------------------------------------------------------------------------------------

_OFFER_PRICING = {"is_paid", "price_cents", "currency", "pricing_type"}
# Fields set through their own rules rather than copied as given.
_OFFER_SPECIAL = _OFFER_PRICING | {"tags", "tools", "status"}


def _offer_status(offer: Offer, status: str) -> None:
    if status not in OFFER_CLIENT_STATUSES:
        raise DomainError(
            "Status must be draft, active or paused; archive with DELETE.",
            code=CollectiveCode.INVALID_STATUS,
            field="status",
        )
    offer.status = status
    if status == OfferStatus.ACTIVE and offer.published_at is None:
        offer.published_at = timezone.now()  # the first publication only, never moved again


def _award_if_published(offer: Offer) -> None:
    """§8.2 "Add an offer" +10 once per offer, when it is (first) active; "first offer" +20 once
    per user. The ledger's unique key keeps both idempotent across later edits and re-activations."""
    if offer.status != OfferStatus.ACTIVE:
        return
    with toast_batch():
        points_award(user=offer.user_id, action=PointsAction.ADD_OFFER, obj=offer, context={"title": offer.title[:120]})
        points_award(user=offer.user_id, action=PointsAction.FIRST_OFFER)


@transaction.atomic
def offer_create(*, user, data: dict[str, Any]) -> Offer:
    """Create an offer of `user`. `data` holds validated values (category/tags/tools as instances)."""
    _check_fields(data, OFFER_WRITABLE)
    _check_category(data.get("category"))
    tags = _check_tags(data.get("tags", []))
    tools = _check_tools(data.get("tools", []))
    offer = Offer(user=user, **{k: v for k, v in data.items() if k not in _OFFER_SPECIAL})
    _apply_offer_pricing(offer, data)
    _offer_status(offer, data.get("status", OfferStatus.DRAFT))
    offer.body_html = render_markdown(offer.body)
    _save_new_with_slug(offer)
    _set_relations(offer, tags=tags, tools=tools)
    _award_if_published(offer)
    if offer.published_at is not None:  # created as active: its first publication
        announce(OfferPublished(offer_id=offer.pk, user_id=offer.user_id))
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, actor, data: dict[str, Any]) -> Offer:
    """Partial update by the owner. The slug stays as created: links to it keep working."""
    _require_owner(offer, actor)
    _check_fields(data, OFFER_WRITABLE)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.is_archived:
        raise Conflict("An archived offer cannot be changed.", code=CollectiveCode.OFFER_ARCHIVED)
    if "category" in data:
        _check_category(data["category"])
    tags = _check_tags(data["tags"]) if "tags" in data else None
    tools = _check_tools(data["tools"]) if "tools" in data else None
    for key, value in data.items():
        if key not in _OFFER_SPECIAL:
            setattr(offer, key, value)
    if _OFFER_PRICING & data.keys():
        _apply_offer_pricing(offer, data)
    was_published = offer.published_at is not None
    if "status" in data:
        _offer_status(offer, data["status"])
    if "body" in data:
        offer.body_html = render_markdown(offer.body)
    offer.save()
    _set_relations(offer, tags=tags, tools=tools)
    _award_if_published(offer)
    if not was_published and offer.published_at is not None:  # a draft published, the first time
        announce(OfferPublished(offer_id=offer.pk, user_id=offer.user_id))
    return offer


@transaction.atomic
def offer_archive(*, offer: Offer, actor) -> Offer:
    """Soft delete. Idempotent: archiving an archived offer changes nothing.

    Points the offer earned within the reversal window are taken back (docs/economy.md), once:
    only the request whose UPDATE archived it gets there, and an archived offer stays archived."""
    _require_owner(offer, actor)
    updated = Offer.objects.filter(pk=offer.pk, is_archived=False).update(
        is_archived=True, status=OfferStatus.ARCHIVED, updated_at=timezone.now()
    )
    if updated:
        offer.refresh_from_db(fields=["is_archived", "status", "updated_at"])
        offer_points_reverse(offer=offer)
    return offer


@transaction.atomic
def offer_record_view(*, offer: Offer, viewer) -> tuple[int, bool]:
    """Count a view of a visible offer unless the viewer is its owner. Returns (view_count, counted).

    The caller has checked visibility. The increment is one atomic UPDATE, so concurrent views
    are never lost.
    """
    if viewer is not None and viewer.is_authenticated and viewer.pk == offer.user_id:
        return offer.view_count, False
    Offer.objects.filter(pk=offer.pk).update(view_count=F("view_count") + 1)
    offer.refresh_from_db(fields=["view_count"])
    return offer.view_count, True


# --- asks --------------------------------------------------------------------------------------


@transaction.atomic
def ask_create(*, user, data: dict[str, Any]) -> Ask:
    _check_fields(data, ASK_WRITABLE)
    _check_category(data.get("category"))
    _check_expiry(data)
    tags = _check_tags(data.get("tags", []))
    tools = _check_tools(data.get("tools", []))
    simple = {
        k: v
        for k, v in data.items()
        if k not in {"tags", "tools", "is_paid_opportunity", "budget_min_cents", "budget_max_cents", "currency"}
    }
    ask = Ask(user=user, **simple)
    _apply_ask_budget(ask, data)
    _save_new_with_slug(ask)
    _set_relations(ask, tags=tags, tools=tools)
    announce(AskCreated(ask_id=ask.pk, user_id=ask.user_id))
    return ask


@transaction.atomic
def ask_update(*, ask: Ask, actor, data: dict[str, Any]) -> Ask:
    """Partial update by the owner. Status changes go through `ask_set_status`."""
    _require_owner(ask, actor)
    _check_fields(data, ASK_WRITABLE)
    ask = Ask.objects.select_for_update().get(pk=ask.pk)
    if ask.is_archived:
        raise Conflict("An archived ask cannot be changed.", code=CollectiveCode.ASK_ARCHIVED)
    if "category" in data:
        _check_category(data["category"])
    _check_expiry(data)
    tags = _check_tags(data["tags"]) if "tags" in data else None
    tools = _check_tools(data["tools"]) if "tools" in data else None
    budget = {"is_paid_opportunity", "budget_min_cents", "budget_max_cents", "currency"}
    for key, value in data.items():
        if key not in budget | {"tags", "tools"}:
            setattr(ask, key, value)
    if budget & data.keys():
        _apply_ask_budget(ask, data)
    ask.save()
    _set_relations(ask, tags=tags, tools=tools)
    return ask


@transaction.atomic
def ask_set_status(*, ask: Ask, actor, status: str) -> Ask:
    """Move an ask along ASK_TRANSITIONS; `fulfilled_at` is stamped when it becomes fulfilled.

    Setting the current status again is a no-op, not an error.
    """
    _require_owner(ask, actor)
    if status not in AskStatus.values:
        raise DomainError(f"Unknown ask status '{status}'.", code=CollectiveCode.INVALID_STATUS, field="status")
    ask = Ask.objects.select_for_update().get(pk=ask.pk)
    if ask.is_archived:
        raise Conflict("An archived ask cannot change status.", code=CollectiveCode.ASK_ARCHIVED)
    if ask.status == status:
        return ask
    if status not in ASK_TRANSITIONS[ask.status]:
        raise Conflict(
            f"An ask cannot go from '{ask.status}' to '{status}'.", code=CollectiveCode.INVALID_STATUS_TRANSITION
        )
    ask.status = status
    fields = ["status", "updated_at"]
    if status == AskStatus.FULFILLED:
        ask.fulfilled_at = timezone.now()
        fields.append("fulfilled_at")
    ask.save(update_fields=fields)
    return ask


@transaction.atomic
def ask_archive(*, ask: Ask, actor) -> Ask:
    """Soft delete; the status is kept (it says how the ask ended). Idempotent."""
    _require_owner(ask, actor)
    if Ask.objects.filter(pk=ask.pk, is_archived=False).update(is_archived=True, updated_at=timezone.now()):
        ask.refresh_from_db(fields=["is_archived", "updated_at"])
    return ask


@transaction.atomic
def ask_record_view(*, ask: Ask, viewer) -> tuple[int, bool]:
    """As `offer_record_view`."""
    if viewer is not None and viewer.is_authenticated and viewer.pk == ask.user_id:
        return ask.view_count, False
    Ask.objects.filter(pk=ask.pk).update(view_count=F("view_count") + 1)
    ask.refresh_from_db(fields=["view_count"])
    return ask.view_count, True
