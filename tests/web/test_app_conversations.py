"""The web app's conversation pages in Chromium, on both topologies (issue 13): connections, message
threads and notifications, with two people in two browser contexts. On prod the two people's pages
are on different server processes (`app_server.bases[0]` and `app_server.other`), so every live
update crosses processes through Redis."""

from __future__ import annotations

import time

from tests.procs import wait_for
from tests.web.conftest import Member, api, open_app, open_thread, register, send_message, shot

LIVE = 15_000  # ms: how long a live update may take to show


def make_offer(base: str, owner: Member, title: str = "Logo design") -> dict:
    status, body = api(
        base,
        "POST",
        "/api/v1/offers/",
        {
            "title": title,
            "description": "A logo for your app, in two rounds.",
            "offer_type": "service",
            "status": "active",
        },
        token=owner.token,
    )
    assert status == 201, body
    return body


def connect(base: str, initiator: Member, offer: dict, text: str = "Hi! Could you make a logo for my app?") -> dict:
    status, body = api(
        base, "POST", "/api/v1/connections/", {"offer": offer["id"], "initial_message": text}, token=initiator.token
    )
    assert status == 201, body
    return body


def moves(page) -> list[str]:
    """The state-machine buttons the page offers (their target statuses)."""
    return page.locator(".connection-actions button").evaluate_all("bs => bs.map(b => b.dataset.move)")


def wait_moves(page, expected: list[str]) -> None:
    page.wait_for_function(
        "(exp) => JSON.stringify([...document.querySelectorAll('.connection-actions button')]"
        ".map(b => b.dataset.move)) === JSON.stringify(exp)",
        arg=expected,
        timeout=LIVE,
    )


def wait_status(page, status: str) -> None:
    page.wait_for_function(
        "(s) => document.querySelector('.connection-card .status-tag')?.dataset.status === s", arg=status, timeout=LIVE
    )


def message_ids(page) -> list[int]:
    return page.locator("ol.messages > li.message").evaluate_all("ls => ls.map(l => Number(l.dataset.id))")


def message_texts(page) -> list[str]:
    return page.locator("ol.messages > li.message .message-body").all_inner_texts()


