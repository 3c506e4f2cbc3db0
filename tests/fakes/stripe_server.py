"""A local fake of Stripe, run as its own process, for the tests of the Stripe integration.

    python -m tests.fakes.stripe_server --port P [--webhook-url URL] --webhook-secret S

It is localstripe (its aiohttp `app`: customers, payment methods, payment intents, charges,
refunds, events...) plus what localstripe lacks, added to the same app in this process:

- Connect Express accounts (`/v1/accounts`), account links (`/v1/account_links`) and a browser
  onboarding page (`/connect/onboard/<acct>`) whose button completes the account.
- Checkout Sessions (`/v1/checkout/sessions`, `.../expire`, `.../line_items`) in payment mode with
  `price_data` line items and destination charges, and a hosted pay page (`/checkout/<id>`) that
  pays with localstripe's own PaymentMethod and PaymentIntent classes.
- Webhook delivery: every event (localstripe's and ours) is serialised once, signed with the
  webhook secret by Stripe's scheme (`Stripe-Signature: t=<ts>,v1=<hmac-sha256>`), appended to an
  in-memory outbox and, when a webhook URL is set, POSTed to it in order (no retries).
- Control endpoints for tests (no API key): `GET /_fake/health`, `GET /_fake/outbox?since=N`,
  `POST /_fake/webhook_url {url}`, `POST /_fake/accounts/<id>/complete`,
  `POST /_fake/checkout/<id>/pay {card}`, `POST /_fake/events {type, object, account?}`.

Deviations from localstripe, to behave as Stripe does: no disk persistence (its Store pickles to
/tmp on every write: parallel fakes would share state); the decline test cards (4000000000000002,
...) decline charges, not only attaching; a refund emits `charge.refunded`; PaymentIntents and
Charges carry `application_fee_amount`, `transfer_data`, `on_behalf_of`, `transfer_group` and
`description`; a PaymentIntent's `latest_charge` is an id unless expanded; events carry the
library's API version, `pending_webhooks` and `request`.

tests/fakes/stripe.py starts it and talks to its control endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import logging
import sys
import time
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from localstripe import resources, server, webhooks
from localstripe.errors import UserError
from localstripe.resources import Charge, Event, PaymentIntent, PaymentMethod, Refund, Store, StripeObject

from tests.fakes.stripe import sign

log = logging.getLogger("stripe_fake")

API_VERSION = "2026-10-28.endive"  # what stripe 16.1.0 sends (stripe._api_version)
CONTROL_PREFIXES = ("/_fake/", "/checkout/", "/connect/")
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


# --- localstripe, made per-process and Stripe-like ---------------------------------------------
def _no_disk(self, *args, **kwargs) -> None:
    return None


Store.dump_to_disk = _no_disk
Store.try_load_from_disk = _no_disk

_orig_charging_is_declined = PaymentMethod._charging_is_declined


def _charging_is_declined(self) -> bool:
    # localstripe declines 4000000000000002 & co only when attaching to a customer; Stripe declines
    # the charge too.
    return _orig_charging_is_declined(self) or PaymentMethod._attaching_is_declined(self)


PaymentMethod._charging_is_declined = _charging_is_declined

# Connect and description fields Stripe has on PaymentIntents and Charges.
PAYMENT_EXTRAS = ("application_fee_amount", "transfer_data", "on_behalf_of", "transfer_group", "description")
# PaymentIntent parameters localstripe rejects ("Unexpected ...") that change nothing here: kept as fields.
PI_HARMLESS = ("automatic_payment_methods", "receipt_email", "statement_descriptor", "statement_descriptor_suffix")

_orig_pi_init = PaymentIntent.__init__


def _pi_init(self, *args, **kwargs) -> None:
    extras = {name: kwargs.pop(name, None) for name in PAYMENT_EXTRAS + PI_HARMLESS}
    fee = extras["application_fee_amount"]
    if fee is not None:
        fee = resources.try_convert_to_int(fee)
        if type(fee) is not int or fee < 0:
            raise UserError(400, "Invalid integer: application_fee_amount", {"param": "application_fee_amount"})
        extras["application_fee_amount"] = fee
    transfer = extras["transfer_data"]
    if transfer is not None:
        if not isinstance(transfer, dict) or not transfer.get("destination"):
            raise UserError(400, "Missing required param: transfer_data[destination].", {"param": "transfer_data"})
        _connected_account(transfer["destination"], "transfer_data[destination]")
    _orig_pi_init(self, *args, **kwargs)
    for name, value in extras.items():
        setattr(self, name, value)


PaymentIntent.__init__ = _pi_init

_orig_charge_init = Charge.__init__


def _charge_init(self, *args, **kwargs) -> None:
    _orig_charge_init(self, *args, **kwargs)
    for name in PAYMENT_EXTRAS:
        if not hasattr(self, name):
            setattr(self, name, None)


Charge.__init__ = _charge_init


def _pi_create_charge(self, on_failure_now) -> None:
    # localstripe's PaymentIntent._create_charge, copying the Connect fields onto the charge.
    if self.status != "requires_confirmation":
        raise UserError(400, "Bad request")
    charge = Charge(
        amount=self.amount,
        currency=self.currency,
        customer=self.customer,
        source=self.payment_method,
        capture=(self.capture_method != "manual"),
        metadata=dict(self.metadata),
    )
    charge.payment_intent = self.id
    for name in PAYMENT_EXTRAS:
        setattr(charge, name, getattr(self, name, None))
    self.latest_charge = charge
    charge._initialize_charge(self._on_success, on_failure_now, self._report_async_failure)


PaymentIntent._create_charge = _pi_create_charge

_orig_pi_export = PaymentIntent._export


def _pi_export(self, expand=None):
    obj = _orig_pi_export(self, expand=expand)
    expanded = any(e == "latest_charge" or e.startswith("latest_charge.") for e in (expand or []))
    if isinstance(obj.get("latest_charge"), dict) and not expanded:
        obj["latest_charge"] = obj["latest_charge"]["id"]
    return obj


PaymentIntent._export = _pi_export

_orig_event_init = Event.__init__


def _event_init(self, type, data) -> None:
    _orig_event_init(self, type, data)
    self.api_version = API_VERSION
    self.pending_webhooks = 1
    self.request = {"id": None, "idempotency_key": None}


Event.__init__ = _event_init

_orig_refund_init = Refund.__init__


def _refund_init(
    self,
    charge=None,
    payment_intent=None,
    amount=None,
    reason=None,
    reverse_transfer=None,
    refund_application_fee=None,
    instructions_email=None,
    **kwargs,
) -> None:
    if reason is not None and reason not in ("duplicate", "fraudulent", "requested_by_customer"):
        raise invalid(f"Invalid reason: {reason}", "reason")
    # localstripe refunds the whole charge by default and lets refunds exceed it; Stripe refunds
    # what is left and refuses more.
    charge_obj = None
    if isinstance(charge, str):
        charge_obj = resources.store.get(f"charge:{charge}")
    elif isinstance(payment_intent, str):
        pi = resources.store.get(f"payment_intent:{payment_intent}")
        charge_obj = pi.latest_charge if pi is not None else None
    if charge_obj is not None and charge_obj.status == "succeeded":
        left = charge_obj.amount - charge_obj.amount_refunded
        if left <= 0:
            raise invalid(f"Charge {charge_obj.id} has already been refunded.", code="charge_already_refunded")
        wanted = resources.try_convert_to_int(amount) if amount is not None else left
        if type(wanted) is int and wanted > left:
            raise invalid(f"Refund amount ({wanted}) is greater than unrefunded amount on charge ({left})", "amount")
        amount = wanted
    _orig_refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, **kwargs)
    self.reason = reason
    self._reverse_transfer = resources.try_convert_to_bool(reverse_transfer) is True
    self._refund_application_fee = resources.try_convert_to_bool(refund_application_fee) is True
    charge = Charge._api_retrieve(self.charge)
    if self.payment_intent is None:
        self.payment_intent = charge.payment_intent
    emit("charge.refunded", charge)


Refund.__init__ = _refund_init

_orig_charge_list_all = Charge._api_list_all.__func__


def _charge_list_all(cls, url, payment_intent=None, **kwargs):
    # localstripe's list has no payment_intent filter (a TypeError, so a 500).
    li = _orig_charge_list_all(cls, url, **kwargs)
    if payment_intent is not None:
        li._list = [c for c in li._list if c.payment_intent == payment_intent]
    return li


Charge._api_list_all = classmethod(_charge_list_all)


# --- webhooks: signed once, recorded, delivered in order ----------------------------------------
class Outbox:
    def __init__(self, secret: str, url: str | None) -> None:
        self.secret = secret
        self.url = url
        self.entries: list[dict[str, Any]] = []
        self.queue: asyncio.Queue[dict[str, Any]] | None = None
        self.worker: asyncio.Task | None = None
        self.session: ClientSession | None = None

    def record(self, event: StripeObject) -> dict[str, Any]:
        payload = json.dumps(event._export(), indent=2, sort_keys=True)
        entry = {
            "seq": len(self.entries) + 1,
            "event_id": event.id,
            "type": event.type,
            "payload": payload,
            "headers": {
                "Stripe-Signature": sign(payload.encode(), self.secret),
                "Content-Type": "application/json; charset=utf-8",
            },
            "delivery": None,
        }
        self.entries.append(entry)
        if self.url:
            entry["delivery"] = {"url": self.url, "status": None, "error": None, "done": False}
            self._queue().put_nowait(entry)
        return entry

    def _queue(self) -> asyncio.Queue[dict[str, Any]]:
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.worker = asyncio.ensure_future(self._deliver_all())
        return self.queue

    async def _deliver_all(self) -> None:
        assert self.queue is not None
        while True:
            entry = await self.queue.get()
            try:
                await self._deliver(entry)
            except Exception:  # a delivery bug must not stop the worker
                log.exception("webhook %s %s: delivery crashed", entry["type"], entry["event_id"])

    async def _deliver(self, entry: dict[str, Any]) -> None:
        delivery = entry["delivery"]
        if self.session is None:
            self.session = ClientSession(timeout=ClientTimeout(total=10))
        try:
            async with self.session.post(
                delivery["url"], data=entry["payload"].encode(), headers=entry["headers"]
            ) as res:
                delivery["status"] = res.status
                await res.read()
            if 200 <= res.status < 300:
                log.info("webhook %s %s: delivered (%d)", entry["type"], entry["event_id"], res.status)
            else:
                log.warning("webhook %s %s: answered %d (not retried)", entry["type"], entry["event_id"], res.status)
        except Exception as exc:
            delivery["error"] = f"{type(exc).__name__}: {exc}"
            log.warning("webhook %s %s to %s failed: %s", entry["type"], entry["event_id"], delivery["url"], exc)
        finally:
            delivery["done"] = True

    async def close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        if self.session is not None:
            await self.session.close()


OUTBOX = Outbox(secret="", url=None)


def schedule_webhook(event: StripeObject) -> None:
    OUTBOX.record(event)


async def _send_webhook(event: StripeObject) -> None:
    OUTBOX.record(event)


webhooks.schedule_webhook = schedule_webhook
webhooks._send_webhook = _send_webhook
resources.schedule_webhook = schedule_webhook  # the name localstripe.resources imported


class _Raw:
    """An event's data.object given as a plain dict."""

    def __init__(self, obj: dict) -> None:
        self.obj = obj

    def _export(self, expand=None) -> dict:
        return json.loads(json.dumps(self.obj))


