"""The Stripe backend, through the official `stripe` library (a `StripeClient` per backend).

`STRIPE_API_BASE` (optional) sends the library's requests to another host (a local fake in tests);
the requests are the library's own, unchanged. Timeouts and the library's network retries come
from `settings.PAYMENTS`; the library reuses the idempotency key on its retries.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings

from . import (
    AccountState,
    CheckoutSession,
    PaymentIntentState,
    PaymentPermanentError,
    PaymentTransientError,
    RefundState,
    WebhookSignatureError,
)


def _translate(exc: stripe.StripeError) -> Exception:
    status = getattr(exc, "http_status", None)
    code = str(getattr(exc, "code", "") or type(exc).__name__)
    message = getattr(exc, "user_message", None) or str(exc) or "Stripe error"
    param = str(getattr(exc, "param", "") or "")
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (status is not None and status >= 500):
        return PaymentTransientError(message, code=code, status=status, param=param)
    if isinstance(exc, stripe.APIError) and status is None:
        return PaymentTransientError(message, code=code, status=status, param=param)
    return PaymentPermanentError(message, code=code, status=status, param=param)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    try:
        value = obj[key]
    except (KeyError, TypeError, AttributeError):
        return default
    return default if value is None else value


def _plain(value: Any) -> dict[str, str]:
    """A metadata object (a StripeObject in the library's 16.x, not a mapping) as plain strings."""
    if not value:
        return {}
    data = value.to_dict() if hasattr(value, "to_dict") else dict(value)
    return {str(k): str(v) for k, v in data.items()}


def _id_of(value: Any) -> str:
    """An expandable field: an id string, or an object carrying one."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return str(_get(value, "id", ""))


def _session(obj: Any) -> CheckoutSession:
    return CheckoutSession(
        id=obj["id"],
        url=str(_get(obj, "url", "")),
        status=str(_get(obj, "status", "")),
        payment_status=str(_get(obj, "payment_status", "")),
        payment_intent_id=_id_of(_get(obj, "payment_intent")),
        amount_total=int(_get(obj, "amount_total", 0)),
        currency=str(_get(obj, "currency", "")),
        metadata=_plain(_get(obj, "metadata")),
    )


def _refund(obj: Any) -> RefundState:
    return RefundState(
        id=obj["id"],
        amount=int(_get(obj, "amount", 0)),
        currency=str(_get(obj, "currency", "")),
        status=str(_get(obj, "status", "")),
    )


def _account(obj: Any) -> AccountState:
    return AccountState(
        id=obj["id"],
        charges_enabled=bool(_get(obj, "charges_enabled", False)),
        payouts_enabled=bool(_get(obj, "payouts_enabled", False)),
        details_submitted=bool(_get(obj, "details_submitted", False)),
    )


class StripeBackend:
    name = "stripe"

    def __init__(self) -> None:
        conf = settings.PAYMENTS
        base: dict[str, Any] = {}
        if settings.STRIPE_API_BASE:
            base = {"api": settings.STRIPE_API_BASE, "connect": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=conf["MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(timeout=conf["TIMEOUT_SECONDS"]),
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

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
    ) -> CheckoutSession:
        intent_data: dict[str, Any] = {"metadata": metadata}
        if destination:
            intent_data["transfer_data"] = {"destination": destination}
            if application_fee_cents:
                intent_data["application_fee_amount"] = application_fee_cents
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": currency, "unit_amount": amount_cents, "product_data": {"name": name}},
                    "quantity": 1,
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "client_reference_id": metadata.get("payment_id", ""),
            "payment_intent_data": intent_data,
            "expires_at": expires_at,
        }
        if customer_email:
            params["customer_email"] = customer_email
        obj = self._call(
            self.client.v1.checkout.sessions.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return _session(obj)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return _session(self._call(self.client.v1.checkout.sessions.retrieve, session_id))

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentState:
        pi = self._call(self.client.v1.payment_intents.retrieve, payment_intent_id)
        charge_id = _id_of(_get(pi, "latest_charge"))
        amount_refunded = 0
        refunds: tuple[RefundState, ...] = ()
        if charge_id:
            charge = self._call(self.client.v1.charges.retrieve, charge_id)
            amount_refunded = int(_get(charge, "amount_refunded", 0))
            listed = self._call(self.client.v1.refunds.list, params={"charge": charge_id, "limit": 100})
            refunds = tuple(_refund(r) for r in _get(listed, "data", []))
        error = _get(pi, "last_payment_error", {}) or {}
        transfer = _get(pi, "transfer_data", {}) or {}
        return PaymentIntentState(
            id=pi["id"],
            status=str(_get(pi, "status", "")),
            amount=int(_get(pi, "amount", 0)),
            currency=str(_get(pi, "currency", "")),
            metadata=_plain(_get(pi, "metadata")),
            charge_id=charge_id,
            amount_refunded=amount_refunded,
            refunds=refunds,
            failure_code=str(_get(error, "code", "") or _get(error, "decline_code", "")),
            failure_message=str(_get(error, "message", ""))[:500],
            destination=_id_of(_get(transfer, "destination")),
            application_fee_amount=int(_get(pi, "application_fee_amount", 0)),
        )

    def refund(
        self,
        *,
        payment_intent_id: str,
        idempotency_key: str,
        amount_cents: int | None = None,
        reverse_transfer: bool = False,
        refund_application_fee: bool = False,
    ) -> RefundState:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount_cents is not None:
            params["amount"] = amount_cents
        if reverse_transfer:
            params["reverse_transfer"] = True
        if refund_application_fee:
            params["refund_application_fee"] = True
        obj = self._call(self.client.v1.refunds.create, params=params, options={"idempotency_key": idempotency_key})
        return _refund(obj)

    def create_account(self, *, idempotency_key: str, email: str, metadata: dict[str, str]) -> AccountState:
        params: dict[str, Any] = {
            "type": "express",
            "metadata": metadata,
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
        if email:
            params["email"] = email
        obj = self._call(self.client.v1.accounts.create, params=params, options={"idempotency_key": idempotency_key})
        return _account(obj)

    def retrieve_account(self, account_id: str) -> AccountState:
        return _account(self._call(self.client.v1.accounts.retrieve, account_id))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        obj = self._call(
            self.client.v1.account_links.create,
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
        )
        return str(obj["url"])

    def construct_webhook_event(self, payload: bytes, signature: str) -> dict[str, Any]:
        if not settings.STRIPE_WEBHOOK_SECRET:
            raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not set: no webhook can be verified.")
        try:
            event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureError(str(exc)) from exc
        except ValueError as exc:  # the payload is not JSON
            raise WebhookSignatureError(f"invalid payload: {exc}") from exc
        return event.to_dict()
