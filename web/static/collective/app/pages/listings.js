// `/offers/<id>`, `/asks/<id>` (one listing, its view recorded with POST .../view/, a Connect form
// that opens a connection and goes to it; the owner gets Edit and Close) and the forms
// `/offers/new`, `/offers/<id>/edit`, `/asks/new`, `/asks/<id>/edit` (field errors from the API's 400s).

import { api, ApiError, ASK_TYPES, empty, errorBox, field, h, label, link, loading, money, mount, navigate, OFFER_TYPES, offerCategories, showFormErrors, timeAgo, toast, trustedHtml, userLink } from "../core.js";
import { matchesPanel } from "./matches.js";
import { isNotConfigured, notConfiguredBox, paymentErrorText, startCheckout } from "./payments.js";

const PRICING = ["free", "one_time", "hourly", "monthly", "custom"];
const BUYABLE = new Set(["app", "course", "template"]); // payments: offers bought outright (one-time price)

/** "Buy for $X" on a paid one-time app/course/template (POST offers/<id>/buy/ → Stripe Checkout). */
function buyBox(item) {
  if (!BUYABLE.has(item.offer_type) || !item.is_paid || item.pricing_type !== "one_time" || !(item.price_cents > 0)) return null;
  const amount = money(item.price_cents, item.currency);
  const alertBox = h("div", { role: "alert", class: "buy-alert" });
  const button = h("button", { type: "button", class: "primary", id: "buy-offer" }, `Buy for ${amount}`);
  button.addEventListener("click", async () => {
    alertBox.replaceChildren();
    button.disabled = true;
    button.textContent = "Opening checkout…";
    try {
      await startCheckout(`/offers/${item.id}/buy/`);
    } catch (error) {
      button.disabled = false;
      button.textContent = `Buy for ${amount}`;
      mount(alertBox, isNotConfigured(error) ? notConfiguredBox("This offer cannot be bought here until the operator configures Stripe.") : h("p", { class: "form-error" }, paymentErrorText(error)));
    }
  });
  return h("section", { class: "card buy-box", "aria-labelledby": "buy-title" }, h("h2", { id: "buy-title" }, `Get this ${label(item.offer_type).toLowerCase()}`), h("p", { class: "muted" }, "One payment, on Stripe's secure page."), button, alertBox);
}

const KINDS = {
  offer: { path: "offers", connectType: "offer_inquiry", connectLabel: "Ask about this offer", noun: "offer" },
  ask: { path: "asks", connectType: "ask_response", connectLabel: "Offer your help", noun: "ask" },
};

function price(o) {
  if (!o.is_paid) return "Free";
  if (!o.price_cents) return "Price on request";
  const suffix = { hourly: " per hour", monthly: " per month" }[o.pricing_type] || "";
  return money(o.price_cents, o.currency) + suffix;
}

function connectForm(item, kind) {
  const k = KINDS[kind];
  const submit = h("button", { type: "submit", class: "primary" }, "Connect");
  const form = h(
    "form",
    { class: "card", id: "connect-form", "aria-labelledby": "connect-title", novalidate: true },
    h("h2", { id: "connect-title" }, k.connectLabel),
    field("Message", { name: "initial_message", required: true, maxlength: 5000, placeholder: `Hi @${item.user.username}, …` }, { tag: "textarea", hint: "Say who you are and what you have in mind." }),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const body = { connection_type: k.connectType, initial_message: form.elements.initial_message.value, [kind]: item.id };
      const c = await api("/connections/", { method: "POST", body });
      navigate(`/connections/${c.id}`);
    } catch (error) {
      showFormErrors(form, error);
      submit.disabled = false;
    }
  });
  return form;
}

function ownerTools(item, kind, ctx) {
  const k = KINDS[kind];
  const closed = kind === "offer" ? item.is_archived : ["closed", "fulfilled"].includes(item.status) || item.is_archived;
  const close = h("button", { type: "button", class: "danger", disabled: closed }, kind === "offer" ? "Close (archive)" : "Close ask");
  close.addEventListener("click", async () => {
    if (!confirm(kind === "offer" ? "Archive this offer? It disappears from your storefront." : "Close this ask?")) return;
    close.disabled = true;
    try {
      if (kind === "offer") await api(`/offers/${item.id}/`, { method: "DELETE" });
      else await api(`/asks/${item.id}/status/`, { method: "PATCH", body: { status: "closed" } });
      toast(kind === "offer" ? "Offer archived." : "Ask closed.", { kind: "success" });
      ctx.rerender();
    } catch (error) {
      toast(error.message, { kind: "error" });
      close.disabled = false;
    }
  });
  const extra = [];
  if (kind === "ask" && item.status === "closed") {
    const reopen = h("button", { type: "button" }, "Reopen");
    reopen.addEventListener("click", async () => {
      try {
        await api(`/asks/${item.id}/status/`, { method: "PATCH", body: { status: "open" } });
        ctx.rerender();
      } catch (error) {
        toast(error.message, { kind: "error" });
      }
    });
    extra.push(reopen);
  }
  return h(
    "div",
    { class: "card row", role: "group", "aria-label": "Your listing" },
    h("span", { class: "muted" }, `This is your ${k.noun}.`),
    closed && kind === "offer" ? null : h("a", { class: "button", href: `/${k.path}/${item.id}/edit` }, "Edit"),
    close,
    extra,
  );
}