def test_two_people_message_live_with_typing_and_read_receipts(app_server, new_context):
    a, b = register(app_server.base), register(app_server.other)
    thread = open_thread(app_server.base, a, b)
    page_a = open_app(new_context(), app_server.base, f"/threads/{thread}", a)
    page_b = open_app(new_context(mobile=True), app_server.other, f"/threads/{thread}", b)
    for page, other in ((page_a, b), (page_b, a)):
        page.get_by_role("heading", name=f"Conversation with @{other.username}").wait_for()
        page.wait_for_selector(".thread-head .presence[data-status='online']", timeout=LIVE)

    # b types: a sees "@b is typing…"; b's Enter sends, and a's indicator goes away with the message.
    page_b.locator("#message-body").press_sequentially("Hello there", delay=20)
    page_a.wait_for_function(
        "(t) => document.getElementById('typing').textContent === t", arg=f"@{b.username} is typing…", timeout=LIVE
    )
    assert page_a.locator("#typing").get_attribute("aria-live") == "polite"
    page_b.locator("#message-body").press("Enter")
    page_a.locator("ol.messages li.message.theirs", has_text="Hello there").wait_for(timeout=LIVE)
    page_a.wait_for_function("() => document.getElementById('typing').textContent === ''", timeout=LIVE)
    page_b.wait_for_function("() => document.getElementById('message-body').value === ''")  # sent, box cleared
    assert page_b.locator("ol.messages").get_attribute("role") == "log"

    # a's page shows it, so it is read: b sees "Seen" under the message.
    seen = page_b.locator("ol.messages li.message.mine .seen")
    seen.wait_for(timeout=LIVE)
    assert seen.count() == 1

    # a replies on two lines (Shift+Enter is a new line, Enter sends); b sees it live, once.
    box = page_a.locator("#message-body")
    box.press_sequentially("Line one", delay=10)
    box.press("Shift+Enter")
    box.press_sequentially("Line two", delay=10)
    assert box.input_value() == "Line one\nLine two"
    box.press("Enter")
    page_b.locator("ol.messages li.message.theirs", has_text="Line two").wait_for(timeout=LIVE)
    status, listing = api(app_server.base, "GET", f"/api/v1/threads/{thread}/messages/", token=a.token)
    assert [m["body"] for m in reversed(listing["results"])] == ["Hello there", "Line one\nLine two"]
    assert message_ids(page_a) == message_ids(page_b) == [m["id"] for m in reversed(listing["results"])]
    page_a.locator("ol.messages li.message.mine .seen").wait_for(timeout=LIVE)

    # a edits the reply; b deletes the first message: both screens follow.
    mine = page_a.locator("ol.messages li.message.mine").last
    mine.get_by_role("button", name="Edit message").click()
    edit = mine.get_by_label("Edit message")
    edit.fill("Line one, edited")
    edit.press("Enter")
    page_b.locator("ol.messages li.message.theirs", has_text="Line one, edited").wait_for(timeout=LIVE)
    assert "edited" in page_b.locator("ol.messages li.message.theirs").last.inner_text()
    first = page_b.locator("ol.messages li.message.mine").first
    first.get_by_role("button", name="Delete message").click()
    first.get_by_role("button", name="Confirm delete message").click()
    page_a.locator("ol.messages li.message.deleted", has_text="Message deleted").wait_for(timeout=LIVE)
    assert page_a.locator("ol.messages li.message").count() == 2

    # Markdown is rendered by the server (body_html); a script in a message is never run.
    send_message(
        app_server.other, b, thread, "**Sure!** Thursday at 10 works, see [my calendar](https://example.com/cal)."
    )
    page_a.locator("ol.messages li.message.theirs strong", has_text="Sure!").wait_for(timeout=LIVE)
    assert page_a.locator("ol.messages li.message.theirs a", has_text="my calendar").get_attribute("rel")
    shot(page_a, "app-thread", app_server.tmp)
    shot(page_b, "app-thread-phone", app_server.tmp)
    send_message(
        app_server.other, b, thread, "<script>window.__pwned = 1</script><img src=x onerror='window.__pwned=2'>"
    )
    page_a.wait_for_function("() => document.querySelectorAll('ol.messages li.message').length === 4", timeout=LIVE)
    assert page_a.evaluate("window.__pwned") is None
    assert page_a.locator("ol.messages script, ol.messages img").count() == 0


def test_threads_list_moves_a_thread_up_live_with_its_unread_count(app_server, new_context):
    me, ann, bob = register(app_server.base), register(app_server.other), register(app_server.other)
    with_ann, with_bob = open_thread(app_server.base, me, ann), open_thread(app_server.base, me, bob)
    send_message(app_server.other, ann, with_ann, "Are you free on Thursday?")
    send_message(app_server.other, bob, with_bob, "Thanks for the feedback!")
    page = open_app(new_context(), app_server.base, "/threads", me)
    rows = page.locator("ul.thread-list > li.thread-row")
    assert rows.evaluate_all("ls => ls.map(l => Number(l.dataset.thread))") == [with_bob, with_ann]
    page.wait_for_selector(f"li[data-thread='{with_ann}'] .presence[data-status='offline']")  # ann has no tab open

    send_message(app_server.other, ann, with_ann, "Or Friday?")
    page.wait_for_function(
        "(id) => document.querySelector('ul.thread-list > li.thread-row')?.dataset.thread === String(id)",
        arg=with_ann,
        timeout=LIVE,
    )
    top = rows.first
    assert top.locator(".unread-count").inner_text() == "2"
    assert "Or Friday?" in top.inner_text()
    assert rows.count() == 2
    shot(page, "app-threads", app_server.tmp)

    # Opening it reads it: back on the list the count is gone.
    top.locator("a").click()
    page.locator("ol.messages li.message", has_text="Or Friday?").wait_for()
    wait_for(
        lambda: api(app_server.base, "GET", f"/api/v1/threads/{with_ann}/", token=me.token)[1]["unread_count"] == 0,
        10,
        "the thread read",
    )
    page.go_back()
    page.locator(f"li[data-thread='{with_ann}']").wait_for()
    assert page.locator(f"li[data-thread='{with_ann}'] .unread-count").count() == 0

    # A thread of two other people is "not found", with a way back.
    theirs = open_thread(app_server.other, ann, bob)
    page.goto(f"{app_server.base}/threads/{theirs}")
    page.get_by_role("heading", name="Conversation not found").wait_for()
    assert page.get_by_role("link", name="Back to your messages").get_attribute("href") == "/threads"


