from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from collective.models import Connection, ConnectionType
from messaging.models import Message
from messaging.services import message_send, thread_get_or_create
from tests.factories import AskFactory, OfferFactory, UserFactory

from .conftest import events_of, recipients

pytestmark = pytest.mark.django_db


def url(thread, mid=None) -> str:
    base = f"/api/v1/threads/{thread.pk}/messages/"
    return f"{base}{mid}/" if mid else base


def test_send_returns_201_and_publishes_to_both(alice, bob, thread, alice_client):
    r = alice_client.post(url(thread), {"body": "Hello _Bob_"})
    assert r.status_code == 201, r.content
    assert r.data["body"] == "Hello _Bob_" and r.data["sender"] == alice.pk and r.data["thread"] == thread.pk
    assert "<em>Bob</em>" in r.data["body_html"]
    assert recipients("message.created") == sorted([alice.pk, bob.pk])
    for event in events_of("message.created"):
        assert event.data == {"thread": thread.pk, "message": r.data}


def test_body_limits(alice, thread, alice_client, settings):
    settings.MESSAGING = {"MAX_BODY_CHARS": 50}
    assert alice_client.post(url(thread), {"body": "x" * 50}).status_code == 201
    r = alice_client.post(url(thread), {"body": "x" * 51})
    assert r.status_code == 400 and "body" in r.data["fields"]
    for empty in ("", "   \n\t"):
        r = alice_client.post(url(thread), {"body": empty})
        assert r.status_code == 400 and "body" in r.data["fields"]
    r = alice_client.post(url(thread), {})
    assert r.status_code == 400 and "body" in r.data["fields"]
    r = alice_client.post(url(thread), {"body": ["not", "text"]})
    assert r.status_code == 400 and "body" in r.data["fields"]
    assert Message.objects.count() == 1


def test_default_body_limit_is_ten_thousand(thread, alice_client):
    assert alice_client.post(url(thread), {"body": "y" * 10_000}).status_code == 201
    r = alice_client.post(url(thread), {"body": "y" * 10_001})
    assert r.status_code == 400 and "body" in r.data["fields"]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        "<iframe src='https://evil.example'></iframe>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
    ],
)
def test_body_html_is_sanitised_and_body_kept_as_sent(thread, alice_client, hostile):
    r = alice_client.post(url(thread), {"body": f"before {hostile} after"})
    assert r.status_code == 201
    assert r.data["body"] == f"before {hostile} after"
    html = r.data["body_html"].lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<img"):
        assert bad not in html
    assert "before" in html and "after" in html


def test_safe_markdown_survives(thread, alice_client):
    r = alice_client.post(url(thread), {"body": "**bold** and [site](https://example.com)\n\n- one\n- two"})
    html = r.data["body_html"]
    assert "<strong>bold</strong>" in html and 'href="https://example.com"' in html and "<li>one</li>" in html


@pytest.mark.parametrize(
    "href", ["//evil.example/login", "<//evil.example>", "&#47;&#47;evil.example", "https:evil.example"]
)
def test_links_to_another_host_that_look_relative_lose_their_href(thread, alice_client, href):
    r = alice_client.post(url(thread), {"body": f"[sign in]({href}) or [here](/threads/)"})
    html = r.data["body_html"]
    assert "evil.example" not in html
    assert '<a rel="nofollow noopener noreferrer">sign in</a>' in html
    assert '<a href="/threads/" rel="nofollow noopener noreferrer">here</a>' in html


def test_images_are_links_not_images(thread, alice_client):
    r = alice_client.post(url(thread), {"body": "![cat](https://img.example/cat.png)"})
    assert r.data["body_html"] == (
        '<p><a href="https://img.example/cat.png" rel="nofollow noopener noreferrer">cat</a></p>'
    )


def test_client_id_is_idempotent(alice, bob, thread, alice_client):
    r1 = alice_client.post(url(thread), {"body": "once", "client_id": "c-1"})
    r2 = alice_client.post(url(thread), {"body": "once", "client_id": "c-1"})
    assert r1.status_code == 201 and r2.status_code == 200
    assert r1.data["id"] == r2.data["id"] and r2.data["client_id"] == "c-1"
    assert Message.objects.count() == 1
    assert len(events_of("message.created")) == 2  # one message, one event per participant
    # Another sender may use the same client_id.
    from tests.conftest import client_for

    r3 = client_for(bob).post(url(thread), {"body": "mine", "client_id": "c-1"})
    assert r3.status_code == 201 and r3.data["id"] != r1.data["id"]


