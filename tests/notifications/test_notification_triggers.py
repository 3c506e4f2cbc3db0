"""Who gets which notification, with which words (seed 001 §7.2 / seed 002), and its live event."""

from __future__ import annotations

import pytest
from django.db import transaction

from messaging.models import Thread
from messaging.services import message_send, thread_mark_read
from notifications.models import Notification
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory
from tests.fakes.sms import (  # noqa: F401
    _no_one_online,  # noqa: F401  (fixture)
    eager_celery,
    go_offline,
    go_online,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
SITE = "http://testserver.example"


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = SITE


def _only(recipient) -> Notification:
    notes = list(Notification.objects.filter(recipient=recipient))
    assert len(notes) == 1, [(n.kind, n.title) for n in notes]
    return notes[0]


def _connect(initiator, **data):
    resp = client_for(initiator).post("/api/v1/connections/", {"initial_message": "Hi there, keen to help!", **data})
    assert resp.status_code == 201, resp.data
    return resp.data


def test_offer_connection_notifies_the_responder_with_the_seed_text_and_a_live_event():
    initiator = UserFactory(username="sarah")
    offer = OfferFactory(title="Logo design review")
    body = _connect(initiator, offer=offer.pk)

    note = _only(offer.user)
    assert note.kind == "connection_request"
    assert note.actor_id == initiator.pk and note.connection_id == body["id"] and note.thread_id == body["dm_thread"]
    assert note.title == "@sarah wants to connect about your Logo design review"
    assert note.body == "Hi there, keen to help!"
    assert note.url == f"{SITE}/connections/{body['id']}"
    assert note.sms_text == (
        f"@sarah wants to connect about your Logo design review. Reply in app: {SITE}/connections/{body['id']}"
    )
    # The initiator is told nothing, and the first message does not notify a second time.
    assert not Notification.objects.filter(recipient=initiator).exists()
    events = list(Event.objects.filter(type="notification.created"))
    assert [e.user_id for e in events] == [offer.user_id]
    data = events[0].data["notification"]
    assert set(data) == {"id", "kind", "title", "body", "url", "created_at"}
    assert data["id"] == note.pk and data["kind"] == "connection_request" and data["title"] == note.title
    assert data["url"] == note.url and data["body"] == note.body


def test_direct_connection_says_connect_with_you():
    initiator, target = UserFactory(username="dan"), UserFactory()
    body = _connect(initiator, responder=target.pk, connection_type="direct")
    note = _only(target)
    assert note.kind == "connection_request"
    assert note.sms_text == f"@dan wants to connect with you. Reply in app: {SITE}/connections/{body['id']}"


def test_ask_response_notifies_the_ask_owner_without_naming_the_helper_in_the_sms():
    helper = UserFactory(username="helper")
    ask = AskFactory(title="Beta testers for my app")
    body = _connect(helper, ask=ask.pk)
    note = _only(ask.user)
    assert note.kind == "ask_response" and note.actor_id == helper.pk
    assert note.title == "Someone offered to help with: Beta testers for my app"
    assert note.sms_text == (
        f"Someone offered to help with your ask: Beta testers for my app. See it: {SITE}/connections/{body['id']}"
    )
    assert not Notification.objects.filter(recipient=helper).exists()


def test_accepting_notifies_the_initiator_only():
    initiator, offer = UserFactory(), OfferFactory(user=UserFactory(username="maya"))
    body = _connect(initiator, offer=offer.pk)
    Notification.objects.all().delete()
    resp = client_for(offer.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "accepted"})
    assert resp.status_code == 200
    note = _only(initiator)
    assert note.kind == "connection_accepted" and note.actor_id == offer.user_id
    assert note.title == "@maya accepted! Start chatting"
    assert note.sms_text == f"@maya accepted! Start chatting: {SITE}/threads/{body['dm_thread']}"
    assert not Notification.objects.filter(recipient=offer.user).exists()
    # Moving on to in_progress notifies nobody.
    client_for(initiator).patch(f"/api/v1/connections/{body['id']}/", {"status": "in_progress"})
    assert Notification.objects.count() == 1


def test_completion_by_the_one_helped_tells_the_helper_the_points_earned():
    helped = UserFactory(username="sarah")
    offer = OfferFactory(user=UserFactory(username="coach"))
    body = _connect(helped, offer=offer.pk)
    client_for(offer.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "accepted"})
    Notification.objects.all().delete()
    resp = client_for(helped).patch(f"/api/v1/connections/{body['id']}/", {"status": "completed"})
    assert resp.status_code == 200
    note = _only(offer.user)  # the offer's owner gave the help
    assert note.kind == "help_completed" and note.actor_id == helped.pk
    assert note.sms_text == "@sarah marked your help as complete. You earned +25 points!"
    assert note.data["points"] == 25
    assert not Notification.objects.filter(recipient=helped).exists()


