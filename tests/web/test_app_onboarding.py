"""Onboarding with Ava, matches and the sentence search in Chromium, on both topologies
(`app_server`): sign up → /onboarding → the whole conversation by clicks and a few typed words (the
clicks, keystrokes and wall time are counted and printed) → home lists the new offers and asks and a
match with a seeded offer; a reload in the middle resumes at the same step; skip, then resume from the
home card; the owner's Matches panel of an ask, refreshed live on `match.created`; "I need help with
meetings" finds the meeting-notes offer first. Screenshots go to $WEB_SCREENSHOTS (docs/web/)."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import expect

from tests.web.conftest import api, open_app, register, shot

ONBOARDING_TIMEOUT = 20_000


class Person:
    """Clicks and keystrokes on a page, counted the way a person makes them."""

    def __init__(self, page):
        self.page = page
        self.clicks = 0
        self.keys = 0

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1

    def type(self, locator, text: str, enter: bool = False) -> None:
        locator.click()
        self.clicks += 1
        locator.press_sequentially(text)
        self.keys += len(text)
        if enter:
            locator.press("Enter")
            self.keys += 1


def seed_offer(base: str, member, **fields) -> dict:
    body = {"status": "active", "offer_type": "feedback", "is_paid": False, **fields}
    status, offer = api(base, "POST", "/api/v1/offers/", body, token=member.token)
    assert status == 201, offer
    return offer


def open_action(page):
    """The Ava message whose actions are open (the current step)."""
    return page.locator(".onboarding-message .actions.open").last


def step_is(page, n: int) -> None:
    expect(page.locator("#onboarding-step")).to_have_text(
        re.compile(rf"step {n} of 5", re.I), timeout=ONBOARDING_TIMEOUT
    )


def sign_up(page, base: str) -> str:
    name = "o" + uuid.uuid4().hex[:10]
    page.goto(base + "/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill("a-long-passphrase-" + uuid.uuid4().hex[:6])
    page.get_by_role("button", name="Create account").click()
    return name


def test_onboarding_from_sign_up_to_home_with_matches(app_server, new_context):
    base = app_server.base
    helper = register(base)
    seeded = seed_offer(
        base,
        helper,
        title="Honest feedback on your landing page and onboarding",
        description="I review landing pages and product onboarding and send you a short video with what to change. "
        "Beta testing and feedback for early products.",
        offer_type="feedback",
    )
    page = new_context().new_page()
    name = sign_up(page, base)
    page.wait_for_url(base + "/onboarding")
    page.wait_for_function("() => window.collectiveApp.rt.state === 'open'")
    person = Person(page)
    started = time.monotonic()

    # 1. Welcome → Continue
    step_is(page, 1)
    shot(page, "app-onboarding-welcome", app_server.tmp)
    person.click(open_action(page).get_by_role("button", name=re.compile("continue", re.I)))

    # 2. Asks: two chips and one of my own
    step_is(page, 2)
    asks = open_action(page)
    chosen = ["Feedback on something I'm building", "Beta testers for my project"]
    for label in chosen:
        person.click(asks.get_by_role("button", name=label))
    person.type(asks.get_by_placeholder(re.compile("^Type your own")), "A designer for my logo", enter=True)
    expect(asks.locator(".chips.selected .chip")).to_have_count(3)
    shot(page, "app-onboarding-asks", app_server.tmp)
    person.click(asks.get_by_role("button", name=re.compile("continue", re.I)))

    # 3. Offers: "Code review" and "An app or tool", then the link
    step_is(page, 3)
    offers = open_action(page)
    person.click(offers.get_by_role("button", name="Code review"))
    person.click(offers.get_by_role("button", name="An app or tool"))
    person.click(offers.get_by_role("button", name=re.compile("continue", re.I)))
    link_box = page.locator(".onboarding-message .actions.open .action-text input").last  # Ava's link prompt
    expect(link_box).to_be_visible(timeout=ONBOARDING_TIMEOUT)
    person.type(link_box, "https://example.com/my-tool", enter=True)

    # 4. Guidelines
    step_is(page, 4)
    agree = open_action(page).get_by_role("button", name="I agree to these guidelines")
    expect(agree).to_be_visible(timeout=ONBOARDING_TIMEOUT)
    person.click(agree)

    # 5. Summary with matches → Enter the Collective
    step_is(page, 5)
    summary = page.locator(
        ".onboarding-message", has_text=re.compile(r"Your profile now shows .* offers? and .* asks?")
    ).last
    expect(summary).to_be_visible(timeout=ONBOARDING_TIMEOUT)
    shot(page, "app-onboarding-summary", app_server.tmp)
    person.click(open_action(page).get_by_role("button", name="Enter the Collective"))
    page.wait_for_url(base + "/home")
    elapsed = time.monotonic() - started
    print(f"\nonboarding: {person.clicks} clicks, {person.keys} keystrokes, {elapsed:.1f} s ({app_server.topology})")
    assert person.clicks <= 15 and person.keys <= 60, (person.clicks, person.keys)

    # Home: the new asks and offers, the match, no onboarding card.
    page.get_by_role("heading", name=f"Welcome back, @{name}").wait_for()
    main = page.locator("main")
    for title in [*chosen, "A designer for my logo", "Code review"]:
        expect(main.get_by_role("link", name=title, exact=True).first).to_be_visible()
    expect(main.get_by_role("link", name=re.compile("example.com"))).to_be_visible()
    matches = page.locator("#home-matches")
    expect(matches.get_by_role("link", name=seeded["title"])).to_be_visible(timeout=ONBOARDING_TIMEOUT)
    expect(matches.locator(".reasons").first).not_to_be_empty()
    expect(page.locator("#onboarding-card")).to_have_count(0)
    shot(page, "app-home-matches", app_server.tmp)


def test_a_reload_resumes_at_the_same_step(app_server, new_context):
    base = app_server.base
    member = register(base)
    page = open_app(new_context(), base, "/onboarding", member)
    step_is(page, 1)
    open_action(page).get_by_role("button", name=re.compile("continue", re.I)).click()
    step_is(page, 2)
    expect(open_action(page).locator("button.chip").first).to_be_visible()
    count = page.locator(".onboarding-log > li").count()
    page.reload()
    page.wait_for_function("() => document.getElementById('main').getAttribute('aria-busy') !== 'true'")
    step_is(page, 2)
    expect(page.locator(".onboarding-log > li")).to_have_count(count)  # the history, no duplicate
    expect(open_action(page).locator("button.chip").first).to_be_enabled()
    # The welcome's Continue is answered: disabled.
    expect(page.locator(".onboarding-message .actions.answered button").first).to_be_disabled()
    status, state = api(base, "GET", "/api/v1/onboarding/", token=member.token)
    assert status == 200 and state["status"] == "in_progress", state


def test_skip_then_resume_from_the_home_card(app_server, new_context):
    base = app_server.base
    member = register(base)
    page = open_app(new_context(), base, "/onboarding", member)
    step_is(page, 1)
    page.get_by_role("button", name="Skip for now").click()
    page.wait_for_url(base + "/home")
    card = page.locator("#onboarding-card")
    expect(card).to_contain_text("Finish onboarding with Ava")
    status, state = api(base, "GET", "/api/v1/onboarding/", token=member.token)
    assert state["status"] == "skipped", state
    card.get_by_role("link").click()
    page.wait_for_url(base + "/onboarding")
    step_is(page, 1)
    expect(open_action(page).get_by_role("button", name=re.compile("continue", re.I))).to_be_enabled()
    status, state = api(base, "GET", "/api/v1/onboarding/", token=member.token)
    assert state["status"] == "in_progress", state


def test_typing_in_the_ava_thread_is_an_answer(app_server, new_context):
    base = app_server.base
    member = register(base)
    page = open_app(new_context(), base, "/onboarding", member)
    step_is(page, 1)
    before = page.locator(".onboarding-log > li.theirs").count()
    page.get_by_label("Message to Ava").fill("Hi Ava, let's go")
    page.get_by_label("Message to Ava").press("Enter")
    expect(page.locator(".onboarding-log > li.mine", has_text="Hi Ava, let's go")).to_be_visible()
    # Ava answers in the thread (live).
    expect(page.locator(".onboarding-log > li.theirs")).not_to_have_count(before, timeout=ONBOARDING_TIMEOUT)


def test_the_owner_sees_matches_on_an_ask_live(app_server, new_context):
    base = app_server.base
    owner, helper = register(base), register(base)
    word = uuid.uuid4().hex[:6]
    status, ask = api(
        base,
        "POST",
        "/api/v1/asks/",
        {
            "title": f"Feedback on my onboarding flow {word}",
            "description": "I need honest feedback on the onboarding flow of my app.",
            "ask_type": "feedback",
        },
        token=owner.token,
    )
    assert status == 201, ask
    page = open_app(new_context(), base, f"/asks/{ask['id']}", owner)
    panel = page.locator("#listing-matches")
    expect(panel).to_contain_text("Matches")
    offer = seed_offer(
        app_server.other,
        helper,
        title=f"Onboarding flow feedback {word}",
        description="I test your app's onboarding flow and give honest feedback.",
    )
    expect(panel.get_by_role("link", name=offer["title"])).to_be_visible(timeout=ONBOARDING_TIMEOUT)
    expect(panel.locator(".reasons").first).not_to_be_empty()
    shot(page, "app-ask-matches", app_server.tmp)


def test_a_sentence_search_finds_the_meeting_notes_offer_first(app_server, new_context):
    base = app_server.base
    alice, bob, me = register(base), register(base), register(base)
    notes = seed_offer(
        base,
        alice,
        title="Meeting notes that write themselves",
        description="An app that records your meetings, writes the notes and sends the follow-ups. "
        "Help with meetings: agendas, notes, action items.",
        offer_type="app",
    )
    seed_offer(
        base,
        bob,
        title="Logo design for indie apps",
        description="I draw a logo for your app in a week.",
        offer_type="service",
    )
    seed_offer(
        base,
        bob,
        title="Python code review",
        description="I review your Python code and help you ship.",
        offer_type="service",
    )
    page = open_app(new_context(), base, "/discover", me, live=False)
    box = page.get_by_label("What do you need?")
    box.fill("I need help with meetings")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/discover\?q=I(\+|%20)need.*"))
    first = page.locator("#search-offers .item").first
    expect(first.get_by_role("link", name=notes["title"])).to_be_visible()
    expect(page.locator("#search-asks")).to_be_visible()
    expect(page.locator("#search-people")).to_be_visible()
    shot(page, "app-search", app_server.tmp)


def test_onboarding_is_behind_login(app_server, new_context):
    page = new_context().new_page()
    page.goto(app_server.base + "/onboarding")
    page.wait_for_url(re.compile(r".*/login\?next=(/|%2F)onboarding$"))