def test_client_id_reused_in_another_thread_is_409(alice, thread, alice_client):
    other, _ = thread_get_or_create(user_a=alice, user_b=UserFactory())
    alice_client.post(url(thread), {"body": "here", "client_id": "k"})
    r = alice_client.post(url(other), {"body": "there", "client_id": "k"})
    assert r.status_code == 409 and r.data["code"] == "client_id_reused" and "client_id" in r.data["fields"]


def test_client_id_validation(thread, alice_client):
    r = alice_client.post(url(thread), {"body": "x", "client_id": "z" * 65})
    assert r.status_code == 400 and "client_id" in r.data["fields"]
    r = alice_client.post(url(thread), {"body": "x", "client_id": ""})
    assert r.status_code == 400 and "client_id" in r.data["fields"]


def test_edit_by_sender_within_window(alice, bob, thread, alice_client):
    mid = alice_client.post(url(thread), {"body": "tpyo"}).data["id"]
    r = alice_client.patch(url(thread, mid), {"body": "typo *fixed*"})
    assert r.status_code == 200 and r.data["body"] == "typo *fixed*" and r.data["edited_at"]
    assert "<em>fixed</em>" in r.data["body_html"]
    assert recipients("message.updated") == sorted([alice.pk, bob.pk])
    assert events_of("message.updated")[0].data["message"]["body"] == "typo *fixed*"
    # The same body again changes nothing and emits nothing.
    assert alice_client.patch(url(thread, mid), {"body": "typo *fixed*"}).status_code == 200
    assert len(events_of("message.updated")) == 2


def test_edit_rules(alice, bob, thread, alice_client, bob_client, settings):
    mid = alice_client.post(url(thread), {"body": "original"}).data["id"]
    r = bob_client.patch(url(thread, mid), {"body": "hijack"})
    assert r.status_code == 403 and r.data["code"] == "not_sender"
    r = alice_client.patch(url(thread, mid), {"body": ""})
    assert r.status_code == 400 and "body" in r.data["fields"]
    settings.MESSAGING = {"EDIT_WINDOW_SECONDS": 60}
    Message.objects.filter(pk=mid).update(created_at=timezone.now() - timedelta(seconds=61))
    r = alice_client.patch(url(thread, mid), {"body": "too late"})
    assert r.status_code == 403 and r.data["code"] == "edit_window_closed"
    assert Message.objects.get(pk=mid).body == "original"
    assert events_of("message.updated") == []


def test_default_edit_window_is_fifteen_minutes(thread, alice_client):
    mid = alice_client.post(url(thread), {"body": "original"}).data["id"]
    Message.objects.filter(pk=mid).update(created_at=timezone.now() - timedelta(minutes=14))
    assert alice_client.patch(url(thread, mid), {"body": "ok"}).status_code == 200
    Message.objects.filter(pk=mid).update(created_at=timezone.now() - timedelta(minutes=16))
    assert alice_client.patch(url(thread, mid), {"body": "late"}).status_code == 403


def test_delete_is_soft_and_only_by_sender(alice, bob, thread, alice_client, bob_client):
    offer = OfferFactory(user=alice)
    mid = alice_client.post(url(thread), {"body": "secret", "attachments": [{"type": "offer", "id": offer.pk}]}).data[
        "id"
    ]
    assert bob_client.delete(url(thread, mid)).status_code == 403
    assert alice_client.delete(url(thread, mid)).status_code == 204
    row = Message.objects.get(pk=mid)
    assert row.body == "" and row.body_html == "" and row.attachments == [] and row.deleted_at is not None
    for client in (alice_client, bob_client):
        shown = client.get(url(thread)).data["results"][0]
        assert shown["id"] == mid and shown["body"] == "" and shown["is_deleted"] is True
    assert recipients("message.deleted") == sorted([alice.pk, bob.pk])
    assert events_of("message.deleted")[0].data["message"]["body"] == ""
    # Deleting again is a no-op; editing a deleted message is refused.
    assert alice_client.delete(url(thread, mid)).status_code == 204
    assert len(events_of("message.deleted")) == 2
    r = alice_client.patch(url(thread, mid), {"body": "resurrect"})
    assert r.status_code == 409 and r.data["code"] == "message_deleted"