def emit(type: str, obj: StripeObject | dict, account: str | None = None) -> dict[str, Any]:
    event = Event(type, _Raw(obj) if isinstance(obj, dict) else obj)
    if account:
        event.account = account
    return OUTBOX.record(event)


# --- helpers ------------------------------------------------------------------------------------
def invalid(message: str, param: str | None = None, status: int = 400, **extra) -> UserError:
    contents = {"param": param} if param else {}
    contents.update(extra)
    return UserError(status, message, contents)


def _int(value, param: str, minimum: int = 1) -> int:
    value = resources.try_convert_to_int(value)
    if type(value) is not int:
        raise invalid(f"Invalid integer: {value}", param)
    if value < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param)
    return value


def _bool(value) -> bool:
    return resources.try_convert_to_bool(value) is True


def _metadata(value, param: str = "metadata") -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param)
    for key, item in value.items():
        if not isinstance(item, str | int | float) or len(str(key)) > 40 or len(str(item)) > 500:
            raise invalid(f"Invalid value for metadata key {key!r}", f"{param}[{key}]")
    return {str(k): str(v) for k, v in value.items()}


def _url(value, param: str, required: bool = True) -> str | None:
    if value in (None, ""):
        if required:
            raise invalid(f"Missing required param: {param}.", param)
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise invalid("Not a valid URL", param)
    return value


