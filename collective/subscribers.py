"""What the collective does when domain events are announced: every registration in one place,
loaded by `CollectiveConfig.ready()`.

Reputation: a rating, a completion or a cancellation queues a recompute of the users concerned.
In the transaction (phase "in_transaction"), because the queueing is an outbox row
(`core.outbox.enqueue_on_commit`): it commits with the change or not at all, and the outbox hands
it to Celery on commit, so a broker outage delays the recompute and never loses it. It locks no
rows, so its place among the other subscribers of these events does not matter for lock order.

Matching (docs/matching.md): a new ask (`AskCreated`) or an offer's first publication
(`OfferPublished`) records its best matches and announces them (`MatchCreated`), on commit and in a
transaction of its own: the creation never waits for the scoring and never fails because of it (a
failure is logged by core.events). A connection (`ConnectionCreated`) between the two sides of a
match records it on the match, in the connection's transaction (one UPDATE, no row locked first).

Points are not here (yet): the services award them themselves, inside the user-rows-then-streams
lock order of `toast_batch` (docs/economy.md), before they announce.
"""

from __future__ import annotations

from collective.events import (
    AskCreated,
    ConnectionCreated,
    ConnectionRated,
    ConnectionStatusChanged,
    OfferPublished,
)
from collective.models import ConnectionStatus
from collective.services.match_records import (
    match_connection_record,
    matches_record_for_ask,
    matches_record_for_offer,
)
from collective.tasks import reputation_recompute_task
from core.events import subscribe
from core.outbox import enqueue_on_commit

# The statuses that change a reputation (completed and cancelled connections are counted).
REPUTATION_STATUSES = frozenset({ConnectionStatus.COMPLETED, ConnectionStatus.CANCELLED})


def reputation_queue(*user_ids: int) -> None:
    """Queue a recompute for each user once the current transaction commits (a rolled-back
    change queues nothing)."""
    for user_id in sorted(set(user_ids)):
        enqueue_on_commit(reputation_recompute_task, args=[user_id])


def on_connection_status_changed(event: ConnectionStatusChanged) -> None:
    if event.status in REPUTATION_STATUSES:
        reputation_queue(event.connection.initiator_id, event.connection.responder_id)


def on_connection_rated(event: ConnectionRated) -> None:
    reputation_queue(event.rated_id)


def on_ask_created(event: AskCreated) -> None:
    matches_record_for_ask(ask_id=event.ask_id)


def on_offer_published(event: OfferPublished) -> None:
    matches_record_for_offer(offer_id=event.offer_id)


def on_connection_created(event: ConnectionCreated) -> None:
    match_connection_record(connection=event.connection)


def register() -> None:
    subscribe(ConnectionStatusChanged, on_connection_status_changed)
    subscribe(ConnectionRated, on_connection_rated)
    subscribe(AskCreated, on_ask_created, phase="on_commit")
    subscribe(OfferPublished, on_offer_published, phase="on_commit")
    subscribe(ConnectionCreated, on_connection_created)
