"""messaging's subscriptions to other apps' domain events, registered from `MessagingConfig.ready()`.

A connection is the one place a thread is opened for another app: collective announces
`ConnectionCreated` and messaging opens (or reuses) the private thread between the two people,
names it on the connection (`dm_thread`) and posts the initial message as the thread's first
message. So collective never imports messaging (docs/architecture.md: no cycle between apps).

Each step of a price negotiation (`ProposalChanged`) is posted in the connection's thread as a
message from the one who took it ("Proposed $50.00 USD for: …"), through the one send path."""

from __future__ import annotations

from collective.events import ConnectionCreated, ProposalChanged
from collective.models import Connection
from collective.services import negotiation
from core.events import subscribe

from .services import message_send, thread_get_or_create

# Before realtime's fan-out (-100, realtime/subscribers.py): the `connection.created` payload names
# the thread, and the first `message.created` precedes `connection.created` in both streams.
OPEN_THREAD_ORDER = -200


def on_connection_created(event: ConnectionCreated) -> None:
    """In the connection's transaction: a failure here rolls the connection back."""
    connection = event.connection
    thread, _ = thread_get_or_create(user_a=connection.initiator, user_b=connection.responder)
    Connection.objects.filter(pk=connection.pk).update(dm_thread=thread)
    connection.dm_thread = thread
    # notify=False: the responder hears of the connection (notifications), not of its first message too.
    message_send(thread=thread, sender=connection.initiator, body=connection.initial_message, notify=False)


def proposal_message(event: ProposalChanged) -> str:
    """The thread's words for a negotiation step, from the actor's side."""
    proposal = event.proposal
    amount = negotiation.money_text(proposal.amount_cents, proposal.currency)
    if event.action in (negotiation.PROPOSED, negotiation.COUNTERED, negotiation.REVISED):
        lead = {
            negotiation.PROPOSED: f"Proposed {amount}",
            negotiation.COUNTERED: f"Countered with {amount}",
            negotiation.REVISED: f"Revised the proposal to {amount}",
        }[event.action]
        if proposal.scope:
            lead += f" for: {proposal.scope}"
        return f"{lead} — {event.message}" if event.message else lead
    if event.action == negotiation.ACCEPTED:
        return f"Accepted {amount}"
    if event.action == negotiation.DECLINED:
        lead = f"Declined the proposal of {amount}"
        return f"{lead}: {event.message}" if event.message else lead
    return f"Withdrew the proposal of {amount}"


def on_proposal_changed(event: ProposalChanged) -> None:
    """In the step's transaction. `notify=False`: notifications tells the other participant in its
    own words (`price_proposal`). The client_id makes the post once per step."""
    connection = event.connection
    if connection.dm_thread_id is None:  # every connection made by connection_create has its thread
        return
    message_send(
        thread_id=connection.dm_thread_id,
        sender=event.actor,
        body=proposal_message(event),
        client_id=f"proposal:{event.proposal_id}:{event.action}",
        notify=False,
    )


def register() -> None:
    subscribe(ConnectionCreated, on_connection_created, order=OPEN_THREAD_ORDER)
    # After realtime's fan-out: `connection.updated` (announced before) precedes `message.created`.
    subscribe(ProposalChanged, on_proposal_changed)
