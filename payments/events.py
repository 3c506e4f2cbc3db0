"""The payments app's domain events (announced through `core.events`) and the socket event type
they become. The fan-out (realtime/subscribers.py) publishes `payment.updated` to the buyer and
the seller; notifications/subscribers.py tells them in words (receipt, "you've been paid",
a failed card, a refund, a dispute)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.events import DomainEvent
from payments.models import Payment

PAYMENT_UPDATED = "payment.updated"


@dataclass(frozen=True)
class PaymentChanged(DomainEvent):
    """A payment's state moved (`previous_status` -> `status`): a checkout opened, it was paid,
    declined, expired, refunded, disputed, or refused for a mismatch."""

    payment_id: int
    previous_status: str
    status: str
    buyer_id: int
    seller_id: int | None
    payment: Payment = field(compare=False, repr=False)
