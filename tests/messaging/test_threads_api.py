from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import Message, Thread, ThreadMembership
from messaging.services import message_send, thread_get_or_create
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/threads/"


def test_one_thread_per_pair_whatever_the_order(alice, bob):
    t1, created1 = thread_get_or_create(user_a=alice, user_b=bob)
    t2, created2 = thread_get_or_create(user_a=bob, user_b=alice)
    assert created1 and not created2 and t1.pk == t2.pk
    low, high = sorted((alice.pk, bob.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(user_low_id=low, user_high_id=high)
    # The ordered-pair check forbids storing the pair reversed, which would dodge the unique key.
    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(user_low_id=high, user_high_id=low)


def test_new_thread_has_a_membership_per_participant(thread, alice, bob):
    assert sorted(ThreadMembership.objects.filter(thread=thread).values_list("user_id", flat=True)) == sorted(
        [alice.pk, bob.pk]
    )


def test_post_thread_get_or_create(alice_client, alice, bob):
    r1 = alice_client.post(URL, {"user": bob.pk})
    assert r1.status_code == 201, r1.content
    assert r1.data["other_user"]["id"] == bob.pk
    assert r1.data["unread_count"] == 0 and r1.data["last_message"] is None
    r2 = client_for(bob).post(URL, {"user": alice.pk})
    assert r2.status_code == 200
    assert r2.data["id"] == r1.data["id"] and r2.data["other_user"]["id"] == alice.pk
    assert Thread.objects.count() == 1


def test_post_thread_with_self_unknown_or_missing_user(alice_client, alice):
    r = alice_client.post(URL, {"user": alice.pk})
    assert r.status_code == 400 and r.data["code"] == "self_thread" and "user" in r.data["fields"]
    r = alice_client.post(URL, {"user": 999999})
    assert r.status_code == 404 and "user" in r.data["fields"]
    r = alice_client.post(URL, {})
    assert r.status_code == 400 and "user" in r.data["fields"]
    r = alice_client.post(URL, {"user": "abc"})
    assert r.status_code == 400 and "user" in r.data["fields"]


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)
    assert api_client.post(URL, {"user": 1}).status_code in (401, 403)


def test_list_sorted_by_last_activity_with_preview_and_unread(alice, alice_client):
    carol, dave, erin = UserFactory(), UserFactory(), UserFactory()
    t_carol, _ = thread_get_or_create(user_a=alice, user_b=carol)
    t_dave, _ = thread_get_or_create(user_a=alice, user_b=dave)
    t_erin, _ = thread_get_or_create(user_a=erin, user_b=alice)  # empty: sorted by creation
    message_send(thread=t_dave, sender=dave, body="first from dave")
    message_send(thread=t_carol, sender=carol, body="hello " * 100)
    message_send(thread=t_carol, sender=carol, body="again")
    message_send(thread=t_carol, sender=alice, body="my reply")  # replying marks all before it read
    message_send(thread=t_dave, sender=dave, body="latest *from* dave")

    r = alice_client.get(URL)
    assert r.status_code == 200
    rows = r.data["results"]
    assert [row["id"] for row in rows] == [t_dave.pk, t_carol.pk, t_erin.pk]
    by_id = {row["id"]: row for row in rows}
    assert by_id[t_dave.pk]["other_user"]["username"] == dave.username
    assert by_id[t_dave.pk]["last_message"]["preview"] == "latest *from* dave"
    assert by_id[t_dave.pk]["last_message"]["sender"] == dave.pk
    assert by_id[t_dave.pk]["unread_count"] == 2
    assert by_id[t_carol.pk]["unread_count"] == 0
    assert by_id[t_carol.pk]["last_message"]["preview"] == "my reply"
    assert by_id[t_erin.pk]["unread_count"] == 0 and by_id[t_erin.pk]["last_message"] is None
    message_send(thread=t_carol, sender=carol, body="after your reply")
    rows = alice_client.get(URL).data["results"]
    assert [row["id"] for row in rows] == [t_carol.pk, t_dave.pk, t_erin.pk]
    assert rows[0]["unread_count"] == 1 and rows[0]["last_message"]["preview"] == "after your reply"


def test_preview_is_truncated(alice, bob, thread, alice_client):
    message_send(thread=thread, sender=bob, body="word " * 500)
    preview = alice_client.get(URL).data["results"][0]["last_message"]["preview"]
    assert len(preview) == 140 and preview.endswith("…")


def test_unread_count_follows_read_marker_and_ignores_deleted(alice, bob, thread, alice_client, bob_client):
    m1 = message_send(thread=thread, sender=bob, body="one")
    m2 = message_send(thread=thread, sender=bob, body="two")
    message_send(thread=thread, sender=bob, body="three")
    assert alice_client.get(URL).data["results"][0]["unread_count"] == 3
    assert alice_client.post(f"{URL}{thread.pk}/read/", {"message": m1.pk}).data["unread_count"] == 2
    bob_client.delete(f"{URL}{thread.pk}/messages/{m2.pk}/")
    assert alice_client.get(URL).data["results"][0]["unread_count"] == 1


def test_thread_shows_both_read_markers(alice, bob, thread, alice_client, bob_client):
    m1 = message_send(thread=thread, sender=alice, body="hi")
    bob_client.post(f"{URL}{thread.pk}/read/", {"message": m1.pk})
    row = alice_client.get(f"{URL}{thread.pk}/").data
    assert row["other_last_read_message"] == m1.pk
    assert row["last_read_message"] == m1.pk  # the sender has read their own message


def test_list_query_count_is_constant(alice, alice_client, django_assert_max_num_queries):
    def add_threads(n: int) -> None:
        for _ in range(n):
            other = UserFactory()
            t, _ = thread_get_or_create(user_a=other, user_b=alice)
            message_send(thread=t, sender=other, body="ping")

    add_threads(2)
    # auth (token lookup) + page count + the list itself: nothing per thread.
    with django_assert_max_num_queries(3):
        assert len(alice_client.get(URL).data["results"]) == 2
    add_threads(15)
    with django_assert_max_num_queries(3):
        assert len(alice_client.get(URL).data["results"]) == 17


def test_archive_is_per_user_and_hidden_from_default_list(alice, bob, thread, alice_client, bob_client):
    r = alice_client.post(f"{URL}{thread.pk}/archive/")
    assert r.status_code == 200 and r.data["archived"] is True
    assert alice_client.get(URL).data["results"] == []
    assert [t["id"] for t in alice_client.get(URL, {"archived": "true"}).data["results"]] == [thread.pk]
    # Bob's view is untouched.
    assert [t["id"] for t in bob_client.get(URL).data["results"]] == [thread.pk]
    assert bob_client.get(URL, {"archived": "true"}).data["results"] == []
    # Archiving twice is harmless; unarchive brings it back.
    assert alice_client.post(f"{URL}{thread.pk}/archive/").status_code == 200
    r = alice_client.post(f"{URL}{thread.pk}/unarchive/")
    assert r.status_code == 200 and r.data["archived"] is False
    assert [t["id"] for t in alice_client.get(URL).data["results"]] == [thread.pk]


def test_new_message_unarchives_for_both(alice, bob, thread, alice_client, bob_client):
    alice_client.post(f"{URL}{thread.pk}/archive/")
    bob_client.post(f"{URL}{thread.pk}/archive/")
    bob_client.post(f"{URL}{thread.pk}/messages/", {"body": "are you there?"})
    assert [t["id"] for t in alice_client.get(URL).data["results"]] == [thread.pk]
    assert [t["id"] for t in bob_client.get(URL).data["results"]] == [thread.pk]


def test_non_participant_gets_404_everywhere(alice, bob, thread):
    message = message_send(thread=thread, sender=alice, body="private")
    outsider = client_for(UserFactory())
    base = f"{URL}{thread.pk}/"
    msg = f"{base}messages/{message.pk}/"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}messages/").status_code == 404
    assert outsider.post(f"{base}messages/", {"body": "intrude"}).status_code == 404
    assert outsider.post(f"{base}read/", {"message": message.pk}).status_code == 404
    assert outsider.post(f"{base}archive/").status_code == 404
    assert outsider.post(f"{base}unarchive/").status_code == 404
    assert outsider.get(msg).status_code == 404
    assert outsider.patch(msg, {"body": "changed"}).status_code == 404
    assert outsider.delete(msg).status_code == 404
    assert outsider.get(URL).data["results"] == []
    message.refresh_from_db()
    assert message.body == "private" and message.deleted_at is None
    assert Message.objects.count() == 1


