// Payments in the web app (docs/payments.md, docs/web.md "Payments"): the shared pieces (money from
// integer cents, the status words, the "not set up on this server" state, starting a Stripe
// Checkout) and the return page `/payments/<id>`, where Stripe sends the buyer back after paying
// (`?checkout=success`) or giving up (`?checkout=cancelled`). The page follows `payment.updated` on
// the socket and, while the payment is still open, asks the server to read it from Stripe
// (`POST payments/<id>/refresh/`) a few times, so it settles even when a webhook is late.

import { api, ApiError, errorBox, h, liveQueue, loading, mount, timeAgo, userLink } from "../core.js";

/** "$12.50" from integer cents. Display only: cents/100 is exact enough for Intl to round right. */
export function formatMoney(cents, currency = "usd") {
  if (cents === null || cents === undefined) return "";
  const code = String(currency || "usd").toUpperCase();
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: code }).format(Number(cents) / 100);
  } catch {
    const sign = cents < 0 ? "−" : "";
    const abs = Math.abs(Number(cents));
    return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")} ${code}`;
  }
}

export function isNotConfigured(error) {
  return error instanceof ApiError && error.status === 503 && error.code === "payments_not_configured";
}

/** The box shown instead of a payment screen when the server has no Stripe keys. */
export function notConfiguredBox(extra = "") {
  return h(
    "div",
    { class: "notice notice-warn payments-off", role: "alert" },
    h("strong", {}, "Payments are not set up on this server."),
    " ",
    extra || "Nothing can be bought or paid out here until the operator configures Stripe. Everything free works as usual.",
  );
}

/** A payment error in plain words (for an alert next to the button that failed). */
export function paymentErrorText(error) {
  if (isNotConfigured(error)) return "Payments are not set up on this server, so this cannot be paid here.";
  if (error instanceof ApiError) {
    if (error.code === "seller_not_payable") return "The creator has not finished setting up payouts yet, so they cannot be paid. Ask them to set up payouts on their Earnings page.";
    if (error.code === "already_paid") return "This is already paid.";
    if (error.code === "payment_provider_unavailable") return "The payment service did not answer. Try again in a moment.";
  }
  return error.message || String(error);
}

/** POST a checkout call and go to Stripe's hosted page (a full-page navigation). Resolves to the
 * payment (the page is leaving); rejects with the ApiError for the caller to show. */
export async function startCheckout(path) {
  const payment = await api(path, { method: "POST" });
  if (payment.checkout_url) window.location.assign(payment.checkout_url);
  else window.location.assign(`/payments/${payment.id}`);
  return payment;
}

/** The checkout call that buys this payment's thing again (after a declined card, an expiry). */
export function checkoutPathOf(payment) {
  if (payment.kind === "connection" && payment.connection) return `/connections/${payment.connection}/pay/`;
  if (payment.kind === "offer" && payment.offer) return `/offers/${payment.offer}/buy/`;
  if (payment.kind === "credit_pack" && payment.credit_pack) return `/credit-packs/${payment.credit_pack}/buy/`;
  return null;
}

export const PAYMENT_STATUS = {
  open: "Waiting for payment",
  succeeded: "Paid",
  failed: "Payment failed",
  expired: "Expired",
  refunded: "Refunded",
  partially_refunded: "Partly refunded",
  disputed: "Disputed",
  mismatch: "Under review",
};

export function paymentTag(status) {
  return h("span", { class: ["tag", "pay-tag", `pay-${status}`], dataset: { paymentStatus: status } }, PAYMENT_STATUS[status] || status);
}

function backLinks(p) {
  const links = [];
  if (p.connection) links.push(h("a", { href: `/connections/${p.connection}`, class: "button" }, "Back to the connection"));
  if (p.offer) links.push(h("a", { href: `/offers/${p.offer}`, class: "button" }, "Back to the offer"));
  if (p.kind === "credit_pack") links.push(h("a", { href: "/credits", class: "button" }, "Back to Credits"));
  return links;
}

/** What a status means for the person looking, in plain words. */
function explain(p, me, returned) {
  const buyer = p.buyer && me && p.buyer.id === me.id;
  switch (p.status) {
    case "succeeded":
      if (p.kind === "credit_pack") return "Payment received. Your credits have been added to your balance.";
      return buyer ? "Payment received. Thank you! The creator has been told." : "You have been paid. The money is on its way to your payout account.";
    case "open":
      if (returned === "cancelled") return "You left the checkout before paying. Nothing was charged; you can continue whenever you like.";
      if (returned === "success") return "Confirming your payment with the payment provider…";
      return "This payment has not been made yet.";
    case "failed":
      return `The payment did not go through${p.failure_message ? `: ${p.failure_message}` : "."} Nothing was charged. You can try again, with another card if needed.`;
    case "expired":
      return "This checkout expired before it was paid. Nothing was charged; start a new payment if you still want it.";
    case "refunded":
      return "This payment was refunded in full.";
    case "partially_refunded":
      return `Part of this payment was refunded (${formatMoney(p.refunded_cents, p.currency)}).`;
    case "disputed":
      return "The card holder disputed this payment with their bank. It is being reviewed.";
    case "mismatch":
      return "The amount received did not match the price. It is being reviewed; you will hear from us.";
    default:
      return "";
  }
}