def _unknown(data: dict, allowed: set[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise invalid(f"Received unknown parameter: {name}", name)


def _connected_account(account_id, param: str) -> Account:
    account = store_get("account", account_id)
    if account is None:
        raise invalid(f"No such destination: '{account_id}'", param, code="resource_missing")
    if not account.charges_enabled:
        raise invalid(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            param,
            code="insufficient_capabilities_for_transfer",
        )
    return account


def store_get(object_name: str, id) -> Any:
    if not isinstance(id, str):
        return None
    return resources.store.get(f"{object_name}:{id}")


def base_url_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def form_or_json(request: web.Request) -> dict:
    return await server.get_post_data(request) or {}


def json_response(obj, status: int = 200) -> web.Response:
    return server.json_response(obj, status=status)


# --- Connect ------------------------------------------------------------------------------------
ACCOUNT_PARAMS = {
    "type",
    "country",
    "email",
    "capabilities",
    "metadata",
    "business_type",
    "business_profile",
    "controller",
    "default_currency",
    "settings",
    "tos_acceptance",
    "individual",
    "company",
}
COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "JP": "jpy", "CH": "chf"}
INITIAL_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, type=None, country=None, email=None, capabilities=None, metadata=None, **kwargs) -> None:
        _unknown(kwargs, ACCOUNT_PARAMS)
        controller = kwargs.get("controller")
        if type is None and not controller:
            type = "standard"
        if type is not None and type not in ("express", "standard", "custom"):
            raise invalid(f"Invalid type: must be one of express, standard, or custom (got {type!r})", "type")
        country = (country or "US").upper()
        if len(country) != 2 or not country.isalpha():
            raise invalid(
                f"Country '{country}' is unknown. Try using a 2-character alphanumeric country code.", "country"
            )
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise invalid("Invalid email address: " + str(email), "email")
        if capabilities is not None and not isinstance(capabilities, dict):
            raise invalid("Invalid object", "capabilities")
        for name, spec in (capabilities or {}).items():
            if not isinstance(spec, dict) or "requested" not in spec:
                raise invalid(f"Missing required param: capabilities[{name}][requested].", f"capabilities[{name}]")
        business_type = kwargs.get("business_type")
        if business_type is not None and business_type not in (
            "individual",
            "company",
            "non_profit",
            "government_entity",
        ):
            raise invalid("Invalid business_type", "business_type")
        metadata = _metadata(metadata)
        super().__init__()
        self.type = type
        self.country = country
        self.email = email
        self.business_type = business_type
        self.business_profile = kwargs.get("business_profile") or {}
        self.controller = controller or {"type": "application", "is_controller": True}
        self.default_currency = kwargs.get("default_currency") or COUNTRY_CURRENCY.get(country, "eur")
        self.metadata = metadata
        self.capabilities = {
            name: "inactive" for name, spec in (capabilities or {}).items() if _bool(spec.get("requested"))
        }
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = {
            "currently_due": list(INITIAL_REQUIREMENTS),
            "eventually_due": list(INITIAL_REQUIREMENTS),
            "past_due": list(INITIAL_REQUIREMENTS),
            "pending_verification": [],
            "errors": [],
            "current_deadline": None,
            "disabled_reason": "requirements.past_due",
        }
        self.settings = kwargs.get("settings") or {}
        self.tos_acceptance = kwargs.get("tos_acceptance") or {}

    def _complete(self) -> dict[str, Any]:
        self.charges_enabled = True
        self.payouts_enabled = True
        self.details_submitted = True
        self.capabilities = {name: "active" for name in self.capabilities} or {
            "card_payments": "active",
            "transfers": "active",
        }
        self.requirements = {
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "pending_verification": [],
            "errors": [],
            "current_deadline": None,
            "disabled_reason": None,
        }
        return emit("account.updated", self, account=self.id)