def test_a_connection_through_its_states_with_both_screens_live(app_server, new_context):
    owner, client = register(app_server.base), register(app_server.other)
    offer = make_offer(app_server.base, owner)
    conn = connect(app_server.other, client, offer)
    page_o = open_app(new_context(), app_server.base, f"/connections/{conn['id']}", owner)
    page_c = open_app(new_context(), app_server.other, f"/connections/{conn['id']}", client)
    for page in (page_o, page_c):
        page.get_by_role("heading", name=offer["title"]).wait_for()
        wait_status(page, "initiated")
    assert moves(page_o) == ["discussing", "accepted", "declined"]  # the responder (offer owner)
    assert moves(page_c) == ["discussing", "cancelled"]  # the initiator
    assert page_c.get_by_role("link", name=f"Message @{owner.username}").get_attribute("href") == (
        f"/threads/{conn['dm_thread']}"
    )

    page_c.get_by_role("button", name="Start discussing").click()
    wait_moves(page_o, ["accepted", "declined"])
    wait_moves(page_c, ["cancelled"])

    # A price, proposed by one side, shows on the other live; declined, the connection stays free
    # (a paid one waits for its payment: tests/web/test_app_payments.py).
    page_o.get_by_label("Amount").fill("25")
    page_o.get_by_role("button", name="Propose this price").click()
    page_c.locator("#proposal-accept", has_text="Accept $25.00").wait_for(timeout=LIVE)
    page_c.locator("#proposal-decline").click()
    page_o.locator(".proposal-history", has_text="Declined").wait_for(timeout=LIVE)

    page_o.get_by_role("button", name="Accept").click()
    wait_moves(page_c, ["in_progress", "completed", "cancelled"])
    wait_moves(page_o, ["in_progress", "completed"])
    page_c.get_by_role("button", name="Start the work").click()
    wait_moves(page_o, ["completed"])
    wait_status(page_o, "in_progress")
    shot(page_c, "app-connection", app_server.tmp)

    # The one helped marks it completed: the helper (the offer's owner) gets the points toast live.
    page_c.get_by_role("button", name="Mark as completed").click()
    toast = page_o.locator("#toasts .toast-points", has_text="+25 points")
    toast.wait_for(timeout=LIVE)
    assert "Total:" in toast.inner_text()
    page_c.locator("#toasts .toast-points", has_text="+5 points").wait_for(timeout=LIVE)
    for page in (page_o, page_c):
        wait_status(page, "completed")
        assert moves(page) == []
        assert page.locator(".price-form").count() == 0

    # Ratings: the client rates, the owner sees it live (keeping the feedback being typed) and rates back.
    page_o.get_by_label("Feedback (optional)").fill("A pleasure")
    page_c.locator(".rating-form label.star", has_text="5").click()
    page_c.get_by_label("Feedback (optional)").fill("Great logo, fast.")
    page_c.get_by_role("button", name="Submit rating").click()
    page_c.locator(".rated", has_text=f"You rated @{owner.username} 5/5").wait_for()
    page_o.locator(".rating", has_text=f"@{client.username} rated you 5/5").wait_for(timeout=LIVE)
    assert page_o.get_by_label("Feedback (optional)").input_value() == "A pleasure"
    page_o.locator(".rating-form label.star", has_text="4").click()
    page_o.get_by_role("button", name="Submit rating").click()
    page_c.locator(".rating", has_text=f"@{owner.username} rated you 4/5").wait_for(timeout=LIVE)
    status, fresh = api(app_server.base, "GET", f"/api/v1/connections/{conn['id']}/", token=owner.token)
    assert (fresh["status"], fresh["initiator_rating"], fresh["responder_rating"]) == ("completed", 5, 4)
    assert fresh["agreed_price_cents"] is None

    # The list, grouped by status, follows a new connection live.
    other_offer = make_offer(app_server.base, owner, "Landing page copy")
    listing = open_app(page_c.context, app_server.other, "/connections")
    listing.locator("section.connection-group[data-status='completed'] li", has_text=offer["title"]).wait_for()
    connect(app_server.other, client, other_offer, "And the landing page?")
    listing.locator("section.connection-group[data-status='initiated'] li", has_text="Landing page copy").wait_for(
        timeout=LIVE
    )
    assert listing.locator("section.connection-group h2").all_inner_texts() == ["Requested (1)", "Completed (1)"]
    shot(listing, "app-connections", app_server.tmp)


