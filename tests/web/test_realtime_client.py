"""The realtime client library in Chromium against a real server (see conftest.py)."""

from __future__ import annotations

import sqlite3
import time
import urllib.request

from tests.procs import wait_for
from tests.web.conftest import (
    MAX_SOCKETS,
    assert_dense,
    bodies,
    harness,
    log_of,
    open_thread,
    register,
    send_message,
    start_client,
    wait_bodies,
    wait_open,
)

FAST = {"backoff": {"initial": 200, "max": 1600, "factor": 2, "jitter": 0.5}}


def pair(server):
    a, b = register(server.base), register(server.base)
    return a, b, open_thread(server.base, a, b)


def test_ticket_auth_connects_and_receives_a_durable_event_live(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, {"token": b.token, **FAST})
    wait_open(page)
    opened = log_of(page, "open")[0]
    assert opened["user"] == {"id": b.id, "username": b.username}
    url = page.evaluate("window.__sockets[0].requestedUrl")
    assert "ticket=" in url

    send_message(server.base, a, thread, "hello b")
    assert wait_bodies(page, ["hello b"]) == ["hello b"]
    event = [e for e in page.evaluate("window.events") if e["type"] == "message.created"][0]
    assert event["id"] == page.evaluate("window.rt.lastEventId")
    # The position is kept for the user in storage shared by the tabs.
    assert page.evaluate(f"localStorage.getItem('collective.realtime.{b.id}.last_event_id')") == str(event["id"])


