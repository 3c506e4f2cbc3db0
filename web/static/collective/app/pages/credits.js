// `/credits`: the balance (GET me/ `credit_balance`), the credit packs on sale (GET credit-packs/,
// listed even without Stripe keys) with Buy buttons that open Stripe's hosted Checkout, the
// caller's recent credit-pack payments (GET payments/?role=buyer&kind=credit_pack, live on
// `payment.updated`), then the credits ledger, conversions and gifts of pages/economy.js.

import { api, h, liveQueue, loading, mount, timeAgo } from "../core.js";
import { creditsPage as economyCredits } from "./economy.js";
import { formatMoney, isNotConfigured, notConfiguredBox, paymentErrorText, paymentTag, startCheckout } from "./payments.js";

export async function creditsPage(ctx) {
  const { root, signal } = ctx;
  ctx.setTitle("Credits");
  const live = liveQueue(ctx, ["payment.updated"]);
  const balance = h("strong", { id: "credits-balance" }, String(ctx.me.credit_balance ?? 0));
  const packsBox = h("div", {}, loading());
  const buyAlert = h("div", { class: "buy-alert", id: "buy-alert", role: "alert" });
  const purchases = h("div", { id: "pack-payments" }, loading());
  const rest = h("div", { class: "credits-economy" });
  mount(
    root,
    h("h1", {}, "Credits"),
    h("section", { class: "card" }, h("p", { class: "big" }, balance, " credits"), h("p", { class: "muted" }, "Credits pay for boosts and other features. Earn them from points, or buy a pack.")),
    h("section", { class: "card packs", "aria-labelledby": "packs-h" }, h("h2", { id: "packs-h" }, "Buy credits"), buyAlert, packsBox),
    h("section", { class: "card", "aria-labelledby": "purchases-h" }, h("h2", { id: "purchases-h" }, "Your credit purchases"), purchases),
    rest,
  );

  async function buy(pack, button) {
    buyAlert.replaceChildren();
    packsBox.querySelectorAll("button").forEach((b) => (b.disabled = true));
    button.textContent = "Opening checkout…";
    try {
      await startCheckout(`/credit-packs/${encodeURIComponent(pack.slug)}/buy/`);
    } catch (error) {
      button.textContent = `Buy for ${formatMoney(pack.price_cents, pack.currency)}`;
      packsBox.querySelectorAll("button").forEach((b) => (b.disabled = false));
      mount(buyAlert, isNotConfigured(error) ? notConfiguredBox("Credit packs can be bought once the operator configures Stripe; you can still earn credits from points below.") : h("p", { class: "form-error" }, paymentErrorText(error)));
    }
  }

  function packCard(pack) {
    const button = h("button", { type: "button", class: "primary", dataset: { pack: pack.slug } }, `Buy for ${formatMoney(pack.price_cents, pack.currency)}`);
    button.setAttribute("aria-label", `Buy the ${pack.name} pack (${pack.credits} credits) for ${formatMoney(pack.price_cents, pack.currency)}`);
    button.addEventListener("click", () => buy(pack, button));
    return h(
      "li",
      { class: "pack", dataset: { pack: pack.slug } },
      h("h3", {}, pack.name),
      h("p", { class: "big" }, `${pack.credits} credits`),
      pack.bonus_percent ? h("p", { class: "tag bonus" }, `+${pack.bonus_percent}% bonus`) : null,
      button,
    );
  }

  const byId = new Map();
  function showPurchases(off = false) {
    if (off) return void mount(purchases, h("p", { class: "muted" }, "Payments are not set up on this server."));
    const list = [...byId.values()].sort((a, b) => b.id - a.id).slice(0, 5);
    if (!list.length) return void mount(purchases, h("p", { class: "empty muted" }, "No purchases yet."));
    mount(
      purchases,
      h(
        "ul",
        { class: "list" },
        list.map((p) =>
          h(
            "li",
            { class: "row spread", dataset: { payment: p.id, status: p.status } },
            h("a", { href: `/payments/${p.id}` }, p.description || "Credit pack"),
            h("span", { class: "row" }, paymentTag(p.status), h("span", { class: "muted small" }, formatMoney(p.amount_cents, p.currency), " · ", timeAgo(p.created_at))),
          ),
        ),
      ),
    );
  }

  // The balance fresh from the server (a pack paid a moment ago may not be in the tab's `me` yet);
  // refreshMe() also updates the top bar's credits pill.
  const [packs, mine, fresh] = await Promise.allSettled([api("/credit-packs/", { signal }), api("/payments/", { query: { role: "buyer", kind: "credit_pack", page_size: 5 }, signal }), ctx.refreshMe()]);
  if (fresh.status === "fulfilled" && fresh.value) balance.textContent = String(fresh.value.credit_balance ?? 0);
  if (packs.status === "fulfilled") {
    const results = packs.value.results || [];
    mount(packsBox, results.length ? h("ul", { class: "packs-list" }, results.map(packCard)) : h("p", { class: "empty muted" }, "No credit packs are on sale right now."));
  } else mount(packsBox, h("p", { class: "form-error" }, paymentErrorText(packs.reason)));
  if (mine.status === "fulfilled") {
    (mine.value.results || []).forEach((p) => byId.set(p.id, p));
    showPurchases();
  } else showPurchases(isNotConfigured(mine.reason));

  live.on("payment.updated", (frame) => {
    const p = frame.data && frame.data.payment;
    if (!p || p.kind !== "credit_pack") return;
    byId.set(p.id, p);
    showPurchases();
    if (p.status === "succeeded") ctx.refreshMe().then((me) => me && (balance.textContent = String(me.credit_balance)));
  });
  live.start();

  // The credits ledger, conversions and gifts (pages/economy.js), under the packs.
  await economyCredits({ ...ctx, root: rest, setTitle() {} });
  // Its heading and balance repeat the top of this page: its first card becomes the history.
  rest.querySelector("h1")?.remove();
  const history = rest.querySelector("#credit-balance")?.closest("p");
  if (history) history.replaceWith(h("h2", { style: { marginTop: 0 } }, "History"));
}