def test_a_move_the_page_did_not_hear_about_is_a_409_shown_as_a_message(app_server, new_context):
    owner, client = register(app_server.base), register(app_server.other)
    conn = connect(app_server.other, client, make_offer(app_server.base, owner))
    page = open_app(new_context(), app_server.base, f"/connections/{conn['id']}", owner)
    wait_moves(page, ["discussing", "accepted", "declined"])
    # The page stops hearing events, the client cancels meanwhile, the owner clicks Accept.
    page.evaluate("() => { window.__refuse = true; window.__sockets.at(-1).close(); }")
    page.wait_for_function("() => window.collectiveApp.rt.state !== 'open'")
    status, _ = api(
        app_server.other, "PATCH", f"/api/v1/connections/{conn['id']}/", {"status": "cancelled"}, client.token
    )
    assert status == 200
    page.get_by_role("button", name="Accept").click()
    alert = page.locator("p.form-error[role=alert]")
    alert.wait_for()
    page.wait_for_function("() => document.querySelector('p.form-error').textContent.startsWith('Not possible')")
    wait_status(page, "cancelled")
    assert moves(page) == []
    page.evaluate("() => { window.__refuse = false; }")


def test_a_dropped_tab_shows_the_missed_messages_once_and_in_order(app_server, new_context):
    a, b = register(app_server.base), register(app_server.other)
    thread = open_thread(app_server.base, a, b)
    send_message(app_server.other, b, thread, "before the drop")
    page = open_app(new_context(), app_server.base, f"/threads/{thread}", a)
    page.locator("ol.messages li.message", has_text="before the drop").wait_for()
    sockets_before = page.evaluate("window.__sockets.length")

    page.evaluate("() => { window.__refuse = true; window.__sockets.at(-1).close(); }")
    page.wait_for_function("() => window.collectiveApp.rt.state !== 'open'")
    sent = [send_message(app_server.other, b, thread, f"missed {i}") for i in range(5)]
    time.sleep(1.5)  # a few refused attempts with backoff
    assert page.evaluate("window.__sockets.length") > sockets_before + 1, "the client did not try to reconnect"
    assert page.evaluate("window.collectiveApp.rt.state") != "open"
    assert page.locator("ol.messages li.message", has_text="missed").count() == 0

    page.evaluate("() => { window.__refuse = false; }")
    page.wait_for_function(
        "() => document.querySelectorAll('ol.messages li.message').length >= 6", timeout=40_000
    )  # the backoff may wait up to ~8 s
    time.sleep(0.5)  # a duplicate would arrive now
    assert page.evaluate("window.collectiveApp.rt.state") == "open"
    assert message_texts(page) == ["before the drop"] + [f"missed {i}" for i in range(5)]
    assert message_ids(page)[1:] == [m["id"] for m in sent]

    # Read again in short pages: "Load older" brings the rest, oldest first, none twice.
    page.goto(f"{app_server.base}/threads/{thread}?page_size=2")
    page.locator("ol.messages li.message", has_text="missed 4").wait_for()
    assert message_texts(page) == ["missed 3", "missed 4"]
    older = page.get_by_role("button", name="Load older messages")
    for shown in (4, 6):
        older.click()
        page.wait_for_function("(n) => document.querySelectorAll('ol.messages li.message').length === n", arg=shown)
    assert older.is_hidden()
    assert message_texts(page) == ["before the drop"] + [f"missed {i}" for i in range(5)]


