"""Writes of price negotiation on a connection (issue 14): proposals, counters, acceptance.

Either participant proposes a price (integer cents in a `Currency`, an optional scope) with a
message; the other accepts, counters (a proposal of their own) or declines; the proposer may revise
(a new proposal of their own) or withdraw. Only accepting sets the connection's
`agreed_price_cents` and `currency` (through `connection_set_price`, in the same transaction). Every
proposal is kept, so the history reads in order (docs/connections.md, "Negotiation").

Rules, checked in this order:
- Participants only: anyone else gets the `404` the connection views answer (`not_found`).
- Not on a final connection (`409 connection_final`).
- Proposing and accepting change the price, so neither is possible once a payment is under way
  (`409 price_locked`: `payment_status` not `none`/`failed`). Declining and withdrawing change no
  price and stay possible then (they clear a proposal that can no longer be accepted).
- A proposal: `amount_cents` a whole number 1..PRICE_MAX_CENTS (0 is not a proposal), `currency`
  one of `Currency`, `scope` and `message` at most 2000 characters each (`400` naming the field).
- One pending proposal per connection. Proposing while the OTHER party's proposal is pending
  marks it `countered` and links the new one to it (`replaces`): that is the counter. Proposing
  while your own is pending marks it `withdrawn` and replaces it: a revision.
- Only the other party accepts or declines (`409 not_your_proposal_to_answer`); only the proposer
  withdraws (`409 not_your_proposal`); a proposal that is not pending cannot be answered or
  withdrawn (`409 proposal_not_pending`).

Concurrency: every service locks the connection row first (`select_for_update`), so steps on one
connection are serialised and the second sees the first one's result (a counter racing an accept
finds the proposal accepted: 409). The partial unique index (one pending proposal per connection)
is the second line of defence: its IntegrityError is the `409 proposal_pending`.

Events: each step announces `ConnectionUpdated` (`connection.updated` to both participants;
accepting does it through `connection_set_price`) and then one `ProposalChanged`, to which
messaging (the step as a message in the connection's thread) and notifications (a `price_proposal`
notification to the other participant) subscribe.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from collective import events
from collective.errors import CollectiveCode
from collective.models import Connection, Currency, PaymentStatus, PriceProposal, ProposalStatus, User
from collective.models.connections import FINAL_STATUSES
from collective.services.connections import PRICE_MAX_CENTS, connection_set_price
from core.errors import Conflict, CoreCode, DomainError, NotFound
from core.events import announce

SCOPE_MAX_LENGTH = 2000
MESSAGE_MAX_LENGTH = 2000

PROPOSED = "proposed"
COUNTERED = "countered"
REVISED = "revised"
ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
ACTIONS = (PROPOSED, COUNTERED, REVISED, ACCEPTED, DECLINED, WITHDRAWN)

_SYMBOLS: dict[str, str] = {
    Currency.USD: "$",
    Currency.EUR: "€",
    Currency.GBP: "£",
    Currency.CAD: "$",
    Currency.AUD: "$",
}


def money_text(amount_cents: int, currency: str) -> str:
    """`$1,234.50 USD`: exact from the cents (integer arithmetic, no float)."""
    units, cents = divmod(int(amount_cents), 100)
    return f"{_SYMBOLS.get(currency, '')}{units:,}.{cents:02d} {currency.upper()}"


def _lock_connection(connection: Connection | int, actor: User) -> Connection:
    """The connection under its row lock, if `actor` takes part in it (else the views' 404), and
    not final."""
    connection_id = connection.pk if isinstance(connection, Connection) else int(connection)
    locked = (
        Connection.objects.select_for_update().select_related("initiator", "responder").filter(pk=connection_id).first()
    )
    if locked is None or not locked.is_participant(actor):
        raise NotFound("No such connection.", code=CoreCode.NOT_FOUND)
    if locked.status in FINAL_STATUSES:
        raise Conflict(
            f"The connection is {locked.status}; its price can no longer be negotiated.",
            code=CollectiveCode.CONNECTION_FINAL,
        )
    return locked


def _check_price_open(connection: Connection) -> None:
    if connection.payment_status not in (PaymentStatus.NONE, PaymentStatus.FAILED):
        raise Conflict(
            f"The connection's payment is {connection.payment_status}; its price can no longer change.",
            code=CollectiveCode.PRICE_LOCKED,
        )


def _other_id(connection: Connection, actor: User) -> int:
    return connection.responder_id if actor.pk == connection.initiator_id else connection.initiator_id


def _text(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"{field} must be text.", code=CoreCode.INVALID, field=field)
    value = value.strip()
    if len(value) > limit:
        raise DomainError(f"{field} can be at most {limit} characters.", code=CoreCode.MAX_LENGTH, field=field)
    return value


def _validate(amount_cents: Any, currency: Any) -> tuple[int, str]:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 1 <= amount_cents <= PRICE_MAX_CENTS:
        raise DomainError(
            f"amount_cents must be a whole number of cents from 1 to {PRICE_MAX_CENTS}.",
            code=CoreCode.INVALID,
            field="amount_cents",
        )
    if currency not in Currency.values:
        raise DomainError(
            f"currency must be one of: {', '.join(Currency.values)}.", code=CoreCode.INVALID_CHOICE, field="currency"
        )
    return amount_cents, str(currency)


def _lock_proposal(connection: Connection, proposal: PriceProposal | int) -> PriceProposal:
    proposal_id = proposal.pk if isinstance(proposal, PriceProposal) else int(proposal)
    locked = PriceProposal.objects.select_for_update().filter(pk=proposal_id, connection_id=connection.pk).first()
    if locked is None:
        raise NotFound("No such proposal.", code=CoreCode.NOT_FOUND)
    if locked.status != ProposalStatus.PENDING:
        raise Conflict(
            f"This proposal is {locked.status}; it is not pending.", code=CollectiveCode.PROPOSAL_NOT_PENDING
        )
    return locked


def _close(proposal: PriceProposal, status: str, actor: User) -> None:
    proposal.status = status
    proposal.responded_by = actor
    proposal.responded_at = timezone.now()
    proposal.save(update_fields=["status", "responded_by", "responded_at"])


def _announce(
    *, connection: Connection, proposal: PriceProposal, action: str, actor: User, message: str, updated: bool = True
) -> None:
    if updated:
        # The proposal is part of the connection's state: `connection.updated` to both.
        announce(
            events.ConnectionUpdated(
                connection_id=connection.pk, previous_status=connection.status, connection=connection
            )
        )
    announce(
        events.ProposalChanged(
            connection_id=connection.pk,
            proposal_id=proposal.pk,
            action=action,
            actor_id=actor.pk,
            other_id=_other_id(connection, actor),
            message=message,
            proposal=proposal,
            connection=connection,
            actor=actor,
        )
    )


def _pending_conflict() -> Conflict:
    return Conflict(
        "Another proposal is pending on this connection; reload and answer it.", code=CollectiveCode.PROPOSAL_PENDING
    )


@transaction.atomic
def proposal_create(
    *,
    connection: Connection | int,
    actor: User,
    amount_cents: int,
    currency: str = Currency.USD,
    scope: str = "",
    message: str = "",
) -> PriceProposal:
    """Propose a price. A pending proposal of the other party is `countered` by it, a pending one
    of the actor's own is `withdrawn` (a revision); either way the new one `replaces` it."""
    locked = _lock_connection(connection, actor)
    _check_price_open(locked)
    amount_cents, currency = _validate(amount_cents, currency)
    scope = _text(scope, "scope", SCOPE_MAX_LENGTH)
    message = _text(message, "message", MESSAGE_MAX_LENGTH)

    pending = (
        PriceProposal.objects.select_for_update().filter(connection_id=locked.pk, status=ProposalStatus.PENDING).first()
    )
    action = PROPOSED
    if pending is not None:
        own = pending.proposer_id == actor.pk
        _close(pending, ProposalStatus.WITHDRAWN if own else ProposalStatus.COUNTERED, actor)
        action = REVISED if own else COUNTERED
    try:
        with transaction.atomic():  # a savepoint: the constraint decides a race the lock missed
            proposal = PriceProposal.objects.create(
                connection=locked,
                proposer=actor,
                amount_cents=amount_cents,
                currency=currency,
                scope=scope,
                message=message,
                replaces=pending,
            )
    except IntegrityError:
        raise _pending_conflict() from None
    _announce(connection=locked, proposal=proposal, action=action, actor=actor, message=message)
    return proposal


@transaction.atomic
def proposal_accept(*, proposal: PriceProposal, actor: User) -> tuple[PriceProposal, Connection]:
    """The other party accepts: the connection's agreed price and currency become the proposal's
    (`connection_set_price`, same transaction). Returns the proposal and the connection."""
    locked = _lock_connection(proposal.connection_id, actor)
    _check_price_open(locked)
    current = _lock_proposal(locked, proposal)
    if current.proposer_id == actor.pk:
        raise Conflict(
            "The other participant answers your proposal; you may revise or withdraw it.",
            code=CollectiveCode.NOT_YOUR_PROPOSAL_TO_ANSWER,
        )
    _close(current, ProposalStatus.ACCEPTED, actor)
    unchanged = (locked.agreed_price_cents, locked.currency) == (current.amount_cents, current.currency)
    # Announces `connection.updated` when the price changed; the same price again says nothing,
    # so then it is announced here (the proposal's state changed all the same).
    updated = connection_set_price(
        connection=locked, actor=actor, agreed_price_cents=current.amount_cents, currency=current.currency
    )
    _announce(connection=updated, proposal=current, action=ACCEPTED, actor=actor, message="", updated=unchanged)
    return current, updated


@transaction.atomic
def proposal_decline(*, proposal: PriceProposal, actor: User, message: str = "") -> PriceProposal:
    """The other party declines, with an optional message (posted in the thread, not stored on the
    proposal). The agreed price stays as it was."""
    locked = _lock_connection(proposal.connection_id, actor)
    message = _text(message, "message", MESSAGE_MAX_LENGTH)
    current = _lock_proposal(locked, proposal)
    if current.proposer_id == actor.pk:
        raise Conflict(
            "The other participant answers your proposal; you may revise or withdraw it.",
            code=CollectiveCode.NOT_YOUR_PROPOSAL_TO_ANSWER,
        )
    _close(current, ProposalStatus.DECLINED, actor)
    _announce(connection=locked, proposal=current, action=DECLINED, actor=actor, message=message)
    return current


@transaction.atomic
def proposal_withdraw(*, proposal: PriceProposal, actor: User) -> PriceProposal:
    """The proposer takes their pending proposal back."""
    locked = _lock_connection(proposal.connection_id, actor)
    current = _lock_proposal(locked, proposal)
    if current.proposer_id != actor.pk:
        raise Conflict(
            "Only its proposer can withdraw a proposal; accept, decline or counter it.",
            code=CollectiveCode.NOT_YOUR_PROPOSAL,
        )
    _close(current, ProposalStatus.WITHDRAWN, actor)
    _announce(connection=locked, proposal=current, action=WITHDRAWN, actor=actor, message="")
    return current
