"""The payment screens of the web app in Chromium, on both topologies, against the Stripe fake
(tests/fakes/stripe.py: its hosted Checkout and Connect onboarding pages are where the browser
goes, as it would go to Stripe's): a creator sets up payouts from My Earnings; two people negotiate
a price live and the buyer pays it (the seller sees it paid live, and the sale less the 10 % fee in
their earnings); a declined card, then paying again; a credit pack; and, on a server without Stripe
keys, the "not set up" state. Screenshots go to $WEB_SCREENSHOTS (docs/web/: see docs/web.md)."""

from __future__ import annotations

import re

from tests.web.conftest import Member, api, open_app, register, shot, wait_app_live

LIVE = 15_000  # ms: how long a live update (or a webhook through the worker) may take to show


def poll(page, check, timeout_ms: int = LIVE, what: str = "condition"):
    """Call `check()` until it is truthy, waiting with the page's clock (never time.sleep)."""
    waited = 0
    while waited < timeout_ms:
        value = check()
        if value:
            return value
        page.wait_for_timeout(100)
        waited += 100
    raise AssertionError(f"timed out after {timeout_ms} ms waiting for {what}")


def onboard(server, page, member: Member) -> str:
    """An active payout account for `member`, through the API and the fake (not the UI)."""
    status, body = api(server.base, "POST", "/api/v1/payments/payout-account/onboarding/", token=member.token)
    assert status == 200, body
    account = re.search(r"/connect/onboard/(acct_[A-Za-z0-9]+)", body["url"]).group(1)
    server.fake.complete_account(account)

    def active():
        _, got = api(server.base, "GET", "/api/v1/payments/payout-account/", token=member.token)
        return (got.get("payout_account") or {}).get("status") == "active"

    poll(page, active, what="the payout account to be active")
    return account


def service_offer(base: str, owner: Member, title: str) -> dict:
    status, body = api(
        base,
        "POST",
        "/api/v1/offers/",
        {"title": title, "description": "Two rounds of review.", "offer_type": "service", "status": "active"},
        token=owner.token,
    )
    assert status == 201, body
    return body


def inquiry(base: str, buyer: Member, offer: dict) -> dict:
    status, body = api(
        base,
        "POST",
        "/api/v1/connections/",
        {"offer": offer["id"], "connection_type": "offer_inquiry", "initial_message": "Could you review my agent?"},
        token=buyer.token,
    )
    assert status == 201, body
    return body


def agree(base: str, seller: Member, buyer: Member, connection: dict, cents: int) -> None:
    status, proposal = api(
        base, "POST", f"/api/v1/connections/{connection['id']}/proposals/", {"amount_cents": cents}, token=seller.token
    )
    assert status == 201, proposal
    status, body = api(
        base,
        "POST",
        f"/api/v1/connections/{connection['id']}/proposals/{proposal['id']}/accept/",
        token=buyer.token,
    )
    assert status == 200, body


def wait_attr(page, selector: str, attr: str, value: str, timeout: int = LIVE) -> None:
    page.wait_for_function(
        "([s, a, v]) => document.querySelector(s)?.getAttribute(a) === v", arg=[selector, attr, value], timeout=timeout
    )


def test_a_creator_sets_up_payouts_from_my_earnings(payments_app_server, pay_context):
    server = payments_app_server
    creator = register(server.base)
    page = open_app(pay_context(), server.base, "/earnings", creator)
    page.get_by_role("heading", name="My Earnings").wait_for()
    wait_attr(page, "#payout-status", "data-status", "none")
    page.get_by_text("No earnings yet.").wait_for()
    shot(page, "app-earnings-setup", server.tmp)

    page.get_by_role("button", name="Set up payouts").click()  # click 1 → Stripe's onboarding page
    page.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/connect/onboard/acct_"))
    page.get_by_role("button", name="Complete onboarding").click()  # click 2 → back on /earnings
    page.wait_for_url(server.base + "/earnings?onboarding=return")
    wait_attr(page, "#payout-status", "data-status", "active")
    assert page.get_by_role("button", name=re.compile("Set up payouts|Continue setup")).count() == 0
    assert "Can accept payments" in page.locator("#payout-account").inner_text()


