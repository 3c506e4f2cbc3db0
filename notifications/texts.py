"""The words of each notification: the in-app title/body (seed 002's table) and the SMS text,
which is seed 001 §7.2's table verbatim with a link to the app (SITE_URL)."""

from __future__ import annotations

from dataclasses import dataclass

from .conf import site_url

SMS_MAX_CHARS = 480  # a few segments at most; titles are cut before this is reached
TITLE_MAX_CHARS = 80


@dataclass(frozen=True)
class Texts:
    title: str
    body: str
    url: str
    sms: str


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def connection_url(connection_id: int) -> str:
    return site_url(f"/connections/{connection_id}")


def thread_url(thread_id: int) -> str:
    return site_url(f"/threads/{thread_id}")


def profile_url(username: str) -> str:
    return site_url(f"/u/{username}")


def connection_request(*, actor: str, subject: str | None, message: str, connection_id: int) -> Texts:
    """To the responder. `subject`: the offer's title; None for a direct connection."""
    url = connection_url(connection_id)
    if subject is None:
        title = f"@{actor} wants to connect with you"
        sms = f"@{actor} wants to connect with you. Reply in app: {url}"
    else:
        subject = _cut(subject, TITLE_MAX_CHARS)
        title = f"@{actor} wants to connect about your {subject}"
        sms = f"@{actor} wants to connect about your {subject}. Reply in app: {url}"
    return Texts(title=title, body=_cut(message, 200), url=url, sms=sms)


def ask_response(*, ask_title: str, message: str, connection_id: int) -> Texts:
    """To the ask's owner. Seed 001 names nobody ("Someone offered..."); the feed shows the actor."""
    url = connection_url(connection_id)
    ask_title = _cut(ask_title, TITLE_MAX_CHARS)
    return Texts(
        title=f"Someone offered to help with: {ask_title}",
        body=_cut(message, 200),
        url=url,
        sms=f"Someone offered to help with your ask: {ask_title}. See it: {url}",
    )


def connection_accepted(*, actor: str, thread_id: int | None, connection_id: int) -> Texts:
    url = thread_url(thread_id) if thread_id else connection_url(connection_id)
    return Texts(
        title=f"@{actor} accepted! Start chatting",
        body="",
        url=url,
        sms=f"@{actor} accepted! Start chatting: {url}",
    )


def help_completed(*, actor: str, points: int | None, connection_id: int) -> Texts:
    """`points` None: nothing was awarded (a daily cap), so the text claims nothing."""
    earned = f"You earned +{points} points!" if points else ""
    sms = f"@{actor} marked your help as complete." + (f" {earned}" if earned else "")
    url = connection_url(connection_id)
    return Texts(title=f"@{actor} marked your help as complete", body=earned, url=url, sms=sms)


def new_follower(*, actor: str) -> Texts:
    url = profile_url(actor)
    sms = f"@{actor} started following you: {url}"
    return Texts(title=f"@{actor} started following you", body="", url=url, sms=sms)


def new_message(*, actor: str, preview: str, thread_id: int) -> Texts:
    url = thread_url(thread_id)
    return Texts(
        title=f"New message from @{actor}",
        body=_cut(preview, 200),
        url=url,
        sms=f"@{actor} sent you a message. Reply in app: {url}",
    )


_PROPOSAL_TITLES = {
    "proposed": "@{actor} proposed {amount}",
    "countered": "@{actor} countered with {amount}",
    "revised": "@{actor} revised their proposal to {amount}",
    "accepted": "@{actor} accepted your proposal of {amount}",
    "declined": "@{actor} declined your proposal of {amount}",
    "withdrawn": "@{actor} withdrew their proposal of {amount}",
}


def price_proposal(*, actor: str, action: str, amount: str, scope: str, message: str, connection_id: int) -> Texts:
    """To the other participant of a negotiation step. `amount`: the money as text ("$50.00 USD");
    the body is the step's message, else the proposal's scope. A proposal to answer asks for an
    answer in the SMS; an answer only says so."""
    url = connection_url(connection_id)
    title = _PROPOSAL_TITLES[action].format(actor=actor, amount=amount)
    ask = action in ("proposed", "countered", "revised")
    sms = f"{title}. {'Answer' if ask else 'See it'} in app: {url}"
    return Texts(title=_cut(title, 200), body=_cut(message or scope, 200), url=url, sms=sms)


def payment_url(payment_id: int) -> str:
    return site_url(f"/payments/{payment_id}")


# (status, to whom) -> the title. `amount`: the money as text ("$50.00 USD").
_PAYMENT_TITLES: dict[tuple[str, str], str] = {
    ("succeeded", "buyer"): "Payment received: {amount} for {what}",
    ("succeeded", "seller"): "@{buyer} paid you {amount} for {what}",
    ("failed", "buyer"): "Your payment of {amount} for {what} was declined",
    ("refunded", "buyer"): "Refunded: {amount} for {what}",
    ("refunded", "seller"): "A payment of {amount} for {what} was refunded",
    ("partially_refunded", "buyer"): "Partly refunded: {amount} for {what}",
    ("partially_refunded", "seller"): "A payment of {amount} for {what} was partly refunded",
    ("disputed", "seller"): "A payment of {amount} for {what} is disputed",
    ("mismatch", "buyer"): "We could not match your payment of {amount} for {what}; nothing was charged to you twice",
}


def payment(*, status: str, to: str, amount: str, what: str, buyer: str, detail: str, payment_id: int) -> Texts | None:
    """To the buyer and/or the seller when a payment's money moves; None when `to` hears nothing
    of this change (an open or expired checkout tells nobody)."""
    template = _PAYMENT_TITLES.get((status, to))
    if template is None:
        return None
    url = payment_url(payment_id) if to == "buyer" else site_url("/earnings")
    title = _cut(template.format(amount=amount, what=what, buyer=buyer), 200)
    return Texts(title=title, body=_cut(detail, 200), url=url, sms=f"{title}. See it: {url}")


def points_unlock(*, title: str, body: str = "") -> Texts:
    url = site_url("/points")
    return Texts(title=_cut(title, 200), body=_cut(body, 500), url=url, sms=f"{_cut(title, 200)} See it: {url}")


def verification_code(code: str, ttl_seconds: int) -> str:
    return f"Your Collective verification code is {code}. It expires in {max(1, ttl_seconds // 60)} minutes."


def new_match(*, side: str, ask_title: str, offer_title: str, ask_id: int, offer_id: int, count: int = 1) -> Texts:
    """A match (docs/matching.md). `side` is what the recipient owns: "offer" (a new ask their
    offer answers: the link goes to the ask) or "ask" (a new offer for their ask: to the offer).
    `count` > 1: earlier unread matches are folded into this one ("3 new matches for you")."""
    ask_title = _cut(ask_title, TITLE_MAX_CHARS)
    offer_title = _cut(offer_title, TITLE_MAX_CHARS)
    if side == "offer":
        url = site_url(f"/asks/{ask_id}")
        one = f'New match: someone asks for "{ask_title}", your {offer_title} fits'
        body = f'Your offer "{offer_title}" matches the ask "{ask_title}".'
    else:
        url = site_url(f"/offers/{offer_id}")
        one = f'New match for your ask "{ask_title}": {offer_title}'
        body = f'The offer "{offer_title}" matches your ask "{ask_title}".'
    title = f"{count} new matches for you" if count > 1 else _cut(one, 200)
    sms = f"{title}. See it: {url}"
    return Texts(title=title, body=body, url=url, sms=sms)