class AccountLink(StripeObject):
    object = "account_link"
    _id_prefix = "link_"

    def __init__(self, account=None, refresh_url=None, return_url=None, type=None, collect=None, **kwargs) -> None:
        _unknown(kwargs, {"collection_options"})
        if not account:
            raise invalid("Missing required param: account.", "account")
        if store_get("account", account) is None:
            raise invalid(f"No such account: '{account}'", "account", code="resource_missing")
        if type not in ("account_onboarding", "account_update"):
            raise invalid("Invalid type: must be one of account_onboarding or account_update", "type")
        refresh_url = _url(refresh_url, "refresh_url")
        return_url = _url(return_url, "return_url")
        super().__init__()
        self._account = account
        self._refresh_url = refresh_url
        self._return_url = return_url
        self._type = type
        self.expires_at = self.created + 300
        self.url = None  # set by the route (it knows the fake's base URL)

    def _export(self, expand=None) -> dict:
        return {"object": "account_link", "created": self.created, "expires_at": self.expires_at, "url": self.url}


# --- Checkout Sessions --------------------------------------------------------------------------
SESSION_PARAMS = {
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "customer_email",
    "customer",
    "metadata",
    "payment_intent_data",
    "expires_at",
    "payment_method_types",
    "locale",
    "submit_type",
    "billing_address_collection",
    "allow_promotion_codes",
    "ui_mode",
}
PID_PARAMS = {
    "metadata",
    "application_fee_amount",
    "transfer_data",
    "description",
    "on_behalf_of",
    "transfer_group",
    "capture_method",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
}


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(
        self,
        mode=None,
        line_items=None,
        success_url=None,
        cancel_url=None,
        client_reference_id=None,
        customer_email=None,
        metadata=None,
        payment_intent_data=None,
        expires_at=None,
        **kwargs,
    ) -> None:
        _unknown(kwargs, SESSION_PARAMS)
        if mode is None:
            raise invalid("Missing required param: mode.", "mode")
        if mode != "payment":
            raise invalid(f"Only mode=payment is supported by the fake (got {mode!r})", "mode")
        success_url = _url(success_url, "success_url")
        cancel_url = _url(cancel_url, "cancel_url", required=False)
        if not isinstance(line_items, list) or not line_items:
            raise invalid("Missing required param: line_items.", "line_items")
        items, currency = [], None
        for i, item in enumerate(line_items):
            p = f"line_items[{i}]"
            if not isinstance(item, dict):
                raise invalid("Invalid object", p)
            _unknown(item, {"price_data", "quantity"}, p)
            price_data = item.get("price_data")
            if not isinstance(price_data, dict):
                raise invalid(f"Missing required param: {p}[price_data].", f"{p}[price_data]")
            _unknown(price_data, {"currency", "unit_amount", "product_data", "tax_behavior"}, f"{p}[price_data]")
            cur = price_data.get("currency")
            if not isinstance(cur, str) or len(cur) != 3 or not cur.isalpha() or not cur.islower():
                raise invalid(f"Invalid currency: {cur}", f"{p}[price_data][currency]")
            if currency is not None and cur != currency:
                raise invalid("All line items must have the same currency.", f"{p}[price_data][currency]")
            currency = cur
            if "unit_amount" not in price_data:
                raise invalid(f"Missing required param: {p}[price_data][unit_amount].", f"{p}[price_data][unit_amount]")
            unit_amount = _int(price_data["unit_amount"], f"{p}[price_data][unit_amount]")
            product = price_data.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise invalid(
                    f"Missing required param: {p}[price_data][product_data][name].",
                    f"{p}[price_data][product_data][name]",
                )
            if "quantity" not in item:
                raise invalid(f"Missing required param: {p}[quantity].", f"{p}[quantity]")
            quantity = _int(item["quantity"], f"{p}[quantity]")
            items.append(
                {
                    "name": str(product["name"]),
                    "description": product.get("description"),
                    "unit_amount": unit_amount,
                    "quantity": quantity,
                    "currency": cur,
                }
            )
        total = sum(item["unit_amount"] * item["quantity"] for item in items)
        if client_reference_id is not None and (
            not isinstance(client_reference_id, str) or len(client_reference_id) > 200
        ):
            raise invalid("client_reference_id must be a string of at most 200 characters", "client_reference_id")
        if customer_email is not None and (not isinstance(customer_email, str) or "@" not in customer_email):
            raise invalid(f"Invalid email address: {customer_email}", "customer_email")
        metadata = _metadata(metadata)
        pid = payment_intent_data or {}
        if not isinstance(pid, dict):
            raise invalid("Invalid object", "payment_intent_data")
        _unknown(pid, PID_PARAMS, "payment_intent_data")
        pi_metadata = _metadata(pid.get("metadata"), "payment_intent_data[metadata]")
        transfer = pid.get("transfer_data")
        destination = None
        if transfer is not None:
            if not isinstance(transfer, dict) or not transfer.get("destination"):
                raise invalid(
                    "Missing required param: payment_intent_data[transfer_data][destination].",
                    "payment_intent_data[transfer_data][destination]",
                )
            _unknown(transfer, {"destination", "amount"}, "payment_intent_data[transfer_data]")
            destination = transfer["destination"]
            _connected_account(destination, "payment_intent_data[transfer_data][destination]")
        fee = pid.get("application_fee_amount")
        if fee is not None:
            fee = _int(fee, "payment_intent_data[application_fee_amount]", minimum=0)
            if destination is None and not pid.get("on_behalf_of"):
                raise invalid(
                    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
                    "(using an OAuth key or Stripe-Account header) or destination payment (using "
                    "`transfer_data[destination]`).",
                    "payment_intent_data[application_fee_amount]",
                )
            if fee > total:
                raise invalid(
                    "The application fee amount cannot be greater than the amount of the payment.",
                    "payment_intent_data[application_fee_amount]",
                )
        now = int(time.time())
        if expires_at is None:
            expires_at = now + 24 * 3600
        else:
            expires_at = _int(expires_at, "expires_at")
            if not now + 30 * 60 - 5 <= expires_at <= now + 24 * 3600 + 5:
                raise invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session "
                    "creation.",
                    "expires_at",
                )
        transfer_data = None
        if destination:
            transfer_data = {"destination": destination}
            if "amount" in transfer:
                transfer_data["amount"] = _int(transfer["amount"], "payment_intent_data[transfer_data][amount]")
        super().__init__()
        self.mode = mode
        self.status = "open"
        self.payment_status = "unpaid"
        self.url = None  # set by the route (it knows the fake's base URL)
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.client_reference_id = client_reference_id
        self.customer = kwargs.get("customer")
        self.customer_email = customer_email
        self.customer_details = None
        self.metadata = metadata
        self.amount_subtotal = total
        self.amount_total = total
        self.currency = currency
        self.payment_intent = None
        self.payment_method_types = ["card"]
        self.expires_at = expires_at
        self.locale = kwargs.get("locale")
        self.submit_type = kwargs.get("submit_type")
        self.ui_mode = "hosted"
        self._items = items
        self._pi = {
            "metadata": pi_metadata,
            "application_fee_amount": fee,
            "transfer_data": transfer_data,
            "description": pid.get("description"),
            "on_behalf_of": pid.get("on_behalf_of"),
            "transfer_group": pid.get("transfer_group"),
        }

    def _check_expiry(self) -> None:
        if self.status == "open" and time.time() >= self.expires_at:
            self._expire()

    def _expire(self) -> dict[str, Any]:
        self.status = "expired"
        self.url = None
        return emit("checkout.session.expired", self)

    def _pay(self, card: str) -> dict[str, Any]:
        """Pay with a card number, as the hosted page does. Raises UserError if not payable."""
        self._check_expiry()
        if self.status != "open":
            raise invalid(f"This Checkout Session is {self.status}; it can no longer be paid.", status=400)
        card = (card or "").replace(" ", "")
        pm = PaymentMethod(type="card", card={"number": card, "exp_month": "12", "exp_year": "2034", "cvc": "123"})
        if self.customer_email:
            pm.billing_details = {"email": self.customer_email}
        pi = PaymentIntent(
            amount=self.amount_total,
            currency=self.currency,
            payment_method=pm.id,
            metadata=dict(self._pi["metadata"]),
            **{k: v for k, v in self._pi.items() if k != "metadata" and v is not None},
        )
        self.payment_intent = pi.id
        error = None
        try:
            pi._confirm(on_failure_now=pi._report_failure)
        except UserError as exc:
            error = exc.body.get("error", {})
        if pi.status == "succeeded":
            self.status = "complete"
            self.payment_status = "paid"
            self.url = None
            self.customer_details = {"email": self.customer_email, "name": None, "phone": None, "address": None}
            emit("checkout.session.completed", self)
            status = "succeeded"
        elif pi.status == "requires_action":
            status = "requires_action"
        else:
            status = "declined"
        return {
            "session": self._export(),
            "payment_intent": pi._export(),
            "status": status,
            "error": error,
        }

    def _line_items(self) -> dict[str, Any]:
        data = [
            {
                "id": f"li_{self.id[len(self._id_prefix) :]}_{i}",
                "object": "item",
                "amount_subtotal": item["unit_amount"] * item["quantity"],
                "amount_total": item["unit_amount"] * item["quantity"],
                "currency": item["currency"],
                "description": item["name"],
                "quantity": item["quantity"],
                "price": {
                    "object": "price",
                    "unit_amount": item["unit_amount"],
                    "currency": item["currency"],
                    "product_data": {"name": item["name"]},
                },
            }
            for i, item in enumerate(self._items)
        ]
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{self.id}/line_items",
        }


