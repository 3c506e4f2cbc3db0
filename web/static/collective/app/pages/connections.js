// Connections: the caller's list grouped by status (/connections) and one connection with its
// state machine, price, rating and thread link (/connections/:id), live over the socket.
// REST and the state machine: docs/connections.md (collective/services/connections.py TRANSITIONS).

import { api, apiAll, ApiError, h, liveQueue, money, mount, showFormErrors, timeAgo, userLink } from "../core.js";
import { paymentErrorText, startCheckout } from "./payments.js";

export const STATUS_ORDER = ["initiated", "discussing", "accepted", "in_progress", "completed", "declined", "cancelled"];
const FINAL = new Set(["completed", "declined", "cancelled"]);
const STATUS_LABEL = {
  initiated: "Requested",
  discussing: "Discussing",
  accepted: "Accepted",
  in_progress: "In progress",
  completed: "Completed",
  declined: "Declined",
  cancelled: "Cancelled",
};

const CURRENCIES = ["usd", "eur", "gbp", "cad", "aud"];
const PROPOSAL_LABEL = { pending: "Waiting for an answer", accepted: "Accepted", declined: "Declined", countered: "Countered", withdrawn: "Withdrawn" };
const PAYMENT_LABEL = { none: "Not paid", pending: "Payment started", paid: "Paid", failed: "Payment failed", refund_pending: "Refund in progress", refunded: "Refunded", disputed: "Disputed" };

