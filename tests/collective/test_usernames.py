"""Usernames as people type them (issue 11 item 7): matched case-insensitively wherever a user
names another user; reserved names reserved in every case and with punctuation."""

from __future__ import annotations

import pytest

from collective.services.credits import credits_apply
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_gift_to_a_username_in_another_case_reaches_that_user():
    sender, bob = UserFactory(username="sender"), UserFactory(username="bob_b")
    # Credits received from another person: giftable (docs/economy.md, "What can be gifted").
    credits_apply(user=sender, amount=30, transaction_type="gift_received", related_user=UserFactory())
    resp = client_for(sender).post("/api/v1/gifts/", {"to": "BOB_B", "credits": 5})
    assert resp.status_code == 201, resp.data
    bob.refresh_from_db()
    assert bob.credit_balance == 5


def test_storefront_and_follower_lists_by_username_in_any_case(api_client):
    UserFactory(username="Ada_L")
    assert api_client.get("/api/v1/people/ada_l/").status_code == 200
    assert api_client.get("/api/v1/people/ADA_L/").status_code == 200
    assert api_client.get("/api/v1/people/nobody/").status_code == 404


@pytest.mark.parametrize("name", ["_admin_", "ADMIN", "Ad.min", "ad-min", "__root__", "Sup_port", "m.e"])
def test_reserved_names_are_reserved_in_every_spelling(api_client, name):
    resp = api_client.post(
        "/api/v1/auth/register/",
        {"username": name, "email": f"x{len(name)}@example.com", "password": "a-long-passphrase"},
    )
    assert resp.status_code == 400 and "username" in resp.data["fields"], resp.data


def test_ordinary_names_with_punctuation_still_register(api_client):
    resp = api_client.post(
        "/api/v1/auth/register/", {"username": "admiral_ada", "email": "a@example.com", "password": "a-long-passphrase"}
    )
    assert resp.status_code == 201, resp.data