def _session(id: str) -> CheckoutSession:
    session = store_get("checkout.session", id)
    if session is None:
        raise invalid(f"No such checkout.session: '{id}'", "session", status=404, code="resource_missing")
    session._check_expiry()
    return session


def _account(id: str) -> Account:
    account = store_get("account", id)
    if account is None:
        raise invalid(f"No such account: '{id}'", "account", status=404, code="resource_missing")
    return account


# --- API routes ---------------------------------------------------------------------------------
def _expand(data: dict):
    expand = data.pop("expand", None)
    return expand if isinstance(expand, list) else ([expand] if expand else None)


async def create_account(request: web.Request) -> web.Response:
    data = await form_or_json(request)
    expand = _expand(data)
    return json_response(Account(**data)._export(expand=expand))


async def create_account_link(request: web.Request) -> web.Response:
    data = await form_or_json(request)
    data.pop("expand", None)
    link = AccountLink(**data)
    link.url = f"{base_url_of(request)}/connect/onboard/{link._account}?link={link.id}"
    return json_response(link._export())


async def create_session(request: web.Request) -> web.Response:
    data = await form_or_json(request)
    expand = _expand(data)
    session = CheckoutSession(**data)
    session.url = f"{base_url_of(request)}/checkout/{session.id}"
    return json_response(session._export(expand=expand))