def test_attachments_the_sender_may_see(alice, bob, thread, alice_client):
    public_offer = OfferFactory(user=bob, status="active")
    own_draft = OfferFactory(user=alice, status="draft")
    ask = AskFactory(user=bob)
    connection = Connection.objects.create(
        initiator=alice, responder=bob, connection_type=ConnectionType.DIRECT, initial_message="hi"
    )
    attachments = [
        {"type": "offer", "id": public_offer.pk},
        {"type": "offer", "id": own_draft.pk},
        {"type": "ask", "id": ask.pk},
        {"type": "connection", "id": connection.pk},
    ]
    r = alice_client.post(url(thread), {"body": "see these", "attachments": attachments})
    assert r.status_code == 201, r.content
    assert r.data["attachments"] == attachments
    assert events_of("message.created")[0].data["message"]["attachments"] == attachments


def test_attachments_the_sender_may_not_see_are_400(alice, bob, thread, alice_client):
    carol, dave = UserFactory(), UserFactory()
    others_draft = OfferFactory(user=carol, status="draft")
    archived_ask = AskFactory(user=carol, is_archived=True)
    foreign_connection = Connection.objects.create(
        initiator=carol, responder=dave, connection_type=ConnectionType.DIRECT, initial_message="hi"
    )
    bad = [
        [{"type": "offer", "id": others_draft.pk}],
        [{"type": "ask", "id": archived_ask.pk}],
        [{"type": "connection", "id": foreign_connection.pk}],
        [{"type": "offer", "id": 987654}],
        [{"type": "user", "id": carol.pk}],
        [{"type": "offer"}],
        [{"type": "offer", "id": "abc"}],
        "not a list",
        [{"type": "offer", "id": others_draft.pk}] * 6,
    ]
    for attachments in bad:
        r = alice_client.post(url(thread), {"body": "look", "attachments": attachments})
        assert r.status_code == 400, (attachments, r.content)
        assert "attachments" in r.data["fields"], r.data
    assert Message.objects.count() == 0


def test_cursor_pagination_newest_first_and_stable_while_messages_arrive(alice, bob, thread, alice_client):
    sent = [message_send(thread=thread, sender=alice if i % 2 else bob, body=f"m{i}").pk for i in range(7)]
    page1 = alice_client.get(url(thread), {"page_size": 3}).data
    assert [m["id"] for m in page1["results"]] == sent[::-1][:3]
    # New messages arrive between page fetches: older pages neither repeat nor skip anything.
    for i in range(4):
        message_send(thread=thread, sender=bob, body=f"late{i}")
    page2 = alice_client.get(page1["next"]).data
    assert [m["id"] for m in page2["results"]] == sent[::-1][3:6]
    page3 = alice_client.get(page2["next"]).data
    assert [m["id"] for m in page3["results"]] == sent[::-1][6:]
    assert page3["next"] is None
    # And the top of the list shows the newcomers.
    assert [m["body"] for m in alice_client.get(url(thread), {"page_size": 2}).data["results"]] == ["late3", "late2"]


@pytest.mark.parametrize(
    "cursor",
    [
        "cD1hYmM=",  # base64 of p=abc: the forged cursor that answered 500
        base64.b64encode(b"p=-5").decode(),
        base64.b64encode(b"p=99999999999999999999999").decode(),
        base64.b64encode(b"p=\xd9\xa3").decode(),  # a non-ASCII digit
        base64.b64encode(b"o=abc").decode(),
        "not base64!",
        base64.b64encode(b"r=x").decode(),
    ],
)
def test_a_forged_cursor_is_a_400_naming_it(thread, alice_client, cursor):
    r = alice_client.get(url(thread), {"cursor": cursor})
    assert r.status_code == 400, r.content
    assert r.data["code"] == "invalid_cursor" and "cursor" in r.data["fields"]


def test_message_list_query_count_is_constant(alice, bob, thread, alice_client, django_assert_max_num_queries):
    for i in range(30):
        message_send(thread=thread, sender=bob, body=f"m{i}")
    with django_assert_max_num_queries(4):
        assert len(alice_client.get(url(thread)).data["results"]) == 30
