"""Every link a notification or SMS text carries (notifications/texts.py) is a page of the web app
(web/urls.py), and a page behind login: contract §5."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from notifications import texts
from web.views import app_page

CASES = [
    texts.connection_request(actor="ada", subject="Prompt clinic", message="hi", connection_id=12),
    texts.ask_response(ask_title="Beta testers", message="me!", connection_id=13),
    texts.connection_accepted(actor="ada", thread_id=7, connection_id=14),
    texts.connection_accepted(actor="ada", thread_id=None, connection_id=15),
    texts.help_completed(actor="ada", points=25, connection_id=16),
    texts.new_follower(actor="ada.lovelace"),
    texts.new_message(actor="ada", preview="hello", thread_id=8),
    texts.points_unlock(title="Unlocked: Profile badge!"),
]


@pytest.mark.parametrize("text", CASES, ids=lambda t: t.title[:30])
def test_the_link_is_an_app_page_behind_login(text, client, db):
    path = urlsplit(text.url).path
    # An SMS that carries a link carries this one (seed 001 §7.2: "help completed" has none).
    assert "http" not in text.sms.replace(text.url, "")
    match = resolve(path)
    assert match.func is app_page and match.kwargs["public"] is False, path
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/login?next={path}"