async def retrieve_session(request: web.Request) -> web.Response:
    expand = _expand(server.unflatten_data(request.query))
    return json_response(_session(request.match_info["id"])._export(expand=expand))


async def expire_session(request: web.Request) -> web.Response:
    session = _session(request.match_info["id"])
    if session.status != "open":
        raise invalid('Only Checkout Sessions with a status in ["open"] can be expired.', "session")
    session._expire()
    return json_response(session._export())


async def list_sessions(request: web.Request) -> web.Response:
    data = server.unflatten_data(request.query)
    expand = _expand(data)
    filters = {name: data.pop(name) for name in ("payment_intent", "status", "customer") if name in data}
    li = CheckoutSession._api_list_all("/v1/checkout/sessions", **data)
    li._list = [s for s in li._list if all(getattr(s, k) == v for k, v in filters.items())]
    li._list.sort(key=lambda s: s.created, reverse=True)
    return json_response(li._export(expand=expand))


async def create_login_link(request: web.Request) -> web.Response:
    account = _account(request.match_info["id"])
    if account.type != "express":
        raise invalid("Login links can only be created for Express accounts.", "account")
    return json_response(
        {
            "object": "login_link",
            "created": int(time.time()),
            "url": f"{base_url_of(request)}/connect/dashboard/{account.id}",
        }
    )