def test_session_cookie_auth_and_a_ticket_fetched_with_the_session(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    status = page.evaluate(
        """async ([username, password]) => {
          const csrf = (await (await fetch("/api/v1/auth/csrf/")).json()).csrf_token;
          const res = await fetch("/api/v1/auth/session/", {
            method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({username, password})});
          return res.status;
        }""",
        [b.username, b.password],
    )
    assert status == 200
    start_client(page, FAST)  # no token: the session cookie, on the socket itself
    wait_open(page)
    assert log_of(page, "open")[0]["user"]["id"] == b.id
    assert "ticket=" not in page.evaluate("window.__sockets[0].requestedUrl")
    send_message(server.base, a, thread, "over the cookie")
    assert wait_bodies(page, ["over the cookie"]) == ["over the cookie"]

    # auth: "ticket" without a token fetches the ticket with the session cookie and CSRF token.
    second = context.new_page()
    second.goto(server.base + "/web/test-harness/")
    second.wait_for_function("() => !!window.realtime")
    second.evaluate("""() => {
        window.rt2 = new window.realtime.RealtimeClient({ auth: "ticket" });
        window.rt2.connect();
    }""")
    second.wait_for_function("() => window.rt2.state === 'open'")
    assert second.evaluate("window.rt2.userId") == b.id


def test_a_dropped_socket_reconnects_with_backoff_and_missed_events_arrive_once_in_order(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, {"token": b.token, **FAST})
    wait_open(page)
    send_message(server.base, a, thread, "m1")
    wait_bodies(page, ["m1"])

    # The network goes away: the open socket drops and new ones fail for a while.
    page.evaluate("window.__refuse = true; window.__sockets[0].close()")
    wait_for(lambda: len(log_of(page, "close")) >= 3, 15, "three failed attempts")
    for text in ("m2", "m3", "m4"):
        send_message(server.base, a, thread, text)
    page.evaluate("window.__refuse = false")
    wait_for(lambda: len(log_of(page, "open")) == 2, 15, "the reconnect")
    assert wait_bodies(page, ["m1", "m2", "m3", "m4"]) == ["m1", "m2", "m3", "m4"]
    assert_dense(page)

    closes = log_of(page, "close")
    delays = [c["retryIn"] for c in closes]
    assert all(c["action"] == "retry" for c in closes)
    # Jittered exponential backoff: attempt n waits between half and all of min(1600, 200 * 2**n).
    for n, delay in enumerate(delays):
        ceiling = min(1600, 200 * 2**n)
        assert ceiling / 2 - 1 <= delay <= ceiling, (n, delays)
    # The reconnect resumed from the last id seen, on the URL (race-free).
    last_url = page.evaluate("window.__sockets[window.__sockets.length - 1].requestedUrl")
    assert "last_event_id=" in last_url
    assert log_of(page, "resumed"), page.evaluate("window.log")


def test_server_restart_missed_events_arrive_once_in_order(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, {"token": b.token, **FAST})
    wait_open(page)
    send_message(server.base, a, thread, "before")
    wait_bodies(page, ["before"])

    server.stop()  # the server process goes away, with every socket it held
    wait_for(lambda: len(log_of(page, "close")) >= 2, 15, "the drop and a failed attempt")
    peer = f"http://127.0.0.1:{server.peer_port}"  # the same database, another process
    for text in ("while-down-1", "while-down-2"):
        send_message(peer, a, thread, text)
    server.start()
    wait_for(lambda: len(log_of(page, "open")) == 2, 20, "the reconnect")
    got = wait_bodies(page, ["before", "while-down-1", "while-down-2"])
    assert got == ["before", "while-down-1", "while-down-2"]
    send_message(server.base, a, thread, "after")
    assert wait_bodies(page, got + ["after"]) == got + ["after"]
    assert_dense(page)


def test_two_tabs_share_last_event_id(server, context):
    a, b, thread = pair(server)
    tab1 = harness(context, server)
    start_client(tab1, {"token": b.token, **FAST})
    wait_open(tab1)
    for text in ("one", "two"):
        send_message(server.base, a, thread, text)
    wait_bodies(tab1, ["one", "two"])
    seen = tab1.evaluate("window.rt.lastEventId")

    # A second tab of the same browser starts where the browser is: no replay of what tab 1 saw.
    tab2 = harness(context, server)
    start_client(tab2, {"token": b.token, **FAST})
    wait_open(tab2)
    assert f"last_event_id={seen}" in tab2.evaluate("window.__sockets[0].requestedUrl")
    assert tab2.evaluate("window.rt.lastEventId") == seen
    # Tab 1 loses its socket; tab 2 goes on. Tab 1 hears of tab 2's position through the
    # `storage` event, and on reconnecting still gets what it missed itself, once.
    tab1.evaluate("window.__refuse = true; window.__sockets[0].close()")
    wait_for(lambda: log_of(tab1, "close"), 5, "tab 1's drop")
    send_message(server.base, a, thread, "three")
    assert wait_bodies(tab2, ["three"]) == ["three"]
    head = tab2.evaluate("window.rt.lastEventId")
    wait_for(lambda: any(s["lastEventId"] == head for s in log_of(tab1, "sync")), 5, "tab 1 told of tab 2's position")
    assert tab1.evaluate("window.rt.sharedLastEventId") == head
    assert tab1.evaluate("window.rt.lastEventId") == seen
    tab1.evaluate("window.__refuse = false")
    assert wait_bodies(tab1, ["one", "two", "three"]) == ["one", "two", "three"]
    assert_dense(tab1)

    # Tab 1 closes; what happens meanwhile reaches tab 2; a new tab 3 starts from the shared id.
    tab1.evaluate("window.rt.close()")
    tab1.close()
    send_message(server.base, a, thread, "four")
    wait_bodies(tab2, ["three", "four"])
    tab3 = harness(context, server)
    start_client(tab3, {"token": b.token, **FAST})
    wait_open(tab3)
    shared = tab2.evaluate("window.rt.lastEventId")
    assert f"last_event_id={shared}" in tab3.evaluate("window.__sockets[0].requestedUrl")
    time.sleep(0.3)
    assert bodies(tab3) == []


def test_resync_required_is_surfaced_and_live_events_go_on(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, {"token": b.token, **FAST})
    wait_open(page)
    send_message(server.base, a, thread, "seen")
    wait_bodies(page, ["seen"])
    position = page.evaluate("window.rt.lastEventId")

    # Offline while more happens, and the log is pruned past the client's position.
    page.evaluate("window.__refuse = true; window.__sockets[0].close()")
    wait_for(lambda: len(log_of(page, "close")) >= 1, 10, "the drop")
    for text in ("lost-1", "lost-2", "kept"):
        send_message(server.base, a, thread, text)
    with sqlite3.connect(server.db_path, timeout=20) as db:
        db.execute("DELETE FROM realtime_event WHERE user_id = ? AND seq <= ?", (b.id, position + 2))
    page.evaluate("window.__refuse = false")

    wait_for(lambda: log_of(page, "resync_required"), 15, "resync_required")
    resync = log_of(page, "resync_required")[0]
    head = resync["data"]["last_event_id"]
    assert head > position
    assert page.evaluate("window.rt.lastEventId") == head
    assert page.evaluate(f"localStorage.getItem('collective.realtime.{b.id}.last_event_id')") == str(head)
    # Nothing from the hole was delivered as if it were complete; live events go on after it.
    assert bodies(page) == ["seen"]
    send_message(server.base, a, thread, "live again")
    assert wait_bodies(page, ["seen", "live again"]) == ["seen", "live again"]


def test_a_stored_position_the_stream_never_had_is_a_resync(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    page.evaluate(f"""() => {{
        localStorage.setItem('collective.realtime.user', '{b.id}');
        localStorage.setItem('collective.realtime.{b.id}.last_event_id', '999999');
    }}""")
    start_client(page, {"token": b.token, **FAST})
    wait_for(lambda: log_of(page, "resync_required"), 15, "resync_required")
    assert "last_event_id=999999" in page.evaluate("window.__sockets[0].requestedUrl")
    head = log_of(page, "resync_required")[0]["data"]["last_event_id"]
    assert head < 999999
    assert page.evaluate(f"localStorage.getItem('collective.realtime.{b.id}.last_event_id')") == str(head)


def test_4401_gets_a_fresh_ticket_once_and_never_loops(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, FAST, token=b.token, badTickets=1)
    wait_open(page)
    assert page.evaluate("window.ticketCalls") == 2
    closes = log_of(page, "close")
    assert [(c["code"], c["action"], c["retryIn"]) for c in closes] == [(4401, "reauthenticate", 0)]
    send_message(server.base, a, thread, "after reauth")
    assert wait_bodies(page, ["after reauth"]) == ["after reauth"]

    # Tickets that are never accepted: one fresh ticket after the first 4401, then auth_required.
    other = harness(context, server)
    start_client(other, FAST, token=b.token, alwaysBadTickets=True)
    wait_for(lambda: log_of(other, "auth_required"), 10, "auth_required")
    time.sleep(2)
    assert other.evaluate("window.__sockets.length") == 2
    assert other.evaluate("window.ticketCalls") == 2
    assert other.evaluate("window.rt.state") == "unauthenticated"

    # A token the server refuses: no socket at all, auth_required at once.
    third = harness(context, server)
    start_client(third, {"token": "0" * 40, **FAST})
    wait_for(lambda: log_of(third, "auth_required"), 10, "auth_required")
    assert log_of(third, "auth_required")[0]["reason"] == "ticket_refused"
    assert third.evaluate("window.__sockets.length") == 0

    # The session cookie, not logged in: 4401 once, auth_required, no retry.
    anonymous = context.browser.new_context()
    try:
        fourth = harness(anonymous, server)
        start_client(fourth, FAST)
        wait_for(lambda: log_of(fourth, "auth_required"), 10, "auth_required")
        time.sleep(1)
        assert fourth.evaluate("window.__sockets.length") == 1
    finally:
        anonymous.close()


def test_offline_and_online_browser_events(server, context):
    a, b, thread = pair(server)
    page = harness(context, server)
    start_client(page, {"token": b.token, "offlineProbeTimeout": 1000, **FAST})
    wait_open(page)
    send_message(server.base, a, thread, "online-1")
    wait_bodies(page, ["online-1"])

    context.set_offline(True)
    wait_for(lambda: log_of(page, "offline"), 5, "the offline event")
    for text in ("offline-1", "offline-2"):
        send_message(server.base, a, thread, text)
    time.sleep(1.5)
    context.set_offline(False)
    wait_for(lambda: log_of(page, "online"), 5, "the online event")
    got = wait_bodies(page, ["online-1", "offline-1", "offline-2"])
    assert got == ["online-1", "offline-1", "offline-2"]
    wait_open(page)
    send_message(server.base, a, thread, "online-2")
    assert wait_bodies(page, got + ["online-2"]) == got + ["online-2"]
    assert_dense(page)


def test_4409_waits_for_another_socket_of_the_user_to_close(server, context):
    a, b, thread = pair(server)
    tabs = []
    for _ in range(MAX_SOCKETS):
        tab = harness(context, server)
        start_client(tab, {"token": b.token, **FAST})
        wait_open(tab)
        tabs.append(tab)
    extra = harness(context, server)
    start_client(extra, {"token": b.token, **FAST})
    wait_for(lambda: log_of(extra, "too_many_sockets"), 10, "too_many_sockets")
    time.sleep(1.5)
    assert extra.evaluate("window.rt.state") == "blocked"
    assert extra.evaluate("window.__sockets.length") == 1  # no retry while nothing closed

    tabs[0].evaluate("window.rt.close()")
    wait_open(extra)
    send_message(server.base, a, thread, "to the late tab")
    assert wait_bodies(extra, ["to the late tab"]) == ["to the late tab"]


def test_presence_queries_in_chunks_and_typing_within_limits(server, context):
    a, b, thread = pair(server)
    page_a = harness(context, server)
    start_client(page_a, {"token": a.token, **FAST})
    wait_open(page_a)
    page_b = harness(context, server)
    start_client(page_b, {"token": b.token, **FAST})
    wait_open(page_b)

    # 450 ids: three presence.query frames of at most 200; only users a may see come back.
    users = page_a.evaluate("(ids) => window.rt.queryPresence(ids)", [b.id] + list(range(10**6, 10**6 + 449)))
    assert list(users) == [str(b.id)]
    assert users[str(b.id)]["status"] == "online"
    assert log_of(page_a, "error") == []  # no frame was over the server's 200 ids

    # Repeated starts within the interval are one frame; stop ends it.
    sent_flags = page_a.evaluate(f"""() => [window.rt.typing({thread}), window.rt.typing({thread}),
                                           window.rt.typing({thread}, "stop")]""")
    assert sent_flags == [True, False, True]
    wait_for(lambda: len(log_of(page_b, "typing")) >= 2, 10, "typing start and stop")
    states = [t["data"]["state"] for t in log_of(page_b, "typing")]
    assert states == ["start", "stop"]
    assert log_of(page_a, "error") == []
    # A frame over 64 KiB is refused by the library, never sent (the server would close with 1009).
    error = page_a.evaluate("""() => { try { window.rt._send({type: "ping", pad: "x".repeat(70000)}); return null; }
                                      catch (e) { return e.name; } }""")
    assert error == "RangeError"
    assert page_a.evaluate("window.rt.state") == "open"


def test_static_files_and_api_docs_render_with_no_internet(server, context):
    outside = []

    def only_this_server(route):
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(server.base + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Collective API" in page.inner_text(".swagger-ui .info .title")
    page.goto(server.base + "/admin/login/")
    # The admin's stylesheet applied: the login form is laid out by /static/admin/css/login.css.
    assert page.evaluate("getComputedStyle(document.querySelector('#container')).width") != "auto"
    assert page.evaluate("[...document.styleSheets].some(s => s.href && s.href.includes('/static/admin/css/'))")
    # ReDoc (drf-spectacular-sidecar's bundle) renders the schema's title.
    page.goto(server.base + "/api/redoc/")
    page.wait_for_function("() => document.body.innerText.includes('Collective API')", timeout=15_000)
    assert page.evaluate("[...document.scripts].some(s => s.src.includes('/static/drf_spectacular_sidecar/redoc/'))")
    # The browsable API, styled by DRF's own static files.
    page.goto(server.base + "/api/v1/offers/")
    assert page.evaluate("[...document.styleSheets].some(s => s.href && s.href.includes('/static/rest_framework/'))")
    assert page.locator(".page-header h1").inner_text().strip()
    # The web app's start page: its modules and stylesheet come from this server.
    page.goto(server.base + "/")
    page.wait_for_function("() => !!window.collectiveApp && !document.getElementById('main').hasAttribute('aria-busy')")
    assert page.evaluate("[...document.styleSheets].some(s => s.href && s.href.includes('/static/collective/app/'))")
    # Nothing left for another host. The one load that fails is ReDoc's footer logo, which its bundle
    # points at its vendor's CDN: the page's Content-Security-Policy blocks it inside the browser
    # (it never reaches the network: `outside` is empty) and ReDoc hides the image (web/views.py).
    assert outside == []
    assert [url for url in failed if url != "https://cdn.redoc.ly/redoc/logo-mini.svg"] == []

    for name, kind in (("realtime.js", "javascript"), ("realtime.d.ts", "")):
        with urllib.request.urlopen(f"{server.base}/static/collective/{name}", timeout=10) as res:
            assert res.status == 200 and kind in res.headers["Content-Type"]
            assert "max-age" in res.headers["Cache-Control"]