/** "25", "25.5", "1,234.50" → integer cents, without floating point; null if not an amount. */
export function parseCents(text) {
  const m = /^\s*(\d{1,9})(?:[.,](\d{0,2}))?\s*$/.exec(String(text || "").replace(/(\d),(\d{3})/g, "$1$2"));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** A connection whose agreed price must be paid before the work starts (and is not paid yet). */
function needsPay(c) {
  return Boolean(c.agreed_price_cents) && !FINAL.has(c.status) && !["paid"].includes(c.payment_status || "none") && ["initiated", "discussing", "accepted"].includes(c.status);
}

// (from, to) -> who may make the move: the server's TRANSITIONS, mirrored so that a page offers
// only the moves the viewer may make. The server decides; a 409 is shown as it comes.
const TRANSITIONS = {
  "initiated>discussing": "either",
  "initiated>accepted": "responder",
  "initiated>declined": "responder",
  "discussing>accepted": "responder",
  "discussing>declined": "responder",
  "accepted>in_progress": "either",
  "accepted>completed": "either",
  "in_progress>completed": "either",
  "initiated>cancelled": "initiator",
  "discussing>cancelled": "initiator",
  "accepted>cancelled": "initiator",
  "in_progress>cancelled": "initiator",
};
const MOVE_LABEL = {
  discussing: "Start discussing",
  accepted: "Accept",
  declined: "Decline",
  in_progress: "Start the work",
  completed: "Mark as completed",
  cancelled: "Cancel the connection",
};

/** The moves `me` may make on `connection`, in the state machine's order. */
export function allowedMoves(connection, me) {
  const side = connection.initiator.id === me.id ? "initiator" : "responder";
  return STATUS_ORDER.filter((to) => {
    const who = TRANSITIONS[`${connection.status}>${to}`];
    return who === "either" || who === side;
  });
}

function otherOf(connection, me) {
  return connection.initiator.id === me.id ? connection.responder : connection.initiator;
}

function subjectOf(connection) {
  if (connection.offer) return { text: connection.offer.title, href: `/offers/${connection.offer.id}`, kind: "Offer" };
  if (connection.ask) return { text: connection.ask.title, href: `/asks/${connection.ask.id}`, kind: "Ask" };
  return { text: "Direct connection", href: null, kind: "Direct" };
}

function statusTag(status) {
  return h("span", { class: ["tag", "status-tag", `status-${status}`], dataset: { status } }, STATUS_LABEL[status] || status);
}

// --- the list ----------------------------------------------------------------------------------
export async function connectionsPage(ctx) {
  ctx.setTitle("Connections");
  const { root, me, signal } = ctx;
  const live = liveQueue(ctx, ["connection.created", "connection.updated"]);
  const body = h("div", { class: "connection-groups" });
  mount(root, h("h1", {}, "Connections"), body);
  const items = await apiAll("/connections/", { signal, limit: 300 });
  const byId = new Map(items.map((c) => [c.id, c]));

  function row(c) {
    const other = otherOf(c, me);
    const subject = subjectOf(c);
    const mine = c.initiator.id === me.id;
    return h(
      "li",
      { class: "connection-row", dataset: { connection: c.id, status: c.status } },
      h(
        "div",
        { class: "row spread" },
        h("a", { href: `/connections/${c.id}`, class: "connection-title" }, `${subject.kind}: ${subject.text}`),
        statusTag(c.status),
      ),
      h(
        "div",
        { class: "row muted small" },
        mine ? h("span", {}, "You contacted ", userLink(other)) : h("span", {}, userLink(other), " contacted you"),
        c.agreed_price_cents !== null ? h("span", {}, "· ", money(c.agreed_price_cents, c.currency), c.payment_status === "paid" ? " · paid" : "") : null,
        h("span", {}, "· updated ", timeAgo(c.updated_at)),
      ),
    );
  }

  function render() {
    const all = [...byId.values()];
    if (!all.length) {
      mount(body, h("p", { class: "empty muted" }, "No connections yet. ", h("a", { href: "/discover" }, "Discover offers and asks"), " to connect with someone."));
      return;
    }
    const groups = STATUS_ORDER.map((status) => [status, all.filter((c) => c.status === status).sort((a, b) => b.updated_at.localeCompare(a.updated_at))]).filter(([, list]) => list.length);
    mount(
      body,
      groups.map(([status, list]) =>
        h(
          "section",
          { class: "card connection-group", "aria-labelledby": `group-${status}`, dataset: { status } },
          h("h2", { id: `group-${status}` }, STATUS_LABEL[status], " ", h("span", { class: "muted count" }, `(${list.length})`)),
          h("ul", { class: "list" }, list.map(row)),
        ),
      ),
    );
  }
  render();
  const onEvent = (frame) => {
    const c = frame.data.connection;
    const known = byId.get(c.id);
    if (known && known.updated_at > c.updated_at) return; // an older state than we show
    byId.set(c.id, c);
    render();
  };
  live.on("connection.created", onEvent);
  live.on("connection.updated", onEvent);
  live.start();
}

// --- one connection ----------------------------------------------------------------------------
export async function connectionPage(ctx) {
  const { root, me, signal } = ctx;
  const id = Number(ctx.params.id);
  const live = liveQueue(ctx, ["connection.created", "connection.updated", "payment.updated"]);
  let connection;
  try {
    connection = await api(`/connections/${id}/`, { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      ctx.setTitle("Not found");
      mount(root, h("h1", {}, "Connection not found"), h("p", {}, "This connection does not exist, or you are not part of it."), h("p", {}, h("a", { href: "/connections" }, "Back to your connections")));
      return;
    }
    throw error;
  }
  const status = h("div", { class: "status-message", role: "status", "aria-live": "polite" });
  const alertBox = h("p", { class: "form-error", role: "alert" });
  const view = h("div", { class: "connection-view" });
  mount(root, h("p", {}, h("a", { href: "/connections" }, "← All connections")), alertBox, view, status);
  let busy = false;

  async function patch(body, doneText) {
    if (busy) return;
    busy = true;
    alertBox.textContent = "";
    view.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const fresh = await api(`/connections/${id}/`, { method: "PATCH", body });
      show(fresh);
      status.textContent = doneText;
    } catch (error) {
      if (error.name === "AbortError") return;
      alertBox.textContent = error.status === 409 ? `Not possible: ${error.message}` : error.message;
      // Someone else may have moved it: show the current state.
      try {
        show(await api(`/connections/${id}/`, { signal }));
      } catch {
        /* keep what is shown */
      }
    } finally {
      busy = false;
      view.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  // --- price negotiation (proposals) and payment ---------------------------------------------
  // The price is agreed through proposals (GET/POST connections/<id>/proposals/, accept, decline,
  // withdraw); accepting sets agreed_price_cents. The buyer (the one helped) then pays it through
  // Stripe Checkout (POST connections/<id>/pay/ → checkout_url).
  let proposals = [];
  const negotiationAlert = h("div", { class: "form-error", role: "alert", id: "negotiation-alert" });
  const history = h("div", { class: "proposal-history" });
  const pendingBox = h("div", { class: "proposal-pending" });
  const amountInput = h("input", { type: "text", name: "amount", id: "proposal-amount", inputmode: "decimal", autocomplete: "off", placeholder: "25.00", required: true });
  const currencySelect = h("select", { name: "currency", id: "proposal-currency" }, CURRENCIES.map((cur) => h("option", { value: cur }, cur.toUpperCase())));
  const scopeInput = h("input", { type: "text", name: "scope", id: "proposal-scope", maxlength: 2000, placeholder: "What the price covers (optional)" });
  const messageInput = h("textarea", { name: "message", id: "proposal-message", maxlength: 2000, rows: 2 });
  const proposeButton = h("button", { type: "submit", class: "primary", id: "proposal-submit" }, "Propose this price");
  const proposalForm = h(
    "form",
    { class: "proposal-form", novalidate: true, "aria-labelledby": "proposal-form-h" },
    h("h3", { id: "proposal-form-h" }, "Propose a price"),
    h(
      "div",
      { class: "row" },
      h("div", { class: "field" }, h("label", { for: "proposal-amount" }, "Amount"), amountInput),
      h("div", { class: "field field-currency" }, h("label", { for: "proposal-currency" }, "Currency"), currencySelect),
    ),
    h("div", { class: "field" }, h("label", { for: "proposal-scope" }, "Scope (optional)"), scopeInput),
    h("div", { class: "field" }, h("label", { for: "proposal-message" }, "Message (optional)"), messageInput),
    proposeButton,
  );
  const negotiation = h("section", { class: "card negotiation", id: "negotiation", "aria-labelledby": "negotiation-h" });
  const paymentBox = h("section", { class: "card payment-panel", id: "payment-panel", "aria-labelledby": "payment-panel-h" });

  proposalForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    negotiationAlert.textContent = "";
    const amount = parseCents(amountInput.value);
    if (amount === null || amount < 1) {
      negotiationAlert.textContent = "Enter an amount such as 25 or 25.50.";
      amountInput.focus();
      return;
    }
    await step(
      () => api(`/connections/${id}/proposals/`, { method: "POST", body: { amount_cents: amount, currency: currencySelect.value, scope: scopeInput.value, message: messageInput.value } }),
      (p) => {
        amountInput.value = scopeInput.value = messageInput.value = "";
        return `You proposed ${money(p.amount_cents, p.currency)}.`;
      },
    );
  });

  async function step(call, done) {
    if (busy) return;
    busy = true;
    negotiationAlert.textContent = "";
    negotiation.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const answer = await call();
      status.textContent = done(answer.proposal || answer);
      if (answer.connection) show(answer.connection);
      await reloadProposals();
    } catch (error) {
      if (error.name === "AbortError") return;
      negotiationAlert.textContent = error.status === 409 ? `Not possible: ${error.message}` : error.message;
      await Promise.allSettled([reloadProposals(), api(`/connections/${id}/`, { signal }).then(show)]);
    } finally {
      busy = false;
      negotiation.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  async function reloadProposals() {
    try {
      proposals = await apiAll(`/connections/${id}/proposals/`, { signal, limit: 200 });
    } catch (error) {
      if (error.name === "AbortError") return;
      /* keep the last history */
    }
    showNegotiation(connection);
  }

  function showNegotiation(c) {
    const priceOpen = !FINAL.has(c.status) && ["none", "failed"].includes(c.payment_status || "none");
    const pending = proposals.find((p) => p.status === "pending");
    const mineOpen = pending && pending.proposer.id === me.id;
    mount(
      history,
      proposals.length
        ? h(
            "ol",
            { class: "proposals", "aria-label": "Price history" },
            proposals.map((p) =>
              h(
                "li",
                { class: ["proposal", `proposal-${p.status}`], dataset: { proposal: p.id, status: p.status } },
                h("span", {}, p.proposer.id === me.id ? "You" : userLink(p.proposer), p.replaces ? " countered with " : " proposed ", h("strong", { class: "proposal-amount" }, money(p.amount_cents, p.currency))),
                " ",
                h("span", { class: ["tag", "proposal-tag", `proposal-tag-${p.status}`] }, PROPOSAL_LABEL[p.status] || p.status),
                " ",
                h("span", { class: "muted small" }, timeAgo(p.created_at)),
                p.scope ? h("p", { class: "proposal-scope small" }, "Scope: ", p.scope) : null,
                p.message ? h("p", { class: "proposal-message small muted" }, "“", p.message, "”") : null,
              ),
            ),
          )
        : h("p", { class: "muted no-proposals" }, "No price proposed yet. Either of you can propose one; the work can be paid once the other accepts."),
    );
    let actions = null;
    if (pending && priceOpen) {
      actions = mineOpen
        ? h("div", { class: "row proposal-actions", role: "group", "aria-label": "Your proposal" }, h("span", {}, `Waiting for @${otherOf(c, me).username} to answer your ${money(pending.amount_cents, pending.currency)}.`), h("button", { type: "button", id: "proposal-withdraw", onclick: () => step(() => api(`/connections/${id}/proposals/${pending.id}/withdraw/`, { method: "POST" }), () => "You withdrew your proposal.") }, "Withdraw"))
        : h(
            "div",
            { class: "row proposal-actions", role: "group", "aria-label": "Answer the proposal" },
            h("span", {}, userLink(pending.proposer), ` proposes ${money(pending.amount_cents, pending.currency)}.`),
            h("button", { type: "button", class: "primary", id: "proposal-accept", onclick: () => step(() => api(`/connections/${id}/proposals/${pending.id}/accept/`, { method: "POST" }), (p) => `You accepted ${money(p.amount_cents, p.currency)}.`) }, `Accept ${money(pending.amount_cents, pending.currency)}`),
            h("button", { type: "button", class: "danger", id: "proposal-decline", onclick: () => step(() => api(`/connections/${id}/proposals/${pending.id}/decline/`, { method: "POST", body: { message: messageInput.value } }), () => "You declined the proposal.") }, "Decline"),
          );
    }
    mount(pendingBox, actions);
    proposalForm.hidden = !priceOpen;
    const formTitle = proposalForm.querySelector("h3");
    formTitle.textContent = pending && priceOpen ? (mineOpen ? "Revise your proposal" : "Or make a counter-offer") : "Propose a price";
    proposeButton.textContent = pending && priceOpen ? (mineOpen ? "Send the new price" : "Counter") : "Propose this price";
    if (!amountInput.value && document.activeElement !== currencySelect) currencySelect.value = c.currency || "usd";
    const locked = !FINAL.has(c.status) && !priceOpen ? h("p", { class: "muted price-locked" }, "The price is locked while a payment is under way or done.") : null;
    mount(
      negotiation,
      h("h2", { id: "negotiation-h" }, "Price"),
      h("p", { class: "agreed" }, "Agreed price: ", h("strong", { id: "agreed-price" }, c.agreed_price_cents ? money(c.agreed_price_cents, c.currency) : c.agreed_price_cents === 0 ? "Free" : "Not agreed yet")),
      negotiationAlert,
      history,
      pendingBox,
      locked,
      FINAL.has(c.status) ? null : proposalForm,
    );
  }

  function buyerIdOf(c) {
    return c.connection_type === "ask_response" ? c.responder.id : c.initiator.id;
  }

  async function pay(button) {
    negotiationAlert.textContent = "";
    payAlert.textContent = "";
    button.disabled = true;
    const text = button.textContent;
    button.textContent = "Opening checkout…";
    try {
      await startCheckout(`/connections/${id}/pay/`);
    } catch (error) {
      button.disabled = false;
      button.textContent = text;
      payAlert.textContent = paymentErrorText(error);
    }
  }
  const payAlert = h("div", { class: "form-error", role: "alert", id: "pay-alert" });

  function showPayment(c) {
    const price = c.agreed_price_cents || 0;
    if (!price) return null;
    const ps = c.payment_status || "none";
    const isBuyer = buyerIdOf(c) === me.id;
    const other = otherOf(c, me);
    const amount = money(price, c.currency);
    const parts = [h("div", { class: "row spread" }, h("h2", { id: "payment-panel-h" }, "Payment"), h("span", { class: ["tag", "payment-badge", `payment-${ps}`], id: "payment-badge", dataset: { paymentStatus: ps } }, PAYMENT_LABEL[ps] || ps))];
    const canPay = isBuyer && !FINAL.has(c.status) && ["none", "failed", "pending"].includes(ps);
    if (ps === "paid") parts.push(h("p", { class: "paid-line" }, isBuyer ? `You paid ${amount}` : `@${other.username} paid ${amount}`, c.paid_at ? [" ", timeAgo(c.paid_at)] : null, ". ", isBuyer ? "The work can start." : "You can start the work."));
    else if (ps === "refund_pending") parts.push(h("p", {}, `A refund of ${amount} is on its way${isBuyer ? " to your card" : " to the buyer"}.`));
    else if (ps === "refunded") parts.push(h("p", {}, isBuyer ? `The ${amount} you paid was refunded to your card.` : `The ${amount} was refunded to @${other.username}.`));
    else if (ps === "disputed") parts.push(h("p", {}, "The payment is disputed with the card holder's bank; it is being reviewed."));
    else if (ps === "failed") parts.push(h("p", { class: "pay-failed" }, isBuyer ? "The last payment did not go through. Nothing was charged; you can pay again." : `@${other.username}'s payment did not go through yet.`));
    else if (ps === "pending") parts.push(h("p", {}, isBuyer ? "You started paying but have not finished." : `@${other.username} has started paying.`));
    else parts.push(h("p", {}, isBuyer ? `Pay the agreed ${amount} to start the work. You pay on Stripe's secure page.` : `Waiting for @${other.username} to pay the agreed ${amount}. The work starts once it is paid.`));
    if (canPay) parts.push(h("button", { type: "button", class: "primary", id: "pay-button", onclick: (e) => pay(e.currentTarget) }, ps === "pending" ? "Continue to payment" : ps === "failed" ? `Pay ${amount} again` : `Pay ${amount}`));
    parts.push(payAlert);
    mount(paymentBox, parts);
    return paymentBox;
  }

  function ratingForm(c) {
    const side = c.initiator.id === me.id ? "initiator" : "responder";
    const mine = c[`${side}_rating`];
    const theirs = c[`${side === "initiator" ? "responder" : "initiator"}_rating`];
    const other = otherOf(c, me);
    const out = h("section", { class: "card rating", "aria-labelledby": "rating-h" }, h("h2", { id: "rating-h" }, "Rating"));
    if (theirs !== null) out.append(h("p", {}, userLink(other), ` rated you ${theirs}/5`, c[`${side === "initiator" ? "responder" : "initiator"}_feedback`] ? `: “${c[`${side === "initiator" ? "responder" : "initiator"}_feedback`]}”` : "."));
    if (mine !== null) {
      out.append(h("p", { class: "rated" }, `You rated @${other.username} ${mine}/5`, c[`${side}_feedback`] ? `: “${c[`${side}_feedback`]}”` : "."));
      return out;
    }
    const stars = h(
      "fieldset",
      { class: "stars" },
      h("legend", {}, `How was it with @${other.username}?`),
      [1, 2, 3, 4, 5].map((n) => h("label", { class: "star" }, h("input", { type: "radio", name: "rating", value: n, required: true }), ` ${n}`)),
    );
    const feedback = h("textarea", { name: "feedback", id: "feedback", maxlength: 2000, rows: 3 });
    const form = h("form", { class: "rating-form" }, h("p", { class: "form-error", role: "alert" }), stars, h("div", { class: "field" }, h("label", { for: "feedback" }, "Feedback (optional)"), feedback), h("button", { type: "submit", class: "primary" }, "Submit rating"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const picked = form.querySelector("input[name=rating]:checked");
      if (!picked) return showFormErrors(form, new ApiError(400, { detail: "Choose a rating from 1 to 5." }));
      try {
        const fresh = await api(`/connections/${id}/rate/`, { method: "POST", body: { rating: Number(picked.value), feedback: feedback.value } });
        show(fresh);
        status.textContent = "Thank you for your rating.";
      } catch (error) {
        showFormErrors(form, error);
      }
    });
    out.append(form);
    return out;
  }

  function show(c) {
    if (connection && c.updated_at < connection.updated_at) return; // an older state
    connection = c;
    // A live update re-renders the view: keep what the viewer was typing or had picked.
    const kept = {
      feedback: view.querySelector("#feedback")?.value,
      rating: view.querySelector("input[name=rating]:checked")?.value,
      focus: document.activeElement && view.contains(document.activeElement) ? document.activeElement.id : null,
    };
    const other = otherOf(c, me);
    const subject = subjectOf(c);
    const mine = c.initiator.id === me.id;
    ctx.setTitle(`Connection with @${other.username}`);
    const moves = allowedMoves(c, me);
    const actions = moves.length
      ? h(
          "div",
          { class: "row connection-actions", role: "group", "aria-label": "Next steps" },
          moves.map((to) =>
            h("button", { type: "button", class: to === "declined" || to === "cancelled" ? "danger" : "primary", dataset: { move: to }, onclick: () => patch({ status: to }, `Now ${STATUS_LABEL[to].toLowerCase()}.`) }, MOVE_LABEL[to]),
          ),
        )
      : h("p", { class: "muted no-moves" }, FINAL.has(c.status) ? `This connection is ${STATUS_LABEL[c.status].toLowerCase()}.` : `Waiting for @${other.username}.`);
    mount(
      view,
      h("h1", {}, subject.href ? h("a", { href: subject.href }, subject.text) : subject.text),
      h(
        "section",
        { class: "card connection-card" },
        h("div", { class: "row spread" }, h("span", {}, mine ? "You contacted " : "", userLink(other), mine ? "" : " contacted you"), statusTag(c.status)),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Type"),
          h("dd", {}, { offer_inquiry: "About an offer", ask_response: "Answer to an ask", direct: "Direct" }[c.connection_type] || c.connection_type),
          h("dt", {}, "Started"),
          h("dd", {}, timeAgo(c.created_at)),
          h("dt", {}, "Agreed price"),
          h("dd", { class: "price" }, c.agreed_price_cents !== null ? money(c.agreed_price_cents, c.currency) : "Not set"),
          c.agreed_price_cents ? [h("dt", {}, "Payment"), h("dd", { class: "payment-state", dataset: { paymentStatus: c.payment_status || "none" } }, PAYMENT_LABEL[c.payment_status || "none"])] : null,
          c.paid_at ? [h("dt", {}, "Paid"), h("dd", {}, timeAgo(c.paid_at))] : null,
          c.completed_at ? [h("dt", {}, "Completed"), h("dd", {}, timeAgo(c.completed_at))] : null,
        ),
        c.initial_message ? h("blockquote", { class: "initial-message" }, h("p", {}, c.initial_message)) : null,
        c.dm_thread ? h("p", {}, h("a", { href: `/threads/${c.dm_thread}`, class: "button" }, `Message @${other.username}`)) : null,
      ),
      h("section", { class: "card", "aria-labelledby": "steps-h" }, h("h2", { id: "steps-h" }, "Status"), steps(c.status), actions, needsPay(c) ? h("p", { class: "muted small pay-first" }, "The work can start once the agreed price is paid.") : null),
      showPayment(c),
      (FINAL.has(c.status) && !proposals.length) ? null : negotiation,
      c.status === "completed" ? ratingForm(c) : null,
    );
    const feedback = view.querySelector("#feedback");
    if (feedback && kept.feedback) feedback.value = kept.feedback;
    if (kept.rating) view.querySelector(`input[name=rating][value="${kept.rating}"]`)?.click();
    showNegotiation(c);
    if (kept.focus) document.getElementById(kept.focus)?.focus({ preventScroll: true });
  }

  function steps(current) {
    const path = ["initiated", "discussing", "accepted", "in_progress", "completed"];
    if (!path.includes(current)) path.push(current);
    const at = path.indexOf(current);
    return h(
      "ol",
      { class: "steps", "aria-label": "Progress" },
      path.map((s, i) => h("li", { class: [i < at ? "done" : null, i === at ? "current" : null], "aria-current": i === at ? "step" : null }, STATUS_LABEL[s])),
    );
  }

  show(connection);
  await reloadProposals();
  let proposalsTimer = null;
  const onEvent = (frame) => {
    const c = frame.data.connection;
    if (c.id !== id) return;
    const before = connection.status;
    const beforePrice = `${connection.agreed_price_cents}/${connection.currency}/${connection.payment_status}`;
    // Keep a half-typed feedback: re-render only when something shown changes.
    show(c);
    if (c.status !== before) status.textContent = `The connection is now ${STATUS_LABEL[c.status].toLowerCase()}.`;
    else if (`${c.agreed_price_cents}/${c.currency}/${c.payment_status}` !== beforePrice) {
      status.textContent = c.payment_status === "paid" ? "The agreed price is paid." : c.agreed_price_cents ? `The agreed price is now ${money(c.agreed_price_cents, c.currency)}.` : "The price changed.";
    }
    // A proposal step comes as connection.updated: read the history again (once for a burst).
    clearTimeout(proposalsTimer);
    proposalsTimer = setTimeout(reloadProposals, 50);
  };
  live.on("connection.updated", onEvent);
  live.on("connection.created", onEvent);
  live.on("payment.updated", (frame) => {
    const p = frame.data && frame.data.payment;
    if (!p || p.connection !== id) return;
    api(`/connections/${id}/`, { signal }).then(show, () => {});
  });
  live.start();
  return () => clearTimeout(proposalsTimer);
}