async def session_line_items(request: web.Request) -> web.Response:
    return json_response(_session(request.match_info["id"])._line_items())


# --- browser pages ------------------------------------------------------------------------------
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>
{body}
</main></body></html>
"""


def page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(title=html.escape(title), body=body), status=status, content_type="text/html")


def _amount(amount: int, currency: str) -> str:
    zero_decimal = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"}
    if currency in zero_decimal:
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:.2f} {currency.upper()}"


def checkout_page(session: CheckoutSession, message: str = "", status: int = 200) -> web.Response:
    e = html.escape
    if session.status != "open":
        return page("Checkout", f"<h1>This checkout session is {e(session.status)}.</h1>", status=410)
    rows = "".join(
        f'<li class="item"><span class="name">{e(item["name"])}</span> &times; {item["quantity"]}: '
        f"{e(_amount(item['unit_amount'] * item['quantity'], item['currency']))}</li>"
        for item in session._items
    )
    cancel = f'<p><a id="cancel" href="{e(session.cancel_url)}">Cancel</a></p>' if session.cancel_url else ""
    alert = f'<p id="error" role="alert">{e(message)}</p>' if message else ""
    body = f"""<h1>Pay {e(_amount(session.amount_total, session.currency))}</h1>
<ul>{rows}</ul>
<p id="total" data-amount="{session.amount_total}" data-currency="{e(session.currency)}">Total:
{e(_amount(session.amount_total, session.currency))}</p>
{alert}
<form method="post" action="/checkout/{e(session.id)}/pay">
<input type="hidden" name="card" value="{GOOD_CARD}">
<button type="submit" id="pay">Pay</button>
</form>
<form method="post" action="/checkout/{e(session.id)}/pay">
<input type="hidden" name="card" value="{DECLINED_CARD}">
<button type="submit" id="pay-declined">Pay with a declined card</button>
</form>
{cancel}"""
    return page("Checkout", body, status=status)


async def checkout_get(request: web.Request) -> web.Response:
    return checkout_page(_session(request.match_info["id"]))


async def checkout_post(request: web.Request) -> web.Response:
    session = _session(request.match_info["id"])
    if session.status != "open":
        return checkout_page(session)
    form = await request.post()
    try:
        result = session._pay(str(form.get("card") or GOOD_CARD))
    except UserError as exc:
        return checkout_page(session, exc.body["error"].get("message", "This card could not be used."), status=400)
    if result["status"] == "succeeded":
        raise web.HTTPSeeOther(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))
    if result["status"] == "declined":
        return checkout_page(session, "Your card was declined.", status=402)
    return checkout_page(session, "This card needs authentication, which the fake does not do.", status=402)


def _link_for(request: web.Request, account_id: str) -> AccountLink | None:
    link = store_get("account_link", request.query.get("link", ""))
    if link is not None and link._account == account_id:
        return link
    return None


async def onboard_get(request: web.Request) -> web.Response:
    account = _account(request.match_info["acct"])
    link = _link_for(request, account.id)
    e = html.escape
    if link is not None and time.time() > link.expires_at:
        raise web.HTTPSeeOther(link._refresh_url)
    body = f"""<h1>Onboarding of {e(account.id)}</h1>
