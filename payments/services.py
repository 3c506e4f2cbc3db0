"""Writes of payments (docs/payments.md).

The flow: a buyer asks to pay (a connection with an agreed price, a fixed-price offer, a credit
pack) -> a `Payment` row is written and committed -> a Stripe Checkout Session is opened for it,
outside any transaction, with the payment's idempotency key (a retried request gets the same
session) -> the buyer pays on Stripe's page -> Stripe's webhooks arrive (payments/api/webhooks) ->
each event is stored once and processed by a Celery task, which reads the PaymentIntent's current
state from Stripe and applies it here under a row lock on the payment.

Applying a state, not an event, is what makes processing order-free and repeatable: a duplicated,
late or out-of-order event reads the same current state and finds nothing left to do. Every
movement of money is a `LedgerEntry`, unique per (type, Stripe object), and a credit pack's credits
are one `purchase` row unique per PaymentIntent: no retry can write either twice.

The amount and currency Stripe reports are checked against the payment before anything is
credited; a difference leaves the payment `mismatch`, credits nothing, and is logged as a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from collective.errors import CollectiveCode
from collective.models import (
    AgentProfile,
    Connection,
    ConnectionStatus,
    CreditTransactionType,
    Offer,
    OfferStatus,
    OfferType,
    PaymentStatus,
    PricingType,
    User,
)
from collective.services.connections import connection_helped_id, connection_helper_id, connection_payment_changed
from collective.services.credits import credits_apply
from collective.services.points import lock_users
from core import metrics
from core.errors import Conflict, DomainError, NotFound, ServiceUnavailable
from core.events import announce
from core.outbox import enqueue_on_commit
from payments import events
from payments.errors import PaymentsCode
from payments.models import (
    DEFAULT_CREDIT_PACKS,
    OPEN_STATES,
    PAID_STATES,
    CreditPack,
    LedgerEntry,
    LedgerEntryType,
    Payment,
    PaymentKind,
    PaymentState,
    PayoutAccount,
    StripeEvent,
)
from payments.providers import (
    PaymentBackend,
    PaymentIntentState,
    PaymentPermanentError,
    PaymentsNotConfigured,
    PaymentTransientError,
    get_backend,
)

logger = logging.getLogger(__name__)

LIVE_STATES = (*OPEN_STATES, *PAID_STATES)
BUYABLE_OFFER_TYPES = (OfferType.APP, OfferType.COURSE, OfferType.TEMPLATE)
# The connection's payment_status for each payment state.
_CONNECTION_STATUS = {
    PaymentState.OPEN: PaymentStatus.PENDING,
    PaymentState.FAILED: PaymentStatus.FAILED,
    PaymentState.EXPIRED: PaymentStatus.NONE,
    PaymentState.SUCCEEDED: PaymentStatus.PAID,
    PaymentState.PARTIALLY_REFUNDED: PaymentStatus.PAID,
    PaymentState.REFUNDED: PaymentStatus.REFUNDED,
    PaymentState.DISPUTED: PaymentStatus.DISPUTED,
    PaymentState.MISMATCH: PaymentStatus.FAILED,
}


class ProviderRefused(DomainError):
    status_code = 502
    default_code = PaymentsCode.PAYMENT_PROVIDER_REFUSED


def backend() -> PaymentBackend:
    """The configured provider, or a `503 payments_not_configured`."""
    try:
        return get_backend()
    except PaymentsNotConfigured as exc:
        raise ServiceUnavailable(str(exc), retry_after=3600, code=PaymentsCode.PAYMENTS_NOT_CONFIGURED) from exc


def platform_fee(amount_cents: int) -> int:
    conf = settings.PAYMENTS
    fee = amount_cents * int(conf["PLATFORM_FEE_PERCENT"]) // 100 + int(conf["PLATFORM_FEE_FIXED_CENTS"])
    return max(0, min(amount_cents, fee))


def _payee_of(seller_id: int) -> int:
    """Whose Connect account is paid for a seller: an agent's owner (seed 001 sprint 9: agent
    payments go through the owner's account), else the seller."""
    owner = AgentProfile.objects.filter(user_id=seller_id).values_list("owner_id", flat=True).first()
    return int(owner) if owner else seller_id


