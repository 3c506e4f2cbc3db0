"""Database constraints of Offer, Ask, Taxonomy and Tool: the database itself refuses bad rows.

Each bad write runs inside `transaction.atomic()` so the IntegrityError rolls back a savepoint
only (needed on PostgreSQL, where an error aborts the whole transaction). `save()` generates a
slug when it is empty, so the empty-slug checks write with `bulk_create`, which bypasses it.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from collective.models import Ask, Offer, Taxonomy, Tool
from tests.factories import AskFactory, OfferFactory, TaxonomyFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def offer_row(user, **kw) -> Offer:
    return Offer(user=user, title="T", description="D", offer_type="app", slug="t", status="active", **kw)


# --- Offer -------------------------------------------------------------------------------------


def test_offer_slug_unique_per_user_but_not_across_users():
    a, b = UserFactory(), UserFactory()
    OfferFactory(user=a, slug="same")
    refused(lambda: OfferFactory(user=a, slug="same"))
    assert OfferFactory(user=b, slug="same").slug == "same"


def test_offer_slug_generated_and_not_empty():
    u = UserFactory()
    assert OfferFactory(user=u, title="Hello World").slug == "hello-world"
    assert OfferFactory(user=u, title="Hello World").slug == "hello-world-2"
    refused(lambda: Offer.objects.bulk_create([Offer(user=u, title="x", description="d", offer_type="app", slug="")]))


@pytest.mark.parametrize(
    "kw",
    [
        {"is_paid": False, "price_cents": 100},  # free with a price
        {"is_paid": False, "pricing_type": "hourly"},  # free priced hourly
        {"is_paid": True, "pricing_type": "free", "price_cents": 100},  # paid priced as free
    ],
)
def test_offer_free_paid_checks(kw):
    u = UserFactory()
    refused(lambda: offer_row(u, **kw).save())


def test_offer_paid_row_accepted():
    offer = offer_row(UserFactory(), is_paid=True, pricing_type="one_time", price_cents=4900)
    offer.save()
    assert Offer.objects.filter(pk=offer.pk).exists()


@pytest.mark.parametrize(
    "kw", [{"status": "archived", "is_archived": False}, {"status": "active", "is_archived": True}]
)
def test_offer_archived_consistent(kw):
    u = UserFactory()
    refused(lambda: _offer_with(u, **kw).save())


def _offer_with(user, *, status: str, is_archived: bool) -> Offer:
    o = offer_row(user, is_archived=is_archived)
    o.status = status
    return o


def test_offer_archived_consistent_via_update():
    offer = OfferFactory()
    refused(lambda: Offer.objects.filter(pk=offer.pk).update(is_archived=True))
    refused(lambda: Offer.objects.filter(pk=offer.pk).update(status="archived"))
    Offer.objects.filter(pk=offer.pk).update(status="archived", is_archived=True)


@pytest.mark.parametrize(
    "field,value",
    [("offer_type", "spaceship"), ("status", "deleted"), ("pricing_type", "barter"), ("currency", "xyz")],
)
def test_offer_choice_checks(field, value):
    offer = OfferFactory()
    refused(lambda: Offer.objects.filter(pk=offer.pk).update(**{field: value}))


def test_offer_price_not_negative():
    offer = OfferFactory(is_paid=True, pricing_type="one_time", price_cents=10)
    refused(lambda: Offer.objects.filter(pk=offer.pk).update(price_cents=-1))


# --- Ask ---------------------------------------------------------------------------------------


def test_ask_slug_unique_per_user_but_not_across_users():
    a, b = UserFactory(), UserFactory()
    AskFactory(user=a, slug="help")
    refused(lambda: AskFactory(user=a, slug="help"))
    assert AskFactory(user=b, slug="help").slug == "help"


def test_ask_empty_slug_refused():
    u = UserFactory()
    refused(lambda: Ask.objects.bulk_create([Ask(user=u, title="x", description="d", ask_type="advice", slug="")]))


def test_ask_budget_min_lte_max():
    u = UserFactory()
    refused(lambda: AskFactory(user=u, is_paid_opportunity=True, budget_min_cents=500, budget_max_cents=100))
    ok = AskFactory(user=u, is_paid_opportunity=True, budget_min_cents=100, budget_max_cents=100)
    assert ok.pk
    AskFactory(user=u, budget_min_cents=500, budget_max_cents=None)  # an open end is fine
    refused(lambda: Ask.objects.filter(pk=ok.pk).update(budget_min_cents=101))


@pytest.mark.parametrize("field,value", [("ask_type", "wish"), ("status", "gone"), ("currency", "abc")])
def test_ask_choice_checks(field, value):
    ask = AskFactory()
    refused(lambda: Ask.objects.filter(pk=ask.pk).update(**{field: value}))


def test_ask_counters_not_negative():
    ask = AskFactory()
    refused(lambda: Ask.objects.filter(pk=ask.pk).update(view_count=-1))


# --- Taxonomy and Tool -------------------------------------------------------------------------


def test_taxonomy_type_check_and_unique_slug():
    t = TaxonomyFactory(name="Python")
    assert t.slug == "python"
    refused(lambda: Taxonomy.objects.create(name="Other", slug="python", taxonomy_type="topic"))
    refused(lambda: Taxonomy.objects.filter(pk=t.pk).update(taxonomy_type="bogus"))
    assert TaxonomyFactory(name="Python").slug == "python-2"


def test_taxonomy_cannot_be_its_own_parent():
    t = TaxonomyFactory()
    t.parent = t
    refused(lambda: t.save())


def test_tool_unique_slug_and_pricing_check():
    tool = ToolFactory(name="Claude")
    assert tool.slug == "claude"
    refused(lambda: Tool.objects.create(name="Claude 2", slug="claude"))
    refused(lambda: Tool.objects.filter(pk=tool.pk).update(pricing_model="gratis"))