<p>Email: {e(account.email or "")}</p>
<form method="post" action="/connect/onboard/{e(account.id)}?link={e(link.id if link else "")}">
<button type="submit" id="complete">Complete onboarding</button>
</form>"""
    return page("Onboarding", body)


async def onboard_post(request: web.Request) -> web.Response:
    account = _account(request.match_info["acct"])
    link = _link_for(request, account.id)
    if link is not None and time.time() > link.expires_at:
        raise web.HTTPSeeOther(link._refresh_url)
    account._complete()
    if link is not None:
        raise web.HTTPSeeOther(link._return_url)
    return page("Onboarding", "<h1>Onboarding complete.</h1>")


async def dashboard_get(request: web.Request) -> web.Response:
    account = _account(request.match_info["acct"])
    return page("Dashboard", f"<h1>Express dashboard of {html.escape(account.id)}</h1>")


# --- control endpoints --------------------------------------------------------------------------
async def health(request: web.Request) -> web.Response:
    return json_response({"ok": True})


async def outbox(request: web.Request) -> web.Response:
    since = int(request.query.get("since", "0") or 0)
    return json_response([entry for entry in OUTBOX.entries if entry["seq"] > since])


async def set_webhook_url(request: web.Request) -> web.Response:
    data = await form_or_json(request)
    url = data.get("url") or None
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise invalid("Not a valid URL", "url")
    OUTBOX.url = url
    return json_response({"url": url})


async def control_complete_account(request: web.Request) -> web.Response:
    account = _account(request.match_info["id"])
    entry = account._complete()
    return json_response({"account": account._export(), "event_id": entry["event_id"], "seq": entry["seq"]})


async def control_pay(request: web.Request) -> web.Response:
    data = await form_or_json(request)
    return json_response(_session(request.match_info["id"])._pay(str(data.get("card") or GOOD_CARD)))


async def control_event(request: web.Request) -> web.Response:
    data = await request.json()
    if not isinstance(data.get("type"), str) or not isinstance(data.get("object"), dict):
        raise invalid("type (a string) and object (a JSON object) are required", "type")
    entry = emit(data["type"], data["object"], account=data.get("account"))
    return json_response({"event": json.loads(entry["payload"]), "seq": entry["seq"]})


# --- the app ------------------------------------------------------------------------------------
@web.middleware
async def auth_middleware(request: web.Request, handler):
    """localstripe's API-key check, except for the browser pages and the control endpoints."""
    if request.path.startswith(CONTROL_PREFIXES):
        return await handler(request)
    return await server.auth_middleware(request, handler)


def build_app(webhook_secret: str, webhook_url: str | None) -> web.Application:
    OUTBOX.secret = webhook_secret
    OUTBOX.url = webhook_url
    app = server.app
    middlewares = app.middlewares
    middlewares[middlewares.index(server.auth_middleware)] = auth_middleware
    r = app.router
    r.add_post("/v1/accounts", create_account)
    r.add_get("/v1/accounts/{id}", server.api_retrieve(Account, "/v1/accounts/{id}"))
    r.add_post("/v1/accounts/{id}", server.api_update(Account, "/v1/accounts/{id}"))
    r.add_delete("/v1/accounts/{id}", server.api_delete(Account, "/v1/accounts/{id}"))
    r.add_get("/v1/accounts", server.api_list_all(Account, "/v1/accounts"))
    r.add_post("/v1/account_links", create_account_link)
    r.add_post("/v1/checkout/sessions", create_session)
    r.add_get("/v1/checkout/sessions", list_sessions)
    r.add_post("/v1/accounts/{id}/login_links", create_login_link)
    r.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    r.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    r.add_get("/v1/checkout/sessions/{id}/line_items", session_line_items)
    r.add_get("/checkout/{id}", checkout_get)
    r.add_post("/checkout/{id}/pay", checkout_post)
    r.add_get("/connect/onboard/{acct}", onboard_get)
    r.add_post("/connect/onboard/{acct}", onboard_post)
    r.add_get("/connect/dashboard/{acct}", dashboard_get)
    r.add_get("/_fake/health", health)
    r.add_get("/_fake/outbox", outbox)
    r.add_post("/_fake/webhook_url", set_webhook_url)
    r.add_post("/_fake/accounts/{id}/complete", control_complete_account)
    r.add_post("/_fake/checkout/{id}/pay", control_pay)
    r.add_post("/_fake/events", control_event)

    async def on_cleanup(app: web.Application) -> None:
        await OUTBOX.close()

    app.on_cleanup.append(on_cleanup)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = build_app(args.webhook_secret, args.webhook_url)
    base = f"http://{args.host}:{args.port}"
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=logging.getLogger("aiohttp.access") if args.access_log else None,
        print=lambda _msg: print(f"stripe fake ready on {base}", flush=True),
    )


if __name__ == "__main__":
    main()