def test_a_notification_link_opens_its_page_after_login(app_server, new_context):
    owner, client = register(app_server.base), register(app_server.other)
    offer = make_offer(app_server.base, owner, "Pitch deck review")
    conn = connect(app_server.other, client, offer)
    status, feed = api(app_server.base, "GET", "/api/v1/notifications/", token=owner.token)
    assert status == 200, feed
    [note] = [n for n in feed["results"] if n["kind"] == "connection_request"]
    from urllib.parse import urlsplit

    path = urlsplit(note["url"]).path
    assert path == f"/connections/{conn['id']}"

    page = new_context().new_page()
    page.goto(app_server.base + path)
    assert page.url == f"{app_server.base}/login?next={path}"
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(owner.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(app_server.base + path)
    page.get_by_role("heading", name="Pitch deck review").wait_for()
    wait_moves(page, ["discussing", "accepted", "declined"])


def test_the_notification_feed_live_with_read_and_read_all(app_server, new_context):
    owner, fan, client = register(app_server.base), register(app_server.other), register(app_server.other)
    conn = connect(app_server.other, client, make_offer(app_server.base, owner, "Mentoring hour"))
    page = open_app(new_context(), app_server.base, "/notifications", owner)
    items = page.locator("ul.notification-list > li.notification")
    assert items.count() == 1
    assert items.first.get_by_role("link").get_attribute("href") == f"/connections/{conn['id']}"
    page.wait_for_function("() => document.getElementById('bell-count').textContent === '1'", timeout=LIVE)

    status, _ = api(app_server.other, "POST", "/api/v1/follows/", {"following": owner.id}, fan.token)
    assert status == 201
    page.locator("ul.notification-list > li.notification.unread", has_text=f"@{fan.username}").wait_for(timeout=LIVE)
    assert items.count() == 2
    assert items.first.get_attribute("data-kind") == "new_follower"  # prepended
    page.wait_for_function("() => document.getElementById('bell-count').textContent === '2'", timeout=LIVE)
    shot(page, "app-notifications", app_server.tmp)

    items.first.get_by_role("button", name="as read").click()
    page.wait_for_function("() => document.getElementById('bell-count').textContent === '1'", timeout=LIVE)
    assert page.locator("li.notification.unread").count() == 1
    page.get_by_role("button", name="Mark all as read").click()
    page.wait_for_function("() => document.getElementById('bell-count').hidden", timeout=LIVE)
    assert page.locator("li.notification.unread").count() == 0
    status, count = api(app_server.base, "GET", "/api/v1/notifications/unread-count/", token=owner.token)
    assert count == {"unread": 0}

    # Its link is an app page.
    page.locator(f"ul.notification-list a[href='/connections/{conn['id']}']").click()
    page.wait_for_url(f"{app_server.base}/connections/{conn['id']}")
    page.get_by_role("heading", name="Mentoring hour").wait_for()