def _earner(payment: Payment) -> int | None:
    """Whose earnings a payment's ledger rows move: the payee of its seller (None: the platform)."""
    return _payee_of(payment.seller_id) if payment.seller_id else None


def _destination_of(seller_id: int) -> str:
    account = PayoutAccount.objects.filter(user_id=_payee_of(seller_id)).first()
    if account is None or not account.charges_enabled:
        raise Conflict(
            "The creator has not finished setting up payouts, so they cannot be paid yet.",
            code=PaymentsCode.SELLER_NOT_PAYABLE,
        )
    return account.stripe_account_id


def _expires_at() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=int(settings.PAYMENTS["CHECKOUT_EXPIRES_MINUTES"]))


def _stale(payment: Payment) -> bool:
    """An open checkout whose session has certainly expired (its webhook may not have come yet)."""
    minutes = int(settings.PAYMENTS["CHECKOUT_EXPIRES_MINUTES"])
    return payment.status in OPEN_STATES and payment.created_at < timezone.now() - dt.timedelta(minutes=minutes)


def _lock_payment(payment_id: int) -> Payment:
    """Lock a payment for a change, in the project's lock order: its connection first (as every
    connection service does, and the checkout), then the buyer's user row for a credit pack (the
    credits ledger locks it; the pack checkout locks it first too), then the payment."""
    hint = Payment.objects.filter(pk=payment_id).values("connection_id", "buyer_id", "kind").first()
    if hint is not None and hint["connection_id"] is not None:
        Connection.objects.select_for_update().filter(pk=hint["connection_id"]).first()
    if hint is not None and hint["kind"] == PaymentKind.CREDIT_PACK:
        lock_users([hint["buyer_id"]])
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("credit_pack", "connection").get(pk=payment_id)
    )


def _set_state(payment: Payment, status: str, **fields: Any) -> None:
    """Move `payment` (locked) to `status`, save, announce, and keep its connection in step."""
    previous = str(payment.status)
    status = str(status)
    payment.status = status
    for key, value in fields.items():
        setattr(payment, key, value)
    payment.save()
    if previous != status:
        metrics.PAYMENT_TRANSITIONS.labels(status).inc()
        announce(
            events.PaymentChanged(
                payment_id=payment.pk,
                previous_status=previous,
                status=status,
                buyer_id=payment.buyer_id,
                seller_id=payment.seller_id,
                payment=payment,
            )
        )
    if payment.connection_id is not None:
        connection_payment_changed(
            connection_id=payment.connection_id,
            payment_status=_CONNECTION_STATUS[PaymentState(status)],
            payment_intent_id=payment.stripe_payment_intent_id,
            paid_at=payment.paid_at,
        )


def _new_payment(**fields: Any) -> Payment:
    payment = Payment.objects.create(idempotency_key=uuid.uuid4().hex, status=PaymentState.OPEN, **fields)
    announce(
        events.PaymentChanged(
            payment_id=payment.pk,
            previous_status="",
            status=str(payment.status),
            buyer_id=payment.buyer_id,
            seller_id=payment.seller_id,
            payment=payment,
        )
    )
    if payment.connection_id is not None:
        connection_payment_changed(connection_id=payment.connection_id, payment_status=PaymentStatus.PENDING)
    return payment