def test_negotiate_live_pay_and_the_seller_sees_it_paid_and_earned(payments_app_server, pay_context):
    server = payments_app_server
    seller, buyer = register(server.base), register(server.other)
    offer = service_offer(server.base, seller, "Agent code review")
    page_s = open_app(pay_context(), server.base, "/home", seller)
    onboard(server, page_s, seller)
    conn = inquiry(server.other, buyer, offer)
    page_s.goto(server.base + f"/connections/{conn['id']}")
    page_b = open_app(pay_context(), server.other, f"/connections/{conn['id']}", buyer)
    wait_app_live(page_s)
    for page in (page_s, page_b):
        page.get_by_role("heading", name=offer["title"]).wait_for()
        page.locator("#negotiation .no-proposals").wait_for()
    assert page_b.locator("#payment-panel").count() == 0  # nothing to pay before a price is agreed

    # The seller proposes in their browser; the buyer sees it live and accepts in theirs.
    page_s.get_by_label("Amount").fill("50")
    page_s.get_by_label("Scope (optional)").fill("One review of the repository")
    page_s.get_by_role("button", name="Propose this price").click()
    accept = page_b.get_by_role("button", name="Accept $50.00")
    accept.wait_for(timeout=LIVE)
    page_s.locator("#proposal-withdraw").wait_for()  # the proposer may withdraw, not accept
    assert page_s.locator("#proposal-accept").count() == 0
    shot(page_b, "app-connection-proposal", server.tmp)
    accept.click()
    for page in (page_s, page_b):
        page.wait_for_function("() => document.getElementById('agreed-price')?.textContent === '$50.00'", timeout=LIVE)
        page.locator(".proposal[data-status='accepted']").wait_for(timeout=LIVE)
    assert page_s.locator("#pay-button").count() == 0  # only the buyer pays
    page_s.get_by_text(f"Waiting for @{buyer.username} to pay the agreed $50.00").wait_for()

    # The buyer pays: Pay → Stripe's page → Pay → back on /payments/<id>, paid.
    pay = page_b.get_by_role("button", name="Pay $50.00")
    shot(page_b, "app-connection-pay", server.tmp)
    pay.click()  # click 1
    page_b.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/checkout/cs_"))
    assert page_b.locator("#total").get_attribute("data-amount") == "5000"
    page_b.get_by_role("button", name="Pay", exact=True).click()  # click 2
    page_b.wait_for_url(re.compile(re.escape(server.other) + r"/payments/\d+\?checkout=success"))
    wait_attr(page_b, ".payment-view .pay-tag", "data-payment-status", "succeeded")
    page_b.get_by_text("Payment received.").wait_for()
    shot(page_b, "app-payment-paid", server.tmp)
    payment_id = int(re.search(r"/payments/(\d+)", page_b.url).group(1))

    # The seller's connection page shows it paid, live; the work can start.
    wait_attr(page_s, "#payment-badge", "data-payment-status", "paid")
    page_s.get_by_text(f"@{buyer.username} paid $50.00").wait_for()
    assert page_s.locator("#proposal-form-h").count() == 0 or not page_s.locator(".proposal-form").is_visible()
    page_b.get_by_role("link", name="Back to the connection").click()
    wait_attr(page_b, "#payment-badge", "data-payment-status", "paid")
    page_s.locator(".connection-actions button[data-move='accepted']").click()  # the seller accepts the work
    page_b.get_by_role("button", name="Start the work").click()
    page_s.wait_for_function(
        "() => document.querySelector('.connection-card .status-tag')?.dataset.status === 'in_progress'",
        timeout=LIVE,
    )

    # The seller's earnings: the sale, less the 10 % platform fee.
    page_s.goto(server.base + "/earnings")
    row = page_s.locator("#earnings-totals tr[data-currency='usd']")
    row.wait_for()
    assert row.locator(".sales").inner_text() == "$50.00"
    assert row.locator(".fees").inner_text() == "-$5.00"
    assert row.locator(".net").inner_text() == "$45.00"
    page_s.locator(f"#earnings-sales li[data-payment='{payment_id}'][data-status='succeeded']").wait_for()
    assert page_s.locator("#earnings-ledger li.entry").count() == 2  # the sale and the fee
    shot(page_s, "app-earnings", server.tmp)