async function listingPage(ctx, kind) {
  const k = KINDS[kind];
  const id = ctx.params.id;
  mount(ctx.root, loading());
  let item;
  try {
    item = await api(`/${k.path}/${id}/`, { signal: ctx.signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(ctx.root, errorBox(error, () => ctx.rerender()));
    return;
  }
  ctx.setTitle(item.title);
  const mine = ctx.me && item.user.id === ctx.me.id;
  // A visit counts as a view (the owner's own visits are not counted by the server).
  if (!mine) {
    api(`/${k.path}/${id}/view/`, { method: "POST" })
      .then((r) => {
        const el = document.getElementById("view-count");
        if (el && r && typeof r.view_count === "number") el.textContent = String(r.view_count);
      })
      .catch(() => {});
  }
  const meta = [
    h("span", { class: "tag" }, label(kind === "offer" ? item.offer_type : item.ask_type)),
    h("span", { class: "tag" }, label(item.status)),
    item.category ? h("span", { class: "tag" }, item.category.name) : null,
    ...(item.tags || []).map((t) => h("span", { class: "tag" }, `#${t.name || t.slug}`)),
  ];
  const open = kind === "offer" ? item.status === "active" || item.status === "paused" : ["open", "in_progress"].includes(item.status);
  mount(
    ctx.root,
    h(
      "article",
      { class: "card listing", "aria-labelledby": "listing-title" },
      h("p", { class: "muted small" }, kind === "offer" ? "Offer" : "Ask", " by ", userLink(item.user), " · ", timeAgo(item.created_at)),
      h("h1", { id: "listing-title" }, item.title),
      h("p", { class: "row" }, meta),
      h("p", { class: "description" }, item.description),
      kind === "offer" && item.body_html ? trustedHtml(item.body_html, "div", { class: "body-html" }) : null,
      kind === "offer" ? h("p", {}, h("strong", {}, "Price: "), price(item)) : null,
      kind === "offer" && item.external_url ? h("p", {}, h("a", { href: item.external_url, rel: "nofollow noopener noreferrer", target: "_blank" }, "Visit link ↗")) : null,
      kind === "ask" && item.is_paid_opportunity
        ? h("p", {}, h("strong", {}, "Budget: "), [item.budget_min_cents, item.budget_max_cents].filter((x) => x != null).map((c) => money(c, item.currency)).join(" – ") || "Paid")
        : null,
      h(
        "p",
        { class: "muted small" },
        h("span", { id: "view-count" }, String(item.view_count)),
        item.view_count === 1 ? " view · " : " views · ",
        kind === "offer" ? `${item.connection_count} connected` : `${item.response_count} responded`,
      ),
    ),
    kind === "offer" && !mine && item.status === "active" ? buyBox(item) : null,
    mine ? ownerTools(item, kind, ctx) : open ? connectForm(item, kind) : empty(`This ${k.noun} is not open for connections.`),
    mine ? matchesPanel(ctx, kind, item.id) : null,
  );
}

export function offerPage(ctx) {
  return listingPage(ctx, "offer");
}
export function askPage(ctx) {
  return listingPage(ctx, "ask");
}

// --- forms -------------------------------------------------------------------------------------
const categories = () => offerCategories().catch(() => []); // the form works without the list

const slugs = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
const cents = (text) => (text.trim() === "" ? null : Math.round(Number(text) * 100));
const dollars = (c) => (c == null ? "" : (c / 100).toFixed(2).replace(/\.00$/, ""));

async function formPage(ctx, kind) {
  const k = KINDS[kind];
  const id = ctx.params.id;
  mount(ctx.root, loading());
  let item = null;
  let cats;
  try {
    [item, cats] = await Promise.all([id ? api(`/${k.path}/${id}/`, { signal: ctx.signal }) : null, categories()]);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(ctx.root, errorBox(error, () => ctx.rerender()));
    return;
  }
  if (item && ctx.me && item.user.id !== ctx.me.id) {
    mount(ctx.root, errorBox(new Error(`Only the owner can edit this ${k.noun}.`)));
    return;
  }
  const title = item ? `Edit ${k.noun}` : `New ${k.noun}`;
  ctx.setTitle(title);
  const v = item || {};
  const catOptions = [["", "No category"], ...cats.map((c) => [c.slug, c.name])];
  const common = [
    field("Title", { name: "title", required: true, maxlength: 200, value: v.title || "" }),
    field("Description", { name: "description", required: true, maxlength: 5000, value: v.description || "" }, { tag: "textarea" }),
  ];
  let specific;
  if (kind === "offer") {
    specific = [
      field("Type", { name: "offer_type", value: v.offer_type || "service" }, { tag: "select", options: OFFER_TYPES.map((t) => [t, label(t)]) }),
      field("Category", { name: "category", value: v.category ? v.category.slug : "" }, { tag: "select", options: catOptions }),
      field("Tags", { name: "tags", value: (v.tags || []).map((t) => t.slug).join(", ") }, { hint: "Skill or topic slugs, comma-separated (e.g. python, agents)" }),
      field("Link", { name: "external_url", type: "url", value: v.external_url || "" }, { hint: "Optional: where people can try or read it" }),
      field("Details (Markdown)", { name: "body", maxlength: 20000, value: v.body || "" }, { tag: "textarea" }),
      h("div", { class: "field checkbox" }, h("label", {}, h("input", { type: "checkbox", name: "is_paid", checked: Boolean(v.is_paid) }), " This is a paid offer")),
      field("Pricing", { name: "pricing_type", value: v.pricing_type || "free" }, { tag: "select", options: PRICING.map((p) => [p, label(p)]) }),
      field("Price (in currency units)", { name: "price_cents", type: "number", min: 0, step: "0.01", inputmode: "decimal", value: dollars(v.price_cents || null) }),
      field("Status", { name: "status", value: v.status || "active" }, { tag: "select", options: [["active", "Active (public)"], ["draft", "Draft (only you)"], ["paused", "Paused"]] }),
    ];
  } else {
    specific = [
      field("Type", { name: "ask_type", value: v.ask_type || "feedback" }, { tag: "select", options: ASK_TYPES.map((t) => [t, label(t)]) }),
      field("Category", { name: "category", value: v.category ? v.category.slug : "" }, { tag: "select", options: catOptions }),
      field("Tags", { name: "tags", value: (v.tags || []).map((t) => t.slug).join(", ") }, { hint: "Skill or topic slugs, comma-separated" }),
      h("div", { class: "field checkbox" }, h("label", {}, h("input", { type: "checkbox", name: "is_paid_opportunity", checked: Boolean(v.is_paid_opportunity) }), " This is a paid opportunity")),
      field("Budget from", { name: "budget_min_cents", type: "number", min: 0, step: "0.01", value: dollars(v.budget_min_cents) }),
      field("Budget up to", { name: "budget_max_cents", type: "number", min: 0, step: "0.01", value: dollars(v.budget_max_cents) }),
    ];
  }
  const submit = h("button", { type: "submit", class: "primary" }, item ? "Save" : kind === "offer" ? "Publish offer" : "Post ask");
  const form = h(
    "form",
    { class: "card form", novalidate: true, "aria-labelledby": "form-title" },
    h("h1", { id: "form-title" }, title),
    common,
    specific,
    h("div", { class: "row" }, submit, link(item ? `/${k.path}/${item.id}` : "/home", "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = { title: f.title.value, description: f.description.value, category: f.category.value || null, tags: slugs(f.tags.value) };
    if (kind === "offer") {
      Object.assign(body, {
        offer_type: f.offer_type.value,
        external_url: f.external_url.value,
        body: f.body.value,
        is_paid: f.is_paid.checked,
        pricing_type: f.is_paid.checked ? f.pricing_type.value : "free",
        price_cents: f.is_paid.checked ? cents(f.price_cents.value) ?? 0 : 0,
        status: f.status.value,
      });
    } else {
      Object.assign(body, {
        ask_type: f.ask_type.value,
        is_paid_opportunity: f.is_paid_opportunity.checked,
        budget_min_cents: f.is_paid_opportunity.checked ? cents(f.budget_min_cents.value) : null,
        budget_max_cents: f.is_paid_opportunity.checked ? cents(f.budget_max_cents.value) : null,
      });
    }
    submit.disabled = true;
    try {
      const saved = await api(item ? `/${k.path}/${item.id}/` : `/${k.path}/`, { method: item ? "PATCH" : "POST", body });
      toast(item ? "Saved." : `Your ${k.noun} is up.`, { kind: "success" });
      navigate(`/${k.path}/${saved.id}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) error.message = `This ${k.noun} is archived and cannot be edited.`;
      showFormErrors(form, error);
      form.querySelector("[aria-invalid]")?.focus();
      submit.disabled = false;
    }
  });
  mount(ctx.root, form);
}

export function offerFormPage(ctx) {
  return formPage(ctx, "offer");
}
export function askFormPage(ctx) {
  return formPage(ctx, "ask");
}