def _open_session(payment: Payment, provider: PaymentBackend) -> Payment:
    """Open the Checkout Session of a committed payment (no transaction is held over the call)."""
    if payment.stripe_checkout_session_id:
        return payment
    base = settings.SITE_URL.rstrip("/")
    try:
        session = provider.create_checkout_session(
            idempotency_key=payment.idempotency_key,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            name=payment.description,
            metadata={"payment_id": str(payment.pk), "kind": payment.kind},
            success_url=f"{base}/payments/{payment.pk}?checkout=success",
            cancel_url=f"{base}/payments/{payment.pk}?checkout=cancelled",
            expires_at=int(_expires_at().timestamp()),
            destination=payment.destination_account,
            application_fee_cents=payment.platform_fee_cents if payment.destination_account else 0,
            customer_email=payment.buyer.email or "",
        )
    except PaymentTransientError as exc:
        # The payment stays open without a session; the same request again reuses it and its key.
        logger.warning("payments: checkout for payment %s: provider unavailable (%s)", payment.pk, exc.code)
        raise ServiceUnavailable(
            "The payment provider did not answer; retry.", retry_after=2, code=PaymentsCode.PAYMENT_PROVIDER_UNAVAILABLE
        ) from exc
    except PaymentPermanentError as exc:
        logger.warning("payments: checkout for payment %s refused: %s %s", payment.pk, exc.code, exc.message)
        with transaction.atomic():
            locked = _lock_payment(payment.pk)
            if locked.status in OPEN_STATES:
                _set_state(locked, PaymentState.EXPIRED, failure_code=exc.code[:100], failure_message=exc.message[:500])
        raise ProviderRefused(f"The payment provider refused the request: {exc.message}") from exc
    Payment.objects.filter(pk=payment.pk, stripe_checkout_session_id="").update(
        stripe_checkout_session_id=session.id, checkout_url=session.url, updated_at=timezone.now()
    )
    metrics.PAYMENT_CHECKOUTS.labels(str(payment.kind)).inc()
    payment.refresh_from_db()
    return payment


def _reuse_or_expire(payment: Payment | None, *, amount_cents: int, currency: str) -> Payment | None:
    """An existing live payment for the same purchase: reused while open and still right; a paid
    one is a 409; an open one whose checkout has expired or whose price changed is closed here."""
    if payment is None:
        return None
    if payment.status in PAID_STATES:
        raise Conflict("This purchase is already paid.", code=PaymentsCode.ALREADY_PAID)
    if _stale(payment) or payment.amount_cents != amount_cents or payment.currency != currency:
        _set_state(payment, PaymentState.EXPIRED)
        return None
    return payment


def connection_checkout(*, connection_id: int, actor: User) -> tuple[Payment, bool]:
    """The buyer of a connection with an agreed price pays it. Returns (payment, created)."""
    provider = backend()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().filter(pk=connection_id).first()
        if connection is None or not connection.is_participant(actor):
            raise NotFound("No such connection.", code=CollectiveCode.CONNECTION_NOT_FOUND)
        if connection.is_final:
            raise Conflict(
                f"The connection is {connection.status}; that is final.", code=CollectiveCode.CONNECTION_FINAL
            )
        if not connection.needs_payment:
            raise Conflict(
                "This connection has no agreed price to pay; agree one through a proposal.",
                code=PaymentsCode.NOTHING_TO_PAY,
            )
        buyer_id, seller_id = connection_helped_id(connection), connection_helper_id(connection)
        if actor.pk != buyer_id:
            raise Conflict("Only the member who receives the help pays for it.", code=PaymentsCode.NOT_THE_BUYER)
        amount, currency = int(connection.agreed_price_cents or 0), connection.currency
        current = Payment.objects.select_for_update().filter(connection=connection, status__in=LIVE_STATES).first()
        payment = _reuse_or_expire(current, amount_cents=amount, currency=currency)
        created = payment is None
        if payment is None:
            destination = _destination_of(seller_id)
            title = (connection.offer.title if connection.offer_id and connection.offer else "") or (
                connection.ask.title if connection.ask_id and connection.ask else ""
            )
            payment = _new_payment(
                kind=PaymentKind.CONNECTION,
                buyer_id=buyer_id,
                seller_id=seller_id,
                connection=connection,
                description=(f"Connection #{connection.pk}" + (f": {title}" if title else ""))[:255],
                amount_cents=amount,
                currency=currency,
                platform_fee_cents=platform_fee(amount),
                destination_account=destination,
            )
    return _open_session(payment, provider), created


