// Connections: the caller's list grouped by status (/connections) and one connection with its
// state machine, price, rating and thread link (/connections/:id), live over the socket.
// REST and the state machine: docs/connections.md (collective/services/connections.py TRANSITIONS).

import { api, apiAll, ApiError, h, liveQueue, money, mount, showFormErrors, timeAgo, userLink } from "../core.js";

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
        c.agreed_price_cents !== null ? h("span", {}, "· ", money(c.agreed_price_cents)) : null,
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
  const live = liveQueue(ctx, ["connection.created", "connection.updated"]);
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

  function priceForm(c) {
    const input = h("input", { type: "number", name: "agreed_price_cents", id: "price", min: 0, step: "0.01", inputmode: "decimal", value: c.agreed_price_cents !== null ? (c.agreed_price_cents / 100).toFixed(2) : "" });
    const form = h(
      "form",
      { class: "price-form row" },
      h("label", { for: "price" }, "Agreed price (USD)"),
      input,
      h("button", { type: "submit" }, "Save price"),
      c.agreed_price_cents !== null ? h("button", { type: "button", class: "link-button", onclick: () => patch({ agreed_price_cents: null }, "Price cleared.") }, "Clear") : null,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = input.value.trim();
      const cents = value === "" ? null : Math.round(Number(value) * 100);
      if (cents !== null && (!Number.isFinite(cents) || cents < 0)) {
        alertBox.textContent = "The price must be a positive amount.";
        return;
      }
      patch({ agreed_price_cents: cents }, cents === null ? "Price cleared." : `Price set to ${money(cents)}.`);
    });
    return form;
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
      price: document.activeElement?.id === "price" ? document.activeElement.value : undefined,
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
          h("dd", { class: "price" }, c.agreed_price_cents !== null ? money(c.agreed_price_cents) : "Not set"),
          c.paid_at ? [h("dt", {}, "Paid"), h("dd", {}, timeAgo(c.paid_at))] : null,
          c.completed_at ? [h("dt", {}, "Completed"), h("dd", {}, timeAgo(c.completed_at))] : null,
        ),
        c.initial_message ? h("blockquote", { class: "initial-message" }, h("p", {}, c.initial_message)) : null,
        c.dm_thread ? h("p", {}, h("a", { href: `/threads/${c.dm_thread}`, class: "button" }, `Message @${other.username}`)) : null,
      ),
      h("section", { class: "card", "aria-labelledby": "steps-h" }, h("h2", { id: "steps-h" }, "Status"), steps(c.status), actions, FINAL.has(c.status) ? null : priceForm(c)),
      c.status === "completed" ? ratingForm(c) : null,
    );
    const feedback = view.querySelector("#feedback");
    if (feedback && kept.feedback) feedback.value = kept.feedback;
    if (kept.rating) view.querySelector(`input[name=rating][value="${kept.rating}"]`)?.click();
    const price = view.querySelector("#price");
    if (price && kept.price !== undefined) price.value = kept.price;
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
  const onEvent = (frame) => {
    const c = frame.data.connection;
    if (c.id !== id) return;
    const before = connection.status;
    // Keep a half-typed feedback: re-render only when something shown changes.
    show(c);
    if (c.status !== before) status.textContent = `The connection is now ${STATUS_LABEL[c.status].toLowerCase()}.`;
  };
  live.on("connection.updated", onEvent);
  live.on("connection.created", onEvent);
  live.start();
}
