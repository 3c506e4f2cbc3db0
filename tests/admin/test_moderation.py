"""Hiding a message: from the changelist (an action with a reason) or its change page; the
participants then get a placeholder through the REST API and `message.updated` on their stream;
an audit row records it; only a moderator (`messaging.moderate_message`) may; unhide restores."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import Forbidden
from messaging import services
from messaging.models import ModerationAction
from notifications.models import Notification
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET_BODY = "Buy cheap followers at spam.example"


@pytest.fixture
def pair():
    a, b = UserFactory(), UserFactory()
    thread, _ = services.thread_get_or_create(user_a=a, user_b=b)
    message = services.message_send(sender=a, thread=thread, body=SECRET_BODY)
    return a, b, thread, message


def _api_message(user, thread, message) -> dict:
    response = client_for(user).get(f"/api/v1/threads/{thread.pk}/messages/")
    assert response.status_code == 200
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    return next(row for row in rows if row["id"] == message.pk)


def _thread_preview(user, thread) -> str:
    response = client_for(user).get(f"/api/v1/threads/{thread.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_changelist_action_hides_with_an_audit_row(client, moderator, pair):
    a, b, thread, message = pair
    # b had no open socket: a "new message" notification previews the body.
    assert SECRET_BODY in Notification.objects.get(recipient=b, kind="new_message").body
    client.force_login(moderator)
    response = client.post(
        reverse("admin:messaging_message_changelist"),
        {"action": "hide_messages", "_selected_action": [message.pk], "reason": "reported as spam", "index": 0},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.hidden_at is not None and message.hidden_by == moderator
    assert message.body == services.HIDDEN_BODY and message.hidden_content["body"] == SECRET_BODY
    audit = ModerationAction.objects.get(message=message)
    assert (audit.action, audit.moderator, audit.reason) == ("hide", moderator, "reported as spam")
    # Both participants see the placeholder, never the body, in the thread and its preview.
    for user in (a, b):
        row = _api_message(user, thread, message)
        assert row["body"] == services.HIDDEN_BODY and row["attachments"] == []
        assert SECRET_BODY not in row["body_html"]
        assert SECRET_BODY not in _thread_preview(user, thread)
    # The notification's preview is gone too.
    assert Notification.objects.get(recipient=b, kind="new_message").body == ""
    assert SECRET_BODY not in client_for(b).get("/api/v1/notifications/").content.decode()
    # Live sessions learn it: `message.updated` in both streams, with the placeholder.
    for user in (a, b):
        event = Event.objects.filter(user=user, type="message.updated").latest("seq")
        assert event.data["message"]["id"] == message.pk
        assert event.data["message"]["body"] == services.HIDDEN_BODY
    # The moderator still reads what was written (the change page shows the kept content).
    page = client.get(reverse("admin:messaging_message_change", args=[message.pk])).content.decode()
    assert SECRET_BODY in page and "Unhide this message" in page


def test_the_change_page_hides_and_unhides(client, moderator, pair):
    a, _, thread, message = pair
    client.force_login(moderator)
    change = reverse("admin:messaging_message_change", args=[message.pk])
    assert "Hide this message" in client.get(change).content.decode()
    hide = reverse("admin:messaging_message_hide", args=[message.pk])
    confirm = client.get(hide)
    assert confirm.status_code == 200 and SECRET_BODY in confirm.content.decode()
    assert client.post(hide, {"reason": "abuse"})["Location"] == change
    assert _api_message(a, thread, message)["body"] == services.HIDDEN_BODY
    # The sender cannot edit it back while it is hidden.
    edit = client_for(a).patch(
        f"/api/v1/threads/{thread.pk}/messages/{message.pk}/", {"body": "innocent"}, format="json"
    )
    assert edit.status_code == 409 and edit.json()["code"] == "message_hidden"

    unhide = reverse("admin:messaging_message_unhide", args=[message.pk])
    assert client.post(unhide, {"reason": "appeal accepted"}).status_code == 302
    row = _api_message(a, thread, message)
    assert row["body"] == SECRET_BODY
    message.refresh_from_db()
    assert message.hidden_at is None and message.hidden_content is None
    assert list(ModerationAction.objects.filter(message=message).values_list("action", "reason")) == [
        ("unhide", "appeal accepted"),
        ("hide", "abuse"),
    ]
    assert Event.objects.filter(user=a, type="message.updated").count() == 2


def test_hiding_twice_writes_one_audit_row(moderator, pair):
    *_, message = pair
    services.message_hide(message_id=message.pk, moderator=moderator)
    services.message_hide(message_id=message.pk, moderator=moderator)
    assert ModerationAction.objects.filter(message=message).count() == 1


def test_staff_without_the_permission_cannot_hide(client, pair):
    *_, message = pair
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="messaging", codename="view_message"))
    client.force_login(staff)
    changelist = reverse("admin:messaging_message_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and "hide_messages" not in page.content.decode()
    response = client.post(changelist, {"action": "hide_messages", "_selected_action": [message.pk], "index": 0})
    assert response.status_code in (200, 302)
    assert client.post(reverse("admin:messaging_message_hide", args=[message.pk])).status_code == 403
    change = client.get(reverse("admin:messaging_message_change", args=[message.pk]))
    assert change.status_code == 200 and "Hide this message" not in change.content.decode()
    message.refresh_from_db()
    assert message.hidden_at is None and message.body == SECRET_BODY
    assert not ModerationAction.objects.exists()
    with pytest.raises(Forbidden):
        services.message_hide(message_id=message.pk, moderator=staff)


def test_a_deleted_message_is_not_hidden_and_a_hidden_one_can_still_be_deleted(moderator, pair):
    a, _, thread, message = pair
    services.message_hide(message_id=message.pk, moderator=moderator)
    services.message_delete(thread=thread, user=a, message_id=message.pk)
    message.refresh_from_db()
    assert message.body == "" and message.hidden_content is None  # the sender's delete wins
    services.message_unhide(message_id=message.pk, moderator=moderator)
    message.refresh_from_db()
    assert message.body == ""


def test_admin_login_is_throttled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/hour"},
    }
    UserFactory(username="mod", is_staff=True)
    client = Client()
    codes = [client.post("/admin/login/", {"username": "mod", "password": "wrong"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    last = client.post("/admin/login/?next=/admin/messaging/message/", {"username": "mod", "password": "wrong"})
    assert last.status_code == 429 and int(last["Retry-After"]) >= 1
