"""Reads of payments, scoped to what the viewer may see: a payment is visible to its buyer and its
seller only (anyone else: 404)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet, Sum

from collective.models import User
from core.errors import NotFound
from payments.errors import PaymentsCode
from payments.models import CreditPack, LedgerEntry, LedgerEntryType, Payment, PayoutAccount

ROLES = ("buyer", "seller")


def credit_packs() -> QuerySet[CreditPack]:
    return CreditPack.objects.filter(is_active=True)


def payments_of(*, user: User, role: str | None = None, kind: str | None = None) -> QuerySet[Payment]:
    if role == "buyer":
        query = Q(buyer=user)
    elif role == "seller":
        query = Q(seller=user)
    else:
        query = Q(buyer=user) | Q(seller=user)
    qs = Payment.objects.filter(query).select_related("buyer", "seller", "credit_pack")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def payment_for(*, user: User, payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_related("buyer", "seller", "credit_pack")
        .filter(Q(buyer=user) | Q(seller=user), pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFound("No such payment.", code=PaymentsCode.PAYMENT_NOT_FOUND)
    return payment


_EARNING_KEYS: dict[str, str] = {
    LedgerEntryType.SALE: "sales_cents",
    LedgerEntryType.PLATFORM_FEE: "fees_cents",
    LedgerEntryType.REFUND: "refunds_cents",
    LedgerEntryType.FEE_REFUND: "fee_refunds_cents",
    LedgerEntryType.DISPUTE: "disputes_cents",
    LedgerEntryType.PAYOUT: "payouts_cents",
}


def earnings_of(*, user: User) -> dict[str, Any]:
    """ "My Earnings": per currency, the sums of the creator's ledger (sales, fees, refunds with the
    fees given back, disputes, payouts); `net_cents` is what the sales earned after all of it, and
    `balance_cents` what is left after the payouts. One grouped query over the ledger."""
    rows = (
        LedgerEntry.objects.filter(user=user)
        .values("currency", "entry_type")
        .annotate(total=Sum("amount_cents"))
        .order_by("currency", "entry_type")
    )
    by_currency: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_EARNING_KEYS.values(), 0))
    for row in rows:
        by_currency[row["currency"]][_EARNING_KEYS[row["entry_type"]]] = int(row["total"] or 0)
    totals = []
    for currency, sums in sorted(by_currency.items()):
        net = sum(v for k, v in sums.items() if k != "payouts_cents")
        totals.append({"currency": currency, **sums, "net_cents": net, "balance_cents": net + sums["payouts_cents"]})
    sales = Payment.objects.filter(seller=user, paid_at__isnull=False).count()
    account = PayoutAccount.objects.filter(user=user).first()
    return {
        "sales_count": sales,
        "totals": totals,
        "payout_account": payout_account_data(account),
    }


def payout_account_data(account: PayoutAccount | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "status": account.status,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "details_submitted": account.details_submitted,
        "updated_at": account.updated_at.isoformat().replace("+00:00", "Z"),
    }


def ledger_of(*, user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(user=user).select_related("payment").order_by("-created_at", "-pk")