def offer_checkout(*, offer_id: int, actor: User) -> tuple[Payment, bool]:
    """Buy a published app, course or template with a one-time price."""
    provider = backend()
    with transaction.atomic():
        offer = Offer.objects.select_related("user").filter(pk=offer_id, status=OfferStatus.ACTIVE).first()
        if offer is None:
            raise NotFound("No such offer.", code=CollectiveCode.OFFER_NOT_FOUND)
        if offer.user_id == actor.pk:
            raise Conflict("You cannot buy your own offer.", code=PaymentsCode.OWN_OFFER)
        if (
            offer.offer_type not in BUYABLE_OFFER_TYPES
            or not offer.is_paid
            or offer.pricing_type != PricingType.ONE_TIME
            or offer.price_cents <= 0
        ):
            raise Conflict(
                "Only a published app, course or template with a one-time price can be bought; "
                "for anything else, start a connection and agree a price.",
                code=PaymentsCode.OFFER_NOT_FOR_SALE,
            )
        User.objects.select_for_update().filter(pk=actor.pk).first()  # one checkout per buyer at a time
        current = Payment.objects.select_for_update().filter(buyer=actor, offer=offer, status__in=LIVE_STATES).first()
        payment = _reuse_or_expire(current, amount_cents=offer.price_cents, currency=offer.currency)
        created = payment is None
        if payment is None:
            payment = _new_payment(
                kind=PaymentKind.OFFER,
                buyer=actor,
                seller_id=offer.user_id,
                offer=offer,
                description=offer.title[:255],
                amount_cents=offer.price_cents,
                currency=offer.currency,
                platform_fee_cents=platform_fee(offer.price_cents),
                destination_account=_destination_of(offer.user_id),
            )
    return _open_session(payment, provider), created


def credit_pack_checkout(*, slug: str, actor: User) -> tuple[Payment, bool]:
    """Buy a credit pack; the platform is the seller. An open checkout of the same pack by the
    same buyer is reused (a double click opens one session)."""
    provider = backend()
    with transaction.atomic():
        pack = CreditPack.objects.filter(slug=slug, is_active=True).first()
        if pack is None:
            raise NotFound("No such credit pack.", code=PaymentsCode.PACK_NOT_FOUND)
        User.objects.select_for_update().filter(pk=actor.pk).first()
        current = (
            Payment.objects.select_for_update()
            .filter(buyer=actor, credit_pack=pack, status__in=OPEN_STATES)
            .order_by("-created_at")
            .first()
        )
        payment = _reuse_or_expire(current, amount_cents=pack.price_cents, currency=pack.currency)
        created = payment is None
        if payment is None:
            payment = _new_payment(
                kind=PaymentKind.CREDIT_PACK,
                buyer=actor,
                credit_pack=pack,
                description=f"{pack.name} credit pack ({pack.credits} credits)"[:255],
                amount_cents=pack.price_cents,
                currency=pack.currency,
            )
    return _open_session(payment, provider), created


# --- applying what Stripe says -----------------------------------------------------------------


def _ledger(payment: Payment | None, *, entry_type: str, amount: int, currency: str, object_id: str, user_id) -> bool:
    """Append one ledger row unless this (type, object) is already recorded. The caller holds the
    payment's lock; the unique constraint is the second line of defence."""
    if amount == 0 or LedgerEntry.objects.filter(entry_type=entry_type, stripe_object_id=object_id).exists():
        return False
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                payment=payment,
                user_id=user_id,
                entry_type=entry_type,
                amount_cents=amount,
                currency=currency,
                stripe_object_id=object_id,
            )
    except IntegrityError:
        return False
    return True


def _capture(payment: Payment, intent: PaymentIntentState) -> None:
    charge = intent.charge_id or intent.id
    now = timezone.now()
    _ledger(
        payment,
        entry_type=LedgerEntryType.SALE,
        amount=payment.amount_cents,
        currency=payment.currency,
        object_id=charge,
        user_id=_earner(payment),
    )
    if payment.seller_id and payment.platform_fee_cents:
        _ledger(
            payment,
            entry_type=LedgerEntryType.PLATFORM_FEE,
            amount=-payment.platform_fee_cents,
            currency=payment.currency,
            object_id=charge,
            user_id=_earner(payment),
        )
    if payment.kind == PaymentKind.CREDIT_PACK and payment.credit_pack is not None:
        pack = payment.credit_pack
        try:
            with transaction.atomic():
                credits_apply(
                    user=payment.buyer_id,
                    amount=pack.credits,
                    transaction_type=CreditTransactionType.PURCHASE,
                    description=f"{pack.name} credit pack",
                    stripe_payment_intent_id=intent.id,
                    metadata={"payment_id": payment.pk, "pack": pack.slug},
                )
        except IntegrityError:
            logger.info("payments: credits of %s already bought", intent.id)
    _set_state(
        payment,
        PaymentState.SUCCEEDED,
        paid_at=now,
        stripe_payment_intent_id=intent.id,
        stripe_charge_id=intent.charge_id,
        failure_code="",
        failure_message="",
    )
    connection = payment.connection
    if connection is not None and connection.status in (ConnectionStatus.CANCELLED, ConnectionStatus.DECLINED):
        # Paid after the connection ended (a session paid late): give the money back.
        enqueue_refund(payment)


