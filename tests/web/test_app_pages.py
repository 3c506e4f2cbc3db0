"""The web app's pages in Chromium, on both topologies (`app_server`): sign up through the form;
home, discover, storefront and offer pages render real data; an offer made through the form (and its
field errors); follow from a storefront; the nav at phone size; a keyboard-only login. Screenshots of
the main pages go to $WEB_SCREENSHOTS (docs/web/: see docs/web.md)."""

from __future__ import annotations

import re
import uuid

from tests.web.conftest import api, open_app, register, shot


def make_listings(base: str, member, word: str) -> tuple[dict, dict]:
    status, offer = api(
        base,
        "POST",
        "/api/v1/offers/",
        {
            "title": f"1:1 prompt clinic {word}",
            "description": "Bring a prompt that misbehaves; we fix it together in 30 minutes.",
            "offer_type": "mentorship",
            "status": "active",
            "is_paid": True,
            "pricing_type": "hourly",
            "price_cents": 4500,
        },
        token=member.token,
    )
    assert status == 201, offer
    status, ask = api(
        base,
        "POST",
        "/api/v1/asks/",
        {
            "title": f"Beta testers for my agent {word}",
            "description": "Three people, one week.",
            "ask_type": "beta_tester",
        },
        token=member.token,
    )
    assert status == 201, ask
    return offer, ask


def test_sign_up_through_the_form(app_server, new_context):
    page = new_context().new_page()
    page.goto(app_server.base + "/")
    page.wait_for_selector("h1")
    shot(page, "landing", app_server.tmp)
    page.locator("main").get_by_role("link", name="Sign up").click()
    page.wait_for_url(app_server.base + "/signup")
    name = "n" + uuid.uuid4().hex[:10]
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    page.locator(".field-error").first.wait_for()  # the API's 400 on the password, shown on the field
    assert page.url == app_server.base + "/signup"
    page.get_by_label("Password").fill("a-long-passphrase-" + uuid.uuid4().hex[:6])
    page.get_by_role("button", name="Create account").click()
    # A new member meets Ava first (tests/web/test_app_onboarding.py); skipping leads home.
    page.wait_for_url(app_server.base + "/onboarding")
    page.get_by_role("button", name="Skip for now").click()
    page.wait_for_url(app_server.base + "/home")
    page.get_by_role("heading", name=f"Welcome back, @{name}").wait_for()
    assert f"@{name}" in page.locator("#topbar").inner_text()


def test_pages_render_real_data_connect_and_follow(app_server, new_context):
    word = uuid.uuid4().hex[:8]
    ada, bob = register(app_server.base), register(app_server.base)
    offer, ask = make_listings(app_server.base, ada, word)
    status, _ = api(app_server.base, "POST", "/api/v1/follows/", {"following": bob.id}, token=ada.token)
    assert status == 201

    # Home of ada: her counts and listings.
    page = open_app(new_context(), app_server.base, "/home", ada, live=False)
    page.get_by_role("link", name=offer["title"]).wait_for()
    assert page.get_by_role("link", name=ask["title"]).is_visible()
    assert page.locator("#home-unread-notifications").inner_text() == "0"
    shot(page, "home", app_server.tmp)

    # Discover (as bob): search in the URL, filters, the result links to the offer.
    context = new_context()
    page = open_app(context, app_server.base, f"/discover/offers/?search={word}", bob, live=False)
    card = page.locator("#results").get_by_role("link", name=offer["title"])
    card.wait_for()
    assert page.locator("#results-count").inner_text() == "1 result"
    assert page.get_by_label("Search").input_value() == word
    page.get_by_label("Type", exact=True).select_option("course")  # no course matches: empty state
    page.wait_for_url(re.compile(r".*offer_type=course.*"))
    page.get_by_text("Nothing matches these filters.").wait_for()
    page.go_back()  # the filters live in the URL: back restores the result
    page.locator("#results").get_by_role("link", name=offer["title"]).wait_for()
    assert page.get_by_label("Type", exact=True).input_value() == ""
    page.goto(app_server.base + "/discover/asks/?search=" + word)
    page.locator("#results").get_by_role("link", name=ask["title"]).wait_for()
    page.goto(app_server.base + "/discover/offers/")
    page.locator("#results .item").first.wait_for()
    shot(page, "discover", app_server.tmp)

    # Storefront of ada: §5 grouping, stats, follow.
    page.goto(app_server.base + f"/u/{ada.username}")
    page.get_by_role("heading", name="🤝 Work With Me").wait_for()
    assert page.get_by_role("link", name=offer["title"]).is_visible()
    need = page.locator("section", has=page.get_by_role("heading", name="What I need"))
    assert need.get_by_role("link", name=ask["title"]).is_visible()
    assert page.locator("#followers-count").inner_text() == "0"
    page.get_by_role("button", name="Follow").click()
    page.get_by_role("button", name=re.compile("Following")).wait_for()
    assert page.locator("#followers-count").inner_text() == "1"
    status, front = api(app_server.base, "GET", f"/api/v1/people/{ada.username}/", token=bob.token)
    assert front["user"]["is_following"] is True and front["user"]["followers_count"] == 1
    shot(page, "storefront", app_server.tmp)

    # The offer page (a view recorded), then Connect.
    page.get_by_role("link", name=offer["title"]).click()
    page.wait_for_url(app_server.base + f"/offers/{offer['id']}")
    page.get_by_role("heading", name=offer["title"]).wait_for()
    assert "$45.00 per hour" in page.locator("main").inner_text()
    page.wait_for_function("() => document.getElementById('view-count').textContent === '1'")  # POST view/
    shot(page, "offer", app_server.tmp)
    status, seen = api(app_server.base, "GET", f"/api/v1/offers/{offer['id']}/", token=ada.token)
    assert seen["view_count"] == 1
    page.get_by_label("Message").fill("Hi! My summariser prompt keeps dropping the action items.")
    page.get_by_role("button", name="Connect").click()
    page.wait_for_url(re.compile(r".*/connections/\d+$"))
    connection_id = int(page.url.rsplit("/", 1)[1])
    status, conn = api(app_server.base, "GET", f"/api/v1/connections/{connection_id}/", token=ada.token)
    assert status == 200 and conn["offer"]["id"] == offer["id"] and conn["connection_type"] == "offer_inquiry"

    # The leaderboard and settings render (screenshots).
    page.goto(app_server.base + "/leaderboard?window=all")
    page.locator("main .list li").first.wait_for()
    shot(page, "leaderboard", app_server.tmp)
    page.goto(app_server.base + "/settings")
    page.get_by_role("heading", name="Notifications").wait_for()
    page.get_by_label("Tagline").fill("Testing agents for fun")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Profile saved.").wait_for()
    status, me = api(app_server.base, "GET", "/api/v1/me/", token=bob.token)
    assert me["tagline"] == "Testing agents for fun"
    page.get_by_label("Phone number").fill("12")  # the API's nested settings error lands on the field
    page.get_by_role("button", name="Save and send code").click()
    assert "E.164" in page.locator("[name=phone_number] + .field-error").inner_text()
    shot(page, "settings", app_server.tmp)