def test_message_of_another_thread_is_404_under_this_thread(alice, bob, thread, alice_client):
    other_thread, _ = thread_get_or_create(user_a=alice, user_b=UserFactory())
    foreign = message_send(thread=other_thread, sender=alice, body="elsewhere")
    url = f"{URL}{thread.pk}/messages/{foreign.pk}/"
    assert alice_client.get(url).status_code == 404
    assert alice_client.patch(url, {"body": "x"}).status_code == 404
    assert alice_client.delete(url).status_code == 404


def test_empty_thread_sorts_by_creation(alice, alice_client):
    old, _ = thread_get_or_create(user_a=alice, user_b=UserFactory())
    Thread.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    new, _ = thread_get_or_create(user_a=alice, user_b=UserFactory())
    assert [t["id"] for t in alice_client.get(URL).data["results"]] == [new.pk, old.pk]


def test_out_of_range_ids_are_404_or_400_never_500(alice, bob, thread, alice_client):
    huge = 10**20
    assert alice_client.get(f"{URL}{huge}/").status_code == 404
    assert alice_client.get(f"{URL}{huge}/messages/").status_code == 404
    assert alice_client.patch(f"{URL}{thread.pk}/messages/{huge}/", {"body": "x"}).status_code == 404
    assert alice_client.delete(f"{URL}{thread.pk}/messages/{huge}/").status_code == 404
    r = alice_client.post(f"{URL}{thread.pk}/read/", {"message": huge})
    assert r.status_code == 400 and "message" in r.data["fields"]
    r = alice_client.post(URL, {"user": huge})
    assert r.status_code in (400, 404) and "user" in r.data["fields"]
    r = alice_client.post(f"{URL}{thread.pk}/messages/", {"body": "x", "attachments": [{"type": "offer", "id": huge}]})
    assert r.status_code == 400 and "attachments" in r.data["fields"]
    r = alice_client.get(f"{URL}{thread.pk}/messages/", {"cursor": "garbage"})
    assert r.status_code == 400 and r.data["code"] == "invalid_cursor"  # the client's error, not a missing page
