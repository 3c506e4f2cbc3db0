"""Tracked SMS links (notifications/links.py): the SMS carries `/n/<signed token>` instead of the
page's URL; opening it records the first open and redirects to the page, on this site only."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from notifications import texts
from notifications.links import (
    FALLBACK_PATH,
    SALT,
    link_token,
    notification_id_from_token,
    safe_target,
    tracked_sms_text,
)
from notifications.models import Notification, SmsMessage
from notifications.services import notification_create
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, eager_celery, phone_user, sms_outbox  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
SITE = "https://collective.example"
TOKEN = r"[0-9A-Za-z]{1,11}\.[\w-]{16}"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _texted(django_capture_on_commit_callbacks, words=None) -> Notification:
    words = words or texts.connection_request(actor="ada", subject="Logo review", message="hi", connection_id=7)
    with django_capture_on_commit_callbacks(execute=True):
        return notification_create(recipient=phone_user(), actor=UserFactory(), kind="connection_request", texts=words)


def test_the_sms_carries_the_tracked_link_in_place_of_the_page(sms_outbox, django_capture_on_commit_callbacks):
    note = _texted(django_capture_on_commit_callbacks)
    [sent] = sms_outbox
    prefix = "@ada wants to connect about your Logo review. Reply in app: "
    assert note.sms_text == f"{prefix}{SITE}/connections/7"  # the notification keeps the page
    assert re.fullmatch(re.escape(f"{prefix}{SITE}/n/") + TOKEN, sent["body"])
    assert SmsMessage.objects.get().body == sent["body"] == tracked_sms_text(note)
    token = sent["body"].rsplit("/n/", 1)[1]
    assert notification_id_from_token(token) == note.pk
    # Short: the tracked link is at most 24 characters longer than the site's root.
    assert len(f"/n/{token}") <= 3 + 11 + 1 + 16
    assert str(note.pk) not in token.split(".")[1] or len(token) > 16  # no id in the clear beyond base 62


def test_a_text_without_a_link_is_sent_as_it_is(sms_outbox, django_capture_on_commit_callbacks):
    note = _texted(django_capture_on_commit_callbacks, texts.help_completed(actor="ada", points=25, connection_id=9))
    assert (
        [m["body"] for m in sms_outbox]
        == [note.sms_text]
        == ["@ada marked your help as complete. You earned +25 points!"]
    )


def test_a_text_the_link_would_push_past_the_limit_keeps_its_link():
    note = Notification(pk=5, url=f"{SITE}/u/x", sms_text="x" * 470 + f" {SITE}/u/x"[:9])
    assert tracked_sms_text(note) == note.sms_text  # the url is not in it: unchanged
    note = Notification(pk=5, url="/u/x", sms_text="y" * 470 + " /u/x")
    assert len(note.sms_text) == 475 and tracked_sms_text(note) == note.sms_text  # 475 + 20 > 480
    note = Notification(pk=5, url="/u/x", sms_text="short /u/x")
    assert re.fullmatch(f"short {re.escape(SITE)}/n/{TOKEN}", tracked_sms_text(note))


def test_opening_records_the_first_open_only_and_redirects(client, django_capture_on_commit_callbacks):
    note = _texted(django_capture_on_commit_callbacks)
    url = f"/n/{link_token(note.pk)}"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/connections/7"
    assert response["Cache-Control"] == "no-store"
    note.refresh_from_db()
    first = note.sms_opened_at
    assert first is not None and note.read_at is None  # opening is not reading
    assert client.get(url).status_code == 302
    note.refresh_from_db()
    assert note.sms_opened_at == first


def test_a_head_probe_redirects_without_recording(client, django_capture_on_commit_callbacks):
    note = _texted(django_capture_on_commit_callbacks)
    response = client.head(f"/n/{link_token(note.pk)}")
    assert response.status_code == 302 and response["Location"] == "/connections/7"
    note.refresh_from_db()
    assert note.sms_opened_at is None
    assert client.post(f"/n/{link_token(note.pk)}").status_code == 405


def test_a_bad_signature_is_a_404_and_records_nothing(client, django_capture_on_commit_callbacks):
    note = _texted(django_capture_on_commit_callbacks)
    token = link_token(note.pk)
    b62, signature = token.split(".")
    other = link_token(note.pk + 1).split(".")[1]
    forged = [
        f"{b62}.{other}",  # another id's signature
        f"{b62}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        b62,
        f"{note.pk}",
        signing.Signer(salt="another-salt", sep=".").sign(b62),  # the right id, another salt
        signing.Signer(salt=SALT, sep=".").sign(b62),  # the full signature is not the short one
        "",
    ]
    for bad in forged:
        response = client.get(f"/n/{bad}")
        assert response.status_code == 404, bad
    note.refresh_from_db()
    assert note.sms_opened_at is None


def test_a_link_whose_notification_is_gone_lands_on_the_feed(client):
    response = client.get(f"/n/{link_token(987654)}")
    assert response.status_code == 302 and response["Location"] == FALLBACK_PATH


@pytest.mark.parametrize(
    "stored, target",
    [
        (f"{SITE}/threads/3", "/threads/3"),
        (f"{SITE}/u/ada.lovelace?tab=offers", "/u/ada.lovelace?tab=offers"),
        ("https://evil.example/phish", "/phish"),  # another host: only its path, on this site
        ("//evil.example/phish", "/phish"),
        (f"{SITE}//evil.example", FALLBACK_PATH),  # a path that a browser would take for a host
        ("/\\evil.example", FALLBACK_PATH),
        ("javascript:alert(1)", FALLBACK_PATH),
        ("", FALLBACK_PATH),
    ],
)
def test_the_redirect_stays_on_this_site(stored, target, client, django_capture_on_commit_callbacks):
    assert safe_target(stored) == target
    note = _texted(django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=note.pk).update(url=stored)
    response = client.get(f"/n/{link_token(note.pk)}")
    assert response.status_code == 302 and response["Location"] == target