// --- /payments/<id> ----------------------------------------------------------------------------
export async function paymentPage(ctx) {
  const { root, me, signal } = ctx;
  const id = Number(ctx.params.id);
  const returned = ctx.query.get("checkout"); // success | cancelled | null
  ctx.setTitle("Payment");
  const live = liveQueue(ctx, ["payment.updated"]);
  mount(root, h("h1", {}, "Payment"), loading());
  let payment;
  try {
    payment = await api(`/payments/${id}/`, { signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    if (isNotConfigured(error)) return void mount(root, h("h1", {}, "Payment"), notConfiguredBox());
    return void mount(root, h("h1", {}, "Payment"), errorBox(error, () => ctx.rerender()));
  }
  const view = h("section", { class: "card payment-view", "aria-labelledby": "payment-h" });
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite", id: "payment-live" });
  const alertBox = h("p", { class: "form-error", role: "alert" });
  mount(root, h("h1", { id: "payment-h" }, "Payment"), alertBox, view, status);
  let timer = null;
  let attempts = 0;
  let stopped = false;
  let gaveUp = false;
  // Back from Checkout, a payment may not be settled here yet: the webhook can be a moment late. After
  // "success" an open payment, or a failed one being paid again, is waited for; after "cancelled" an
  // open one is looked at twice (a declined card then shows as failed).
  const unsettled = (p) => (returned === "success" ? ["open", "failed"].includes(p.status) : p.status === "open");

  function show(p) {
    if (payment && p.updated_at < payment.updated_at) return;
    payment = p;
    const buyer = me && p.buyer && p.buyer.id === me.id;
    const waiting = unsettled(p) && returned === "success" && !gaveUp;
    const again = !waiting && buyer && ["failed", "expired"].includes(p.status) && checkoutPathOf(p);
    const resume = !waiting && buyer && p.status === "open" && p.checkout_url;
    mount(
      view,
      h("div", { class: "row spread" }, h("h2", {}, p.description || "Payment"), waiting ? h("span", { class: "tag pay-tag pay-open", dataset: { paymentStatus: p.status } }, "Confirming…") : paymentTag(p.status)),
      h("p", { class: ["payment-amount", "big"] }, formatMoney(p.amount_cents, p.currency)),
      h("p", { class: ["payment-explain", `explain-${waiting ? "waiting" : p.status}`], id: "payment-explain" }, waiting ? [h("span", { class: "spinner", "aria-hidden": "true" }), "Confirming your payment with the payment provider…"] : explain(p, me, returned)),
      h(
        "dl",
        { class: "facts" },
        p.seller ? [h("dt", {}, buyer ? "Paid to" : "From"), h("dd", {}, buyer ? userLink(p.seller) : userLink(p.buyer))] : null,
        p.platform_fee_cents && !buyer ? [h("dt", {}, "Platform fee"), h("dd", {}, formatMoney(p.platform_fee_cents, p.currency))] : null,
        p.refunded_cents ? [h("dt", {}, "Refunded"), h("dd", {}, formatMoney(p.refunded_cents, p.currency))] : null,
        h("dt", {}, "Started"),
        h("dd", {}, timeAgo(p.created_at)),
        p.paid_at ? [h("dt", {}, "Paid"), h("dd", {}, timeAgo(p.paid_at))] : null,
      ),
      h(
        "div",
        { class: "row payment-actions" },
        resume ? h("a", { class: "button primary", href: p.checkout_url, id: "continue-payment" }, "Continue to payment") : null,
        again ? h("button", { type: "button", class: "primary", id: "pay-again", onclick: () => payAgain(p) }, "Try again") : null,
        gaveUp && unsettled(p) && returned === "success" ? h("button", { type: "button", id: "check-again", onclick: () => check(true) }, "Check again") : null,
        backLinks(p),
      ),
    );
  }

  async function payAgain(p) {
    alertBox.textContent = "";
    view.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      await startCheckout(checkoutPathOf(p));
    } catch (error) {
      alertBox.textContent = paymentErrorText(error);
      view.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  // While open after a return: read the payment, then have the server ask Stripe, at these delays (ms).
  const SCHEDULE = [1000, 2000, 3000, 4000, 6000, 8000, 12000];
  const limit = returned === "success" ? SCHEDULE.length : 2; // a cancelled checkout: only to catch a declined card
  async function check(manual = false) {
    if (stopped || !unsettled(payment)) return;
    try {
      const fresh = attempts < 1 && !manual && returned === "success" ? await api(`/payments/${id}/`, { signal }) : await api(`/payments/${id}/refresh/`, { method: "POST", signal });
      show(fresh);
    } catch (error) {
      if (error.name === "AbortError") return;
      /* keep waiting: the next attempt may answer */
    }
    if (!unsettled(payment)) return settledNow();
    if (manual) return;
    attempts += 1;
    if (attempts < limit) timer = setTimeout(check, SCHEDULE[attempts]);
    else {
      gaveUp = true;
      if (returned === "success") status.textContent = "Still waiting for the payment provider. This can take a minute; this page updates when it is confirmed.";
      show(payment);
    }
  }

  function settledNow() {
    clearTimeout(timer);
    if (payment.kind === "credit_pack" && payment.status === "succeeded") ctx.refreshMe().catch(() => {}); // the credits pill
    status.textContent = payment.status === "succeeded" ? "Payment confirmed." : `Payment ${PAYMENT_STATUS[payment.status]?.toLowerCase() || payment.status}.`;
  }

  show(payment);
  live.on("payment.updated", (frame) => {
    const p = frame.data && frame.data.payment;
    if (!p || p.id !== id) return;
    const before = payment.status;
    show(p);
    if (payment.status !== before && !unsettled(payment)) settledNow();
  });
  live.start();
  if (unsettled(payment) && returned) timer = setTimeout(check, SCHEDULE[0]);
  else if (returned === "success" && payment.kind === "credit_pack" && payment.status === "succeeded") ctx.refreshMe().catch(() => {});
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
