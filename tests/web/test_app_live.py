"""The web app live, in Chromium, on both topologies (`app_server`): the bell counts up without a
reload, a points-earning action shows the seed 001 §8.3 toast and updates the header, two tabs of one
user both get an event, a socket closed after the session ended (4401) lands on the login page, and a
`resync_required` makes the page refetch from REST (issue 13, "Done when")."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import unquote

from tests.web.conftest import api, open_app, register


def follow(base: str, follower, followed) -> None:
    status, body = api(base, "POST", "/api/v1/follows/", {"following": followed.id}, token=follower.token)
    assert status == 201, body


def bell(page) -> str:
    badge = page.locator("#bell-count")
    return "" if badge.get_attribute("hidden") is not None else badge.inner_text()


def wait_bell(page, text: str, timeout: float = 15_000) -> None:
    page.wait_for_function(
        "(t) => { const b = document.getElementById('bell-count'); return b && !b.hidden && b.textContent === t; }",
        arg=text,
        timeout=timeout,
    )


def test_the_bell_counts_up_live(app_server, new_context):
    b = register(app_server.base)
    page = open_app(new_context(), app_server.base, "/home", b)
    page.wait_for_selector("#home-unread-notifications")
    assert bell(page) == ""
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    follow(app_server.other, register(app_server.base), b)  # prod: written through the other process
    wait_bell(page, "1")
    follow(app_server.base, register(app_server.base), b)
    wait_bell(page, "2")
    assert page.locator("#bell").get_attribute("aria-label") == "Notifications, 2 unread"
    assert page.locator("#home-unread-notifications").inner_text() == "2"  # the dashboard counts live too
    assert page.evaluate("window.__sameDocument === true")  # no reload


def test_creating_an_offer_in_the_form_shows_the_points_toast(app_server, new_context):
    a = register(app_server.base)
    page = open_app(new_context(), app_server.base, "/offers/new", a)
    assert page.locator("#points-pill").inner_text() == "0 pts"
    page.get_by_label("Title").fill("Landing page feedback")
    page.get_by_label("Description").fill("I look at your landing page and tell you what I would change.")
    page.get_by_label("Type").select_option("feedback")
    page.get_by_role("button", name="Publish offer").click()
    page.wait_for_url(re.compile(r".*/offers/\d+$"))
    # add_offer (+10) and first_offer (+20): two toasts, the second with the total (economy.md).
    toasts = page.locator(".toast-points")
    toasts.filter(has_text="🎉 +20 points!").wait_for()
    texts = toasts.all_inner_texts()
    assert any("🎉 +10 points!" in t and "You added an offer: Landing page feedback" in t for t in texts), texts
    assert any("🎉 +20 points!" in t and "Total: 30 points" in t for t in texts), texts
    page.wait_for_function("() => document.getElementById('points-pill').textContent === '30 pts'")
    status, me = api(app_server.base, "GET", "/api/v1/me/", token=a.token)
    assert me["total_points"] == 30


def test_two_tabs_of_one_user_both_get_the_event(app_server, new_context):
    b = register(app_server.base)
    context = new_context()
    first = open_app(context, app_server.base, "/home", b)
    # The second tab on the other server process (prod); cookies are per host, so it is signed in too.
    second = open_app(context, app_server.other, "/discover/people/")
    follow(app_server.base, register(app_server.base), b)
    wait_bell(first, "1")
    wait_bell(second, "1")
    assert first.evaluate("window.__sockets.length") >= 1 and second.evaluate("window.__sockets.length") >= 1


def test_a_socket_refused_after_logout_lands_on_the_login_page(app_server, new_context):
    b = register(app_server.base)
    context = new_context()
    page = open_app(context, app_server.base, "/points", b)
    page.wait_for_selector("#points-total")
    # Log the session out from another request with the same cookies (another tab would do the same).
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    r = context.request.delete(
        app_server.base + "/api/v1/auth/session/", headers={"X-CSRFToken": csrf, "Referer": app_server.base + "/"}
    )
    assert r.status == 204, r.text()
    page.evaluate("window.__sockets.at(-1).close()")  # the client reconnects: no session → 4401 / refused
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    assert unquote(page.url.split("next=", 1)[1]) == "/points"
    page.get_by_label("Username").wait_for()
    assert "Log in" in page.locator("#topbar").inner_text()
    # Logging in again returns to the page.
    page.get_by_label("Username").fill(b.username)
    page.get_by_label("Password").fill(b.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(app_server.base + "/points")


def test_resync_required_refetches_the_page(app_server, new_context):
    b = register(app_server.base)
    context = new_context()
    page = open_app(context, app_server.base, "/home", b)
    # Leave with a cursor the stream cannot resume from (realtime/consumers.py `_resume`: an id past
    # the head is not of this stream, so the server answers resync_required), and close the tab.
    page.evaluate("(id) => localStorage.setItem(`collective.realtime.${id}.last_event_id`, '999999999')", b.id)
    page.close()
    title = "Made while away " + uuid.uuid4().hex[:6]
    status, body = api(
        app_server.base,
        "POST",
        "/api/v1/asks/",
        {"title": title, "description": "created while the tab was closed", "ask_type": "advice"},
        token=b.token,
    )
    assert status == 201, body
    timeline: list[tuple[str, float]] = []
    page = context.new_page()

    def on_socket(ws):
        ws.on("framereceived", lambda f: timeline.append(("frame:" + str(f)[:200], time.monotonic())))

    page.on("websocket", on_socket)
    page.on("request", lambda r: timeline.append(("request:" + r.url, time.monotonic())))
    page.goto(app_server.base + "/home")
    page.get_by_text("You were away for a while").wait_for()
    resync_at = next(t for kind, t in timeline if kind.startswith("frame:") and "resync_required" in kind)

    def refetched() -> list[str]:
        return [k for k, t in list(timeline) if t > resync_at and k.startswith("request:") and "/api/v1/home/" in k]

    # The toast shows at once; the refetch follows GET me/ (main.js: refreshMe, then render), so it
    # may not have happened yet: wait for it. Playwright's sync API records events only while the
    # test is inside one of its calls, so the wait is page.wait_for_timeout, never time.sleep.
    deadline = time.monotonic() + 15
    while not refetched() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert refetched(), timeline
    page.get_by_text(title).wait_for()
