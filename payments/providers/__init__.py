"""Payment providers, chosen like the SMS backends (notifications/sms/), themselves Django's
email-backend shape.

`get_backend()` returns the backend named by `settings.PAYMENT_BACKEND`, or else the Stripe backend
when `STRIPE_SECRET_KEY` is set, or else raises `PaymentsNotConfigured`: without keys (the embedded
default) every payment endpoint answers `503 payments_not_configured` (contract §7), and nothing
pretends to charge.

A backend's calls return the small frozen records below or raise `PaymentTransientError` (worth a
retry: network errors, timeouts, provider 5xx/429) or `PaymentPermanentError` (recorded, never
retried: a refused request, a declined card). Every create call takes an idempotency key, so a
retried call never charges, refunds or creates twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class PaymentsNotConfigured(Exception):
    """No provider keys: payments are off."""


class PaymentError(Exception):
    def __init__(self, message: str, *, code: str = "", status: int | None = None, param: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.param = param


class PaymentTransientError(PaymentError):
    """The provider did not answer, or not yet; the same call (same idempotency key) may succeed later."""


class PaymentPermanentError(PaymentError):
    """The provider refused; repeating the call would fail the same way."""


class WebhookSignatureError(Exception):
    """A webhook whose signature is missing, malformed, stale or wrong."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    payment_intent_id: str
    amount_total: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundState:
    id: str
    amount: int
    currency: str
    status: str  # pending, succeeded, failed, canceled


@dataclass(frozen=True)
class PaymentIntentState:
    id: str
    status: str  # requires_payment_method, processing, succeeded, canceled, ...
    amount: int
    currency: str
    metadata: dict[str, str]
    charge_id: str
    amount_refunded: int
    refunds: tuple[RefundState, ...]
    failure_code: str
    failure_message: str
    destination: str
    application_fee_amount: int


@dataclass(frozen=True)
class AccountState:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool


class PaymentBackend(Protocol):
    name: str

    def create_checkout_session(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        name: str,
        metadata: dict[str, str],
        success_url: str,
        cancel_url: str,
        expires_at: int,
        destination: str = "",
        application_fee_cents: int = 0,
        customer_email: str = "",
    ) -> CheckoutSession: ...

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentState: ...

    def refund(
        self,
        *,
        payment_intent_id: str,
        idempotency_key: str,
        amount_cents: int | None = None,
        reverse_transfer: bool = False,
        refund_application_fee: bool = False,
    ) -> RefundState: ...

    def create_account(self, *, idempotency_key: str, email: str, metadata: dict[str, str]) -> AccountState: ...

    def retrieve_account(self, account_id: str) -> AccountState: ...

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def construct_webhook_event(self, payload: bytes, signature: str) -> dict[str, Any]: ...


def configured() -> bool:
    return bool(settings.PAYMENT_BACKEND or settings.STRIPE_SECRET_KEY)


def backend_path() -> str:
    if settings.PAYMENT_BACKEND:
        return settings.PAYMENT_BACKEND
    if settings.STRIPE_SECRET_KEY:
        return "payments.providers.stripe.StripeBackend"
    raise PaymentsNotConfigured("Payments are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.")


def get_backend() -> PaymentBackend:
    return import_string(backend_path())()