def test_create_an_offer_through_the_form(app_server, new_context):
    a = register(app_server.base)
    page = open_app(new_context(), app_server.base, "/home", a, live=False)
    page.get_by_role("link", name="New offer").click()
    page.wait_for_url(app_server.base + "/offers/new")
    page.get_by_role("button", name="Publish offer").click()  # empty: the API's field errors
    title_error = page.locator("[name=title] + .field-error")
    title_error.wait_for()
    assert title_error.inner_text()
    assert page.get_by_label("Title").get_attribute("aria-invalid") == "true"
    page.get_by_label("Title").fill("Notion template for launch checklists")
    page.get_by_label("Description").fill("The checklist I used for three launches.")
    page.get_by_label("Type").select_option("template")
    page.get_by_label("This is a paid offer").check()
    page.get_by_label("Pricing").select_option("one_time")
    page.get_by_label("Price (in currency units)").fill("12.50")
    page.get_by_role("button", name="Publish offer").click()
    page.wait_for_url(re.compile(r".*/offers/\d+$"))
    page.get_by_role("heading", name="Notion template for launch checklists").wait_for()
    offer_id = int(page.url.rsplit("/", 1)[1])
    status, offer = api(app_server.base, "GET", f"/api/v1/offers/{offer_id}/", token=a.token)
    assert (offer["offer_type"], offer["price_cents"], offer["pricing_type"], offer["status"]) == (
        "template",
        1250,
        "one_time",
        "active",
    )
    # The owner sees Edit; editing saves through PATCH.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("Notion template for launches")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Notion template for launches").wait_for()


def test_the_nav_at_phone_size(app_server, new_context):
    a = register(app_server.base)
    page = open_app(new_context(mobile=True), app_server.base, "/home", a, live=False)
    page.get_by_role("heading", name=re.compile("Welcome back")).wait_for()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Discover", "Connections"):
        link = nav.get_by_role("link", name=name)
        assert link.is_visible()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["y"] < 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot(page, "home-phone", app_server.tmp)
    nav.get_by_role("link", name="Discover").click()
    page.wait_for_url(app_server.base + "/discover")
    page.get_by_role("navigation", name="Discover").wait_for()


def test_keyboard_only_login(app_server, new_context):
    a = register(app_server.base)
    page = new_context().new_page()
    page.goto(app_server.base + "/login")
    page.get_by_label("Username").wait_for()
    shot(page, "login", app_server.tmp)
    # The username field has the focus; Tab goes to the password; Enter submits.
    page.wait_for_function("() => document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(a.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(a.password)
    page.keyboard.press("Enter")
    page.wait_for_url(app_server.base + "/home")
    # The skip link is the first stop and moves the focus to the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
