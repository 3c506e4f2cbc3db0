"""Races on PostgreSQL with real threads: same-title creates get distinct slugs; concurrent views
are all counted."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from collective.models import Ask, Offer
from collective.services.offers import ask_create, offer_create, offer_record_view
from tests.factories import OfferFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def run_in_threads(fn, n: int = THREADS) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            fn()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_offer_creates_with_same_title_get_distinct_slugs():
    user = UserFactory()
    data = {"title": "Same Title", "description": "d", "offer_type": "app"}
    errors = run_in_threads(lambda: offer_create(user=user, data=dict(data)))
    assert errors == []
    slugs = list(Offer.objects.filter(user=user).values_list("slug", flat=True))
    assert len(slugs) == THREADS and len(set(slugs)) == THREADS
    assert all(s.startswith("same-title") for s in slugs)


def test_concurrent_ask_creates_with_same_title_get_distinct_slugs():
    user = UserFactory()
    data = {"title": "Need help", "description": "d", "ask_type": "advice"}
    errors = run_in_threads(lambda: ask_create(user=user, data=dict(data)))
    assert errors == []
    slugs = list(Ask.objects.filter(user=user).values_list("slug", flat=True))
    assert len(set(slugs)) == THREADS


def test_concurrent_views_are_all_counted():
    offer = OfferFactory()
    viewer = UserFactory()
    per_thread = 5

    def view_many() -> None:
        for _ in range(per_thread):
            offer_record_view(offer=Offer.objects.get(pk=offer.pk), viewer=viewer)

    assert run_in_threads(view_many) == []
    offer.refresh_from_db()
    assert offer.view_count == THREADS * per_thread