def _apply_refunds(payment: Payment, intent: PaymentIntentState) -> None:
    refunded = 0
    for refund in intent.refunds:
        if refund.status not in ("succeeded", "pending"):
            continue
        refunded += refund.amount
        if (
            _ledger(
                payment,
                entry_type=LedgerEntryType.REFUND,
                amount=-refund.amount,
                currency=payment.currency,
                object_id=refund.id,
                user_id=_earner(payment),
            )
            and payment.seller_id
            and payment.platform_fee_cents
        ):
            share = payment.platform_fee_cents * refund.amount // payment.amount_cents
            _ledger(
                payment,
                entry_type=LedgerEntryType.FEE_REFUND,
                amount=share,
                currency=payment.currency,
                object_id=refund.id,
                user_id=_earner(payment),
            )
    refunded = min(payment.amount_cents, max(refunded, intent.amount_refunded))
    if refunded <= payment.refunded_cents:
        return
    status = PaymentState.REFUNDED if refunded >= payment.amount_cents else PaymentState.PARTIALLY_REFUNDED
    if payment.status == PaymentState.DISPUTED:
        status = PaymentState.DISPUTED
    _set_state(payment, status, refunded_cents=refunded, refunded_at=timezone.now())


def _find_payment(*, payment_id: Any = None, payment_intent_id: str = "", session_id: str = "") -> Payment | None:
    query = Q(pk__in=[])
    if session_id:
        query |= Q(stripe_checkout_session_id=session_id)
    if payment_intent_id:
        query |= Q(stripe_payment_intent_id=payment_intent_id)
    if payment_id not in (None, "") and str(payment_id).isdigit():
        query |= Q(pk=int(payment_id))
    return Payment.objects.filter(query).order_by("pk").first()


def payment_apply_intent(*, payment_id: int, intent: PaymentIntentState) -> Payment:
    """Apply a PaymentIntent's current state to its payment (under the payment's lock)."""
    with transaction.atomic():
        payment = _lock_payment(payment_id)
        claimed = intent.metadata.get("payment_id", "")
        if claimed and claimed != str(payment.pk):
            logger.warning("payments: %s claims payment %s, not %s; ignored", intent.id, claimed, payment.pk)
            return payment
        if intent.status == "succeeded":
            if payment.status in (*OPEN_STATES, PaymentState.EXPIRED):
                problems = []
                if intent.amount != payment.amount_cents:
                    problems.append(f"amount {intent.amount} != {payment.amount_cents}")
                if intent.currency.lower() != payment.currency:
                    problems.append(f"currency {intent.currency} != {payment.currency}")
                if payment.destination_account and intent.destination != payment.destination_account:
                    problems.append(f"destination {intent.destination or '-'} != {payment.destination_account}")
                if problems:
                    logger.warning(
                        "payments: %s for payment %s refused: %s", intent.id, payment.pk, "; ".join(problems)
                    )
                    _set_state(
                        payment,
                        PaymentState.MISMATCH,
                        stripe_payment_intent_id=payment.stripe_payment_intent_id or intent.id,
                        failure_code="mismatch",
                        failure_message="; ".join(problems)[:500],
                    )
                    return payment
                _capture(payment, intent)
            if (
                payment.status in (*PAID_STATES, PaymentState.REFUNDED)
                and payment.stripe_payment_intent_id == intent.id
            ):
                _apply_refunds(payment, intent)
        elif intent.status in ("requires_payment_method", "requires_confirmation") and intent.failure_code:
            if payment.status == PaymentState.OPEN or (
                payment.status == PaymentState.FAILED and payment.failure_code != intent.failure_code
            ):
                _set_state(
                    payment,
                    PaymentState.FAILED,
                    stripe_payment_intent_id=payment.stripe_payment_intent_id or intent.id,
                    failure_code=intent.failure_code[:100],
                    failure_message=intent.failure_message[:500],
                )
        elif intent.status == "canceled" and payment.status in OPEN_STATES:
            _set_state(payment, PaymentState.EXPIRED)
        return payment


