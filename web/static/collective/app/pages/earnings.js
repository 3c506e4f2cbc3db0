// `/earnings` ("My Earnings"): the payout account (Stripe Connect Express) with "Set up payouts" /
// "Continue setup" (POST payments/payout-account/onboarding/ → Stripe's hosted onboarding, which
// returns to /earnings?onboarding=return|refresh), the totals per currency (GET payments/earnings/),
// the money ledger (signed amounts: fees, refunds, disputes and payouts are negative) (GET payments/ledger/) and the sales as seller (GET payments/?role=seller),
// refetched live on `payment.updated`. Without Stripe keys: the "not set up" state.

import { api, errorBox, h, label, loading, mount, timeAgo, userLink } from "../core.js";
import { formatMoney, isNotConfigured, notConfiguredBox, paymentErrorText, paymentTag } from "./payments.js";

const ACCOUNT_WORDS = {
  onboarding: "Setup not finished: Stripe still needs some details before you can be paid.",
  restricted: "Stripe needs more information: payouts are paused until you complete it.",
  active: "Active: buyers can pay you, and payouts go to your bank account.",
};
const ENTRY_LABEL = {
  sale: "Sale",
  platform_fee: "Platform fee",
  refund: "Refund",
  fee_refund: "Fee returned",
  dispute: "Dispute",
  payout: "Payout to your bank",
};

function pageOf(data) {
  if (!data || !data.next) return null;
  const url = new URL(data.next, location.origin);
  return url.pathname.replace(/^\/api\/v1/, "") + url.search;
}