def test_a_declined_card_shows_the_failure_and_paying_again_works(payments_app_server, pay_context):
    server = payments_app_server
    seller, buyer = register(server.base), register(server.base)
    offer = service_offer(server.base, seller, "Prompt clinic")
    page = open_app(pay_context(), server.base, "/home", buyer)
    onboard(server, page, seller)
    conn = inquiry(server.base, buyer, offer)
    agree(server.base, seller, buyer, conn, 2500)
    page.goto(server.base + f"/connections/{conn['id']}")
    page.get_by_role("button", name="Pay $25.00").click()
    page.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/checkout/cs_"))
    page.get_by_role("button", name="Pay with a declined card").click()
    page.get_by_text("Your card was declined.").wait_for()  # on Stripe's page
    page.get_by_role("link", name="Cancel").click()  # back to the app
    page.wait_for_url(re.compile(r"/payments/\d+\?checkout=cancelled"))
    wait_attr(page, ".payment-view .pay-tag", "data-payment-status", "failed")
    page.locator("#payment-explain", has_text="did not go through").wait_for()
    shot(page, "app-payment-failed", server.tmp)

    # The connection page offers to pay again; it works with a good card.
    page.get_by_role("link", name="Back to the connection").click()
    wait_attr(page, "#payment-badge", "data-payment-status", "failed")
    page.get_by_role("button", name="Pay $25.00 again").click()
    page.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/checkout/cs_"))
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r"/payments/\d+\?checkout=success"))
    wait_attr(page, ".payment-view .pay-tag", "data-payment-status", "succeeded")
    _, fresh = api(server.base, "GET", f"/api/v1/connections/{conn['id']}/", token=buyer.token)
    assert fresh["payment_status"] == "paid"


def test_buying_the_starter_pack_adds_100_credits(payments_app_server, pay_context):
    server = payments_app_server
    buyer = register(server.other)
    page = open_app(pay_context(), server.other, "/credits", buyer)
    page.get_by_role("heading", name="Buy credits").wait_for()
    before = int(page.locator("#credits-balance").inner_text())
    page.get_by_text("No purchases yet.").wait_for()
    page.get_by_role("button", name="Buy the Starter pack (100 credits) for $5.00").click()
    page.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/checkout/cs_"))
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r"/payments/\d+\?checkout=success"))
    wait_attr(page, ".payment-view .pay-tag", "data-payment-status", "succeeded")
    page.get_by_text("Your credits have been added").wait_for()
    page.get_by_role("link", name="Back to Credits").click()
    page.wait_for_function(
        "(n) => document.getElementById('credits-balance')?.textContent === String(n)", arg=before + 100
    )
    page.locator("#pack-payments li[data-status='succeeded']").wait_for()
    assert page.locator("#credits-pill").inner_text() == f"{before + 100} cr"  # the top bar's balance
    _, me = api(server.base, "GET", "/api/v1/me/", token=buyer.token)
    assert me["credit_balance"] == before + 100
    shot(page, "app-credits", server.tmp)


def test_without_stripe_keys_packs_are_listed_and_buying_says_not_set_up(payments_app_server, pay_context):
    server = payments_app_server
    member = register(server.plain)
    page = open_app(pay_context(), server.plain, "/credits", member, live=False)
    page.get_by_role("heading", name="Buy credits").wait_for()
    packs = page.locator("li.pack").evaluate_all("ls => ls.map(l => l.dataset.pack)")
    assert packs == ["starter", "builder", "creator"]
    page.get_by_text("Payments are not set up on this server.").first.wait_for()  # the purchases list
    page.get_by_role("button", name=re.compile("Buy the Starter pack")).click()
    page.locator("#buy-alert .payments-off", has_text="Payments are not set up on this server.").wait_for()
    assert page.url == server.plain + "/credits"
    shot(page, "app-credits-not-configured", server.tmp)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Earnings").click()
    page.wait_for_url(server.plain + "/earnings")
    page.locator(".payments-off", has_text="Payments are not set up on this server.").wait_for()


def test_buying_a_one_time_app_from_its_offer_page(payments_app_server, pay_context):
    server = payments_app_server
    creator, buyer = register(server.base), register(server.other)
    page = open_app(pay_context(), server.other, "/home", buyer, live=False)
    onboard(server, page, creator)
    status, offer = api(
        server.base,
        "POST",
        "/api/v1/offers/",
        {
            "title": "Agent eval starter kit",
            "description": "A template repository with evals wired in.",
            "offer_type": "template",
            "status": "active",
            "is_paid": True,
            "pricing_type": "one_time",
            "price_cents": 1999,
        },
        token=creator.token,
    )
    assert status == 201, offer
    page.goto(server.other + f"/offers/{offer['id']}")
    page.get_by_role("button", name="Buy for $19.99").click()
    page.wait_for_url(re.compile(re.escape(server.fake.base_url) + r"/checkout/cs_"))
    assert page.locator("#total").get_attribute("data-amount") == "1999"
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(re.compile(r"/payments/\d+\?checkout=success"))
    wait_attr(page, ".payment-view .pay-tag", "data-payment-status", "succeeded")
    assert page.get_by_role("link", name="Back to the offer").get_attribute("href") == f"/offers/{offer['id']}"