def payment_sync(*, payment: Payment, payment_intent_id: str = "", provider: PaymentBackend | None = None) -> Payment:
    """Read the payment's PaymentIntent from Stripe and apply it (no transaction held over the call)."""
    pi_id = payment_intent_id or payment.stripe_payment_intent_id
    if not pi_id:
        return payment
    intent = (provider or backend()).retrieve_payment_intent(pi_id)
    return payment_apply_intent(payment_id=payment.pk, intent=intent)


def session_expired(*, session_id: str, payment_id: Any = None) -> Payment | None:
    payment = _find_payment(session_id=session_id, payment_id=payment_id)
    if payment is None:
        return None
    with transaction.atomic():
        locked = _lock_payment(payment.pk)
        if locked.status in OPEN_STATES:
            _set_state(locked, PaymentState.EXPIRED)
        return locked


def dispute_record(
    *, charge_id: str, dispute_id: str, amount: int, currency: str, payment_intent_id: str = ""
) -> Payment | None:
    payment = _find_payment(payment_intent_id=payment_intent_id)
    if payment is None and charge_id:
        payment = Payment.objects.filter(stripe_charge_id=charge_id).first()
    if payment is None:
        return None
    with transaction.atomic():
        locked = _lock_payment(payment.pk)
        if locked.status not in (*PAID_STATES, PaymentState.REFUNDED):
            return locked
        if currency.lower() != locked.currency or amount > locked.amount_cents:
            logger.warning("payments: dispute %s does not match payment %s", dispute_id, locked.pk)
        _ledger(
            locked,
            entry_type=LedgerEntryType.DISPUTE,
            amount=-min(amount, locked.amount_cents),
            currency=locked.currency,
            object_id=dispute_id,
            user_id=_earner(locked),
        )
        if locked.status != PaymentState.DISPUTED:
            _set_state(locked, PaymentState.DISPUTED)
        return locked


def enqueue_refund(payment: Payment) -> None:
    from payments import tasks  # noqa: PLC0415 - tasks import this module; the cycle is inside the app

    enqueue_on_commit(tasks.payment_refund, args=[payment.pk])


def payment_refund(*, payment_id: int, provider: PaymentBackend | None = None) -> Payment:
    """Give a paid payment's money back in full (a connection cancelled or declined after paying):
    the transfer to the creator is reversed and the platform's fee refunded with it."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status not in PAID_STATES or payment.refunded_cents >= payment.amount_cents:
        return payment
    provider = provider or backend()
    provider.refund(
        payment_intent_id=payment.stripe_payment_intent_id,
        idempotency_key=f"refund-{payment.idempotency_key}",
        reverse_transfer=bool(payment.destination_account),
        refund_application_fee=bool(payment.destination_account and payment.platform_fee_cents),
    )
    return payment_sync(payment=payment, provider=provider)


def connection_ended(*, connection: Connection) -> None:
    """A connection was cancelled or declined (in its transaction): a paid payment is refunded,
    an open checkout is closed (if it is paid anyway, the capture refunds it)."""
    payment = Payment.objects.select_for_update().filter(connection_id=connection.pk, status__in=LIVE_STATES).first()
    if payment is None:
        return
    if payment.status in OPEN_STATES:
        _set_state(payment, PaymentState.EXPIRED)
        return
    if payment.status in PAID_STATES and payment.refunded_cents < payment.amount_cents:
        connection_payment_changed(connection_id=connection.pk, payment_status=PaymentStatus.REFUND_PENDING)
        enqueue_refund(payment)


# --- creators' payout accounts ------------------------------------------------------------------


def payout_onboarding_link(*, actor: User) -> tuple[PayoutAccount, str]:
    """Create (once) the creator's Connect Express account and an onboarding link for it."""
    provider = backend()
    account = PayoutAccount.objects.filter(user=actor).first()
    try:
        if account is None:
            state = provider.create_account(
                idempotency_key=f"payout-account-{actor.pk}",
                email=actor.email or "",
                metadata={"user_id": str(actor.pk)},
            )
            account, _ = PayoutAccount.objects.get_or_create(
                user=actor,
                defaults={
                    "stripe_account_id": state.id,
                    "charges_enabled": state.charges_enabled,
                    "payouts_enabled": state.payouts_enabled,
                    "details_submitted": state.details_submitted,
                },
            )
        base = settings.SITE_URL.rstrip("/")
        url = provider.create_account_link(
            account_id=account.stripe_account_id,
            refresh_url=f"{base}/earnings?onboarding=refresh",
            return_url=f"{base}/earnings?onboarding=return",
        )
    except PaymentTransientError as exc:
        raise ServiceUnavailable(
            "The payment provider did not answer; retry.", retry_after=2, code=PaymentsCode.PAYMENT_PROVIDER_UNAVAILABLE
        ) from exc
    except PaymentPermanentError as exc:
        raise ProviderRefused(f"The payment provider refused the request: {exc.message}") from exc
    return account, url