export async function earningsPage(ctx) {
  const { root, signal } = ctx;
  ctx.setTitle("My Earnings");
  const back = ctx.query.get("onboarding"); // return | refresh | null
  mount(root, h("h1", {}, "My Earnings"), loading());
  let refetching = null;

  async function load() {
    const [earnings, ledger, sales] = await Promise.all([
      api("/payments/earnings/", { signal }),
      api("/payments/ledger/", { query: { page_size: 20 }, signal }),
      api("/payments/", { query: { role: "seller", page_size: 20 }, signal }),
    ]);
    return { earnings, ledger, sales };
  }

  let data;
  try {
    data = await load();
  } catch (error) {
    if (error.name === "AbortError") throw error;
    if (isNotConfigured(error)) return void mount(root, h("h1", {}, "My Earnings"), notConfiguredBox("Selling and payouts start once the operator configures Stripe. Free help, points and credits work as usual."));
    return void mount(root, h("h1", {}, "My Earnings"), errorBox(error, () => ctx.rerender()));
  }

  const alertBox = h("div", { role: "alert", class: "earnings-alert" });
  const accountBox = h("section", { class: "card payout-account", "aria-labelledby": "payout-h", id: "payout-account" });
  const totalsBox = h("section", { class: "card", "aria-labelledby": "totals-h", id: "earnings-totals" });
  const salesBox = h("section", { class: "card", "aria-labelledby": "sales-h", id: "earnings-sales" });
  const ledgerBox = h("section", { class: "card", "aria-labelledby": "ledger-h", id: "earnings-ledger" });
  mount(root, h("h1", {}, "My Earnings"), alertBox, accountBox, totalsBox, salesBox, ledgerBox);

  async function onboard(button) {
    alertBox.replaceChildren();
    button.disabled = true;
    button.textContent = "Opening Stripe…";
    try {
      const answer = await api("/payments/payout-account/onboarding/", { method: "POST" });
      window.location.assign(answer.url);
    } catch (error) {
      button.disabled = false;
      showAccount(data.earnings.payout_account);
      mount(alertBox, h("p", { class: "form-error" }, paymentErrorText(error)));
    }
  }

  function showAccount(account) {
    const status = account ? account.status : null;
    const button =
      status === "active"
        ? null
        : h("button", { type: "button", class: "primary", id: "payout-setup" }, status ? "Continue setup" : "Set up payouts");
    button?.addEventListener("click", () => onboard(button));
    mount(
      accountBox,
      h("div", { class: "row spread" }, h("h2", { id: "payout-h" }, "Payouts"), status ? h("span", { class: ["tag", `payout-${status}`], id: "payout-status", dataset: { status } }, label(status)) : h("span", { class: "tag", id: "payout-status", dataset: { status: "none" } }, "Not set up")),
      h("p", {}, status ? ACCOUNT_WORDS[status] || label(status) : "To sell your help, apps, courses or templates, set up payouts with Stripe (our payment provider). It takes a few minutes; you need an ID and a bank account."),
      account
        ? h(
            "ul",
            { class: "checks muted small" },
            h("li", {}, account.charges_enabled ? "✓ Can accept payments" : "✗ Cannot accept payments yet"),
            h("li", {}, account.payouts_enabled ? "✓ Payouts to your bank enabled" : "✗ Payouts not enabled yet"),
            h("li", {}, account.details_submitted ? "✓ Details submitted" : "✗ Details not submitted"),
          )
        : null,
      back === "return" && status !== "active" ? h("p", { class: "muted" }, "Back from Stripe: it may take a moment to confirm your details. This page updates when it does.") : null,
      back === "refresh" && status !== "active" ? h("p", { class: "muted" }, "The setup link expired. Continue where you left off:") : null,
      button,
    );
  }

  function showTotals(e) {
    const totals = e.totals || [];
    mount(
      totalsBox,
      h("h2", { id: "totals-h" }, "Totals"),
      h("p", { class: "muted" }, `${e.sales_count} sale${e.sales_count === 1 ? "" : "s"}. Amounts are what buyers paid, less the platform fee and any refunds.`),
      totals.length
        ? h(
            "table",
            { class: "totals" },
            h("thead", {}, h("tr", {}, ["Currency", "Sales", "Platform fees", "Refunds & disputes", "Net", "Balance after payouts"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              totals.map((t) =>
                h(
                  "tr",
                  { dataset: { currency: t.currency } },
                  h("th", { scope: "row" }, t.currency.toUpperCase()),
                  h("td", { class: "sales" }, formatMoney(t.sales_cents, t.currency)),
                  h("td", { class: "fees" }, formatMoney((t.fees_cents || 0) + (t.fee_refunds_cents || 0), t.currency)),
                  h("td", { class: "refunds" }, formatMoney((t.refunds_cents || 0) + (t.disputes_cents || 0), t.currency)),
                  h("td", { class: "net" }, h("strong", {}, formatMoney(t.net_cents, t.currency))),
                  h("td", { class: "balance" }, formatMoney(t.balance_cents, t.currency)),
                ),
              ),
            ),
          )
        : h("p", { class: "empty muted" }, "No earnings yet."),
    );
  }

  function showSales(list) {
    const items = list.results || [];
    mount(
      salesBox,
      h("h2", { id: "sales-h" }, "Sales"),
      items.length
        ? h(
            "ul",
            { class: "list" },
            items.map((p) =>
              h(
                "li",
                { class: "row spread sale", dataset: { payment: p.id, status: p.status } },
                h("span", {}, h("a", { href: `/payments/${p.id}` }, p.description || `Payment #${p.id}`), " · ", userLink(p.buyer)),
                h("span", { class: "row" }, paymentTag(p.status), h("strong", {}, formatMoney(p.amount_cents, p.currency)), h("span", { class: "muted small" }, `fee ${formatMoney(p.platform_fee_cents, p.currency)} · `, timeAgo(p.created_at))),
              ),
            ),
          )
        : h("p", { class: "empty muted" }, "No sales yet."),
    );
  }

  function showLedger(list, append = false) {
    const rows = (list.results || []).map((e) =>
      h(
        "li",
        { class: "row spread entry", dataset: { entry: e.entry_type } },
        h("span", {}, ENTRY_LABEL[e.entry_type] || label(e.entry_type), e.payment ? [" · ", h("a", { href: `/payments/${e.payment}` }, `payment #${e.payment}`)] : null),
        h("span", {}, h("strong", { class: e.amount_cents >= 0 ? "gain" : "loss" }, formatMoney(e.amount_cents, e.currency)), " ", h("span", { class: "muted small" }, timeAgo(e.created_at))),
      ),
    );
    const next = pageOf(list);
    if (append) {
      ledgerBox.querySelector("ul")?.append(...rows);
      ledgerBox.querySelector(".more")?.remove();
    } else mount(ledgerBox, h("h2", { id: "ledger-h" }, "Ledger"), rows.length ? h("ul", { class: "list" }, rows) : h("p", { class: "empty muted" }, "Nothing in the ledger yet."));
    if (next) {
      const more = h("button", { type: "button", class: "more" }, "More");
      more.addEventListener("click", async () => {
        more.disabled = true;
        try {
          showLedger(await api(next, { signal }), true);
        } catch (error) {
          if (error.name !== "AbortError") more.disabled = false;
        }
      });
      ledgerBox.append(more);
    }
  }

  function showAll(d) {
    data = d;
    showAccount(d.earnings.payout_account);
    showTotals(d.earnings);
    showSales(d.sales);
    showLedger(d.ledger);
  }
  showAll(data);

  async function refetch() {
    if (refetching) return refetching;
    refetching = load()
      .then(showAll)
      .catch(() => {})
      .finally(() => (refetching = null));
    return refetching;
  }
  ctx.on("payment.updated", () => refetch());

  // Back from onboarding: the account.updated webhook may come a moment later; look again a few times.
  let timer = null;
  if (back === "return" && data.earnings.payout_account?.status !== "active") {
    let tries = 0;
    const again = async () => {
      tries += 1;
      try {
        const fresh = await api("/payments/payout-account/", { signal });
        data.earnings.payout_account = fresh.payout_account;
        showAccount(fresh.payout_account);
        if (fresh.payout_account?.status === "active") return;
      } catch (error) {
        if (error.name === "AbortError") return;
      }
      if (tries < 10) timer = setTimeout(again, 1500);
    };
    timer = setTimeout(again, 1000);
  }
  return () => clearTimeout(timer);
}