def test_completion_of_an_ask_response_notifies_the_one_who_answered_the_ask():
    helper, ask = UserFactory(username="helper"), AskFactory(user=UserFactory(username="asker"))
    body = _connect(helper, ask=ask.pk)
    client_for(ask.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "accepted"})
    Notification.objects.all().delete()
    client_for(ask.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "completed"})
    note = _only(helper)
    assert note.kind == "help_completed"
    assert note.sms_text == "@asker marked your help as complete. You earned +25 points!"


def test_a_helper_completing_it_themselves_gets_no_notification():
    helped, offer = UserFactory(), OfferFactory()
    body = _connect(helped, offer=offer.pk)
    client_for(offer.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "accepted"})
    Notification.objects.all().delete()
    client_for(offer.user).patch(f"/api/v1/connections/{body['id']}/", {"status": "completed"})
    assert not Notification.objects.exists()


def test_new_follower_notifies_the_followed_user():
    follower, followed = UserFactory(username="fan"), UserFactory()
    assert client_for(follower).post("/api/v1/follows/", {"following": followed.pk}).status_code == 201
    note = _only(followed)
    assert note.kind == "new_follower" and note.actor_id == follower.pk
    assert note.title == "@fan started following you"
    assert not Notification.objects.filter(recipient=follower).exists()


def _thread(a, b) -> Thread:
    from messaging.services import thread_get_or_create

    return thread_get_or_create(user_a=a, user_b=b)[0]


def test_messages_to_an_offline_user_make_one_notification_per_thread_until_read():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    thread = _thread(alice, bob)
    first = message_send(thread=thread, sender=alice, body="Are you there?")
    message_send(thread=thread, sender=alice, body="Second")
    message_send(thread=thread, sender=alice, body="Third")
    note = _only(bob)
    assert note.kind == "new_message" and note.thread_id == thread.pk
    assert note.title == "New message from @alice" and note.body == "Are you there?"
    assert note.sms_text == f"@alice sent you a message. Reply in app: {SITE}/threads/{thread.pk}"
    assert Event.objects.filter(type="notification.created").count() == 1
    # Reading part of the thread keeps the notification; reading to the end clears it.
    thread_mark_read(thread=thread, user=bob, message_id=first.pk)
    assert Notification.objects.get(pk=note.pk).read_at is None
    last = Thread.objects.get(pk=thread.pk).last_message_id
    thread_mark_read(thread=thread, user=bob, message_id=last)
    assert Notification.objects.get(pk=note.pk).read_at is not None
    message_send(thread=thread, sender=alice, body="New news")
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1
    assert Notification.objects.filter(recipient=bob).count() == 2
    # Another thread of bob's notifies on its own.
    carol = UserFactory(username="carol")
    message_send(thread=_thread(carol, bob), sender=carol, body="Hi bob")
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 2


def test_messages_to_an_online_user_make_no_notification():
    alice, bob = UserFactory(), UserFactory()
    go_online(bob)
    message_send(thread=_thread(alice, bob), sender=alice, body="Hello")
    assert not Notification.objects.exists()
    go_offline(bob)
    message_send(thread=_thread(alice, bob), sender=alice, body="Hello again")
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_a_rolled_back_change_leaves_no_notification_and_no_event():
    follower, followed = UserFactory(), UserFactory()
    from collective.services.follows import follow_create

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            follow_create(follower=follower, following=followed)
            raise RuntimeError("roll back")
    assert not Notification.objects.exists()
    assert not Event.objects.filter(type="notification.created").exists()


def test_an_unlock_threshold_notifies_the_user(settings):
    from collective.models import PointsAction
    from collective.services.points import points_award

    user = UserFactory()
    offers = [OfferFactory(user=user) for _ in range(5)]
    # 20 (first offer) + 5 x 10 (add offer) = 70 lifetime points: crosses the 50-point unlock.
    points_award(user=user, action=PointsAction.FIRST_OFFER)
    for offer in offers:
        points_award(user=user, action=PointsAction.ADD_OFFER, obj=offer, context={"title": offer.title})
    notes = list(Notification.objects.filter(recipient=user, kind="points_unlock"))
    assert [n.title for n in notes] == ["Unlocked: Priority placement in Discover!"]
    assert Event.objects.filter(user_id=user.pk, type="notification.created").count() == 1