def payout_account_sync(*, account_id: str, provider: PaymentBackend | None = None) -> PayoutAccount | None:
    """`account.updated`: read the account's current flags from Stripe and keep them."""
    account = PayoutAccount.objects.filter(stripe_account_id=account_id).first()
    if account is None:
        return None
    state = (provider or backend()).retrieve_account(account_id)
    PayoutAccount.objects.filter(pk=account.pk).update(
        charges_enabled=state.charges_enabled,
        payouts_enabled=state.payouts_enabled,
        details_submitted=state.details_submitted,
        updated_at=timezone.now(),
    )
    account.refresh_from_db()
    return account


def payout_record(*, account_id: str, payout_id: str, amount: int, currency: str) -> bool:
    """`payout.paid` on a creator's account: money left their Stripe balance for their bank."""
    account = PayoutAccount.objects.filter(stripe_account_id=account_id).first()
    if account is None or amount <= 0:
        return False
    return _ledger(
        None,
        entry_type=LedgerEntryType.PAYOUT,
        amount=-amount,
        currency=currency.lower(),
        object_id=payout_id,
        user_id=account.user_id,
    )


# --- webhooks -------------------------------------------------------------------------------------


def webhook_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify and store one delivery (raises `WebhookSignatureError`); the first delivery of an
    event, or a redelivery of one not yet processed, queues its processing after commit."""
    provider = backend()
    event = provider.construct_webhook_event(payload, signature)
    from payments import tasks  # noqa: PLC0415 - tasks import this module; the cycle is inside the app

    with transaction.atomic():
        row, created = StripeEvent.objects.get_or_create(
            event_id=str(event["id"]),
            defaults={
                "event_type": str(event.get("type", ""))[:100],
                "account": str(event.get("account") or "")[:255],
                "payload": event,
            },
        )
        if not created:
            StripeEvent.objects.filter(pk=row.pk).update(deliveries=F("deliveries") + 1)
        if created or row.processed_at is None:
            enqueue_on_commit(tasks.stripe_event_process, args=[row.pk])
    metrics.STRIPE_WEBHOOKS.labels("new" if created else "duplicate").inc()
    return row, created


def _object(payload: dict[str, Any]) -> dict[str, Any]:
    return dict((payload.get("data") or {}).get("object") or {})


def _str(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def stripe_event_process(*, event_row_id: int, provider: PaymentBackend | None = None) -> str:
    """Process one stored event, once: what it leads to is applied by state (see the module doc),
    so a second run, a duplicate or a late event changes nothing."""
    row = StripeEvent.objects.filter(pk=event_row_id).first()
    if row is None:
        return "missing"
    if row.processed_at is not None:
        metrics.STRIPE_EVENTS_PROCESSED.labels("already_processed").inc()
        return "already processed"
    obj = _object(row.payload)
    kind = row.event_type
    outcome = "ignored"
    if kind.startswith("checkout.session."):
        metadata = obj.get("metadata") or {}
        payment = _find_payment(session_id=_str(obj.get("id")), payment_id=metadata.get("payment_id"))
        if payment is None:
            outcome = "unknown session"
        elif kind == "checkout.session.expired":
            session_expired(session_id=_str(obj.get("id")), payment_id=payment.pk)
            outcome = "expired"
        elif kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            payment_sync(payment=payment, payment_intent_id=_str(obj.get("payment_intent")), provider=provider)
            outcome = "synced"
    elif kind.startswith("payment_intent."):
        pi_id = _str(obj.get("id"))
        metadata = obj.get("metadata") or {}
        payment = _find_payment(payment_intent_id=pi_id, payment_id=metadata.get("payment_id"))
        if payment is None:
            outcome = "unknown payment intent"
        else:
            payment_sync(payment=payment, payment_intent_id=pi_id, provider=provider)
            outcome = "synced"
    elif kind in ("charge.refunded", "charge.succeeded", "charge.refund.updated"):
        pi_id = _str(obj.get("payment_intent"))
        payment = _find_payment(payment_intent_id=pi_id) or (
            Payment.objects.filter(stripe_charge_id=_str(obj.get("id"))).first() if obj.get("id") else None
        )
        if payment is None:
            outcome = "unknown charge"
        else:
            payment_sync(
                payment=payment, payment_intent_id=pi_id or payment.stripe_payment_intent_id, provider=provider
            )
            outcome = "synced"
    elif kind == "charge.dispute.created":
        found = dispute_record(
            charge_id=_str(obj.get("charge")),
            dispute_id=_str(obj.get("id")),
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or ""),
            payment_intent_id=_str(obj.get("payment_intent")),
        )
        outcome = "disputed" if found else "unknown charge"
    elif kind == "account.updated":
        account = payout_account_sync(account_id=_str(obj.get("id")) or row.account, provider=provider)
        outcome = "synced" if account else "unknown account"
    elif kind == "payout.paid":
        recorded = payout_record(
            account_id=row.account,
            payout_id=_str(obj.get("id")),
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or "usd"),
        )
        outcome = "recorded" if recorded else "nothing to record"
    StripeEvent.objects.filter(pk=row.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), attempts=row.attempts + 1, outcome=outcome[:100], last_error=""
    )
    logger.info("payments: event %s %s: %s", row.event_id, kind, outcome)
    metrics.STRIPE_EVENTS_PROCESSED.labels(outcome.replace(" ", "_")).inc()  # a fixed set of outcomes
    return outcome


def stripe_event_failed(*, event_row_id: int, error: str) -> None:
    StripeEvent.objects.filter(pk=event_row_id).update(last_error=error[:500], attempts=F("attempts") + 1)


def payment_refresh(*, payment: Payment) -> Payment:
    """Read the payment's state from Stripe now (the buyer's page after Checkout, when a webhook
    is late or cannot reach this server): the same application of state as the webhooks."""
    provider = backend()
    try:
        pi_id = payment.stripe_payment_intent_id
        if not pi_id and payment.stripe_checkout_session_id:
            session = provider.retrieve_checkout_session(payment.stripe_checkout_session_id)
            pi_id = session.payment_intent_id
            if not pi_id and session.status == "expired":
                return session_expired(session_id=session.id, payment_id=payment.pk) or payment
        if pi_id:
            payment = payment_sync(payment=payment, payment_intent_id=pi_id, provider=provider)
    except PaymentTransientError as exc:
        raise ServiceUnavailable(
            "The payment provider did not answer; retry.", retry_after=2, code=PaymentsCode.PAYMENT_PROVIDER_UNAVAILABLE
        ) from exc
    except PaymentPermanentError as exc:
        raise ProviderRefused(f"The payment provider refused the request: {exc.message}") from exc
    payment.refresh_from_db()
    return payment


def credit_packs_load() -> int:
    """Create the seed's credit packs that are missing (configured rows are left alone). The data
    migration does the same on `migrate`; tests (run without migrations) call this."""
    return sum(
        CreditPack.objects.get_or_create(slug=p["slug"], defaults={k: v for k, v in p.items() if k != "slug"})[1]
        for p in DEFAULT_CREDIT_PACKS
    )
