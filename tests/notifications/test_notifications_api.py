"""The feed: list (paginated, unread filter), unread count, mark one/all read, preferences.
Someone else's notification is a 404."""

from __future__ import annotations

import pytest

from notifications import texts
from notifications.models import Notification
from notifications.services import notification_create
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, eager_celery  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _make(recipient, n: int = 1, actor=None) -> list[Notification]:
    actor = actor or UserFactory()
    return [
        notification_create(
            recipient=recipient, actor=actor, kind="new_follower", texts=texts.new_follower(actor=f"u{i}")
        )
        for i in range(n)
    ]


def test_list_is_newest_first_paginated_and_only_mine():
    me, other = UserFactory(), UserFactory()
    mine = _make(me, 3)
    _make(other, 2)
    resp = client_for(me).get("/api/v1/notifications/?page_size=2")
    assert resp.status_code == 200
    assert resp.data["count"] == 3
    assert [n["id"] for n in resp.data["results"]] == [mine[2].pk, mine[1].pk]
    item = resp.data["results"][0]
    assert item["kind"] == "new_follower" and item["title"] == "@u2 started following you"
    assert item["is_read"] is False and item["read_at"] is None and item["actor"]["id"] == mine[2].actor_id
    page2 = client_for(me).get(resp.data["next"])
    assert [n["id"] for n in page2.data["results"]] == [mine[0].pk]


def test_unread_filter_count_and_mark_read():
    me = UserFactory()
    a, b, c = _make(me, 3)
    client = client_for(me)
    assert client.get("/api/v1/notifications/unread-count/").data == {"unread": 3}
    resp = client.post(f"/api/v1/notifications/{b.pk}/read/")
    assert resp.status_code == 200 and resp.data["is_read"] is True and resp.data["read_at"]
    first_read_at = resp.data["read_at"]
    # Idempotent: reading again keeps the first time.
    assert client.post(f"/api/v1/notifications/{b.pk}/read/").data["read_at"] == first_read_at
    assert client.get("/api/v1/notifications/unread-count/").data == {"unread": 2}
    unread = client.get("/api/v1/notifications/?unread=true").data["results"]
    assert [n["id"] for n in unread] == [c.pk, a.pk]
    assert client.get("/api/v1/notifications/?unread=false").data["count"] == 3
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400
    assert client.post("/api/v1/notifications/read-all/").data == {"marked_read": 2}
    assert client.get("/api/v1/notifications/unread-count/").data == {"unread": 0}
    assert client.post("/api/v1/notifications/read-all/").data == {"marked_read": 0}


def test_outsiders_get_404_and_change_nothing():
    me, outsider = UserFactory(), UserFactory()
    (note,) = _make(me)
    for url in (
        f"/api/v1/notifications/{note.pk}/read/",
        "/api/v1/notifications/99999999/read/",
        "/api/v1/notifications/99999999999999999999999/read/",
    ):
        resp = client_for(outsider).post(url)
        assert resp.status_code == 404 and resp.data["code"] == "not_found"
    assert client_for(outsider).post("/api/v1/notifications/read-all/").data == {"marked_read": 0}
    assert Notification.objects.get(pk=note.pk).read_at is None
    assert client_for(outsider).get("/api/v1/notifications/").data["count"] == 0


def test_anonymous_is_refused(api_client):
    for method, url in [
        ("get", "/api/v1/notifications/"),
        ("get", "/api/v1/notifications/unread-count/"),
        ("post", "/api/v1/notifications/read-all/"),
        ("get", "/api/v1/me/notification-preferences/"),
    ]:
        assert getattr(api_client, method)(url).status_code in (401, 403)


def test_preferences_default_and_patch():
    me = UserFactory()
    client = client_for(me)
    prefs = client.get("/api/v1/me/notification-preferences/").data
    assert prefs["connection_request"] == {"sms": True}
    assert prefs["new_follower"] == {"sms": False}
    assert set(prefs) == {
        "connection_request",
        "ask_response",
        "connection_accepted",
        "help_completed",
        "new_follower",
        "new_message",
        "points_unlock",
        "price_proposal",
        "payment",
        "new_match",
    }
    resp = client.patch(
        "/api/v1/me/notification-preferences/",
        {"new_message": {"sms": False}, "new_follower": {"sms": True}},
        format="json",
    )
    assert resp.status_code == 200
    assert resp.data["new_message"] == {"sms": False} and resp.data["new_follower"] == {"sms": True}
    assert resp.data["connection_request"] == {"sms": True}
    assert client.get("/api/v1/me/notification-preferences/").data == resp.data
    # Another user's preferences are untouched.
    assert client_for(UserFactory()).get("/api/v1/me/notification-preferences/").data["new_message"] == {"sms": True}


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"bogus": {"sms": True}}, "invalid_kind", "bogus"),
        ({"new_message": {"sms": "yes"}}, "invalid", "new_message"),
        ({"new_message": True}, "invalid", "new_message"),
        ({"new_message": {"sms": True, "email": True}}, "invalid", "new_message"),
        ([1, 2], "invalid", None),
    ],
)
def test_preferences_errors_name_the_kind(body, code, field):
    resp = client_for(UserFactory()).patch("/api/v1/me/notification-preferences/", body, format="json")
    assert resp.status_code == 400 and resp.data["code"] == code
    if field:
        assert field in resp.data["fields"]
