// The web app's shared pieces: REST calls (session cookie + CSRF), a DOM builder that never parses
// strings as HTML, navigation, toasts, and formatting. Page modules (./pages/*.js) import from here;
// main.js owns the router, the layout and the realtime client. No build step, no dependency.

/** An error answer of the REST API: `status` (0: network), `code` and `detail` of the stable error
 * shape, `fields` ({field: [messages]}) for validation errors, `retryAfter` seconds. */
export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    const detail = (body && (body.detail || body.message)) || (status ? `HTTP ${status}` : "Network error");
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.name = "ApiError";
    this.status = status;
    this.code = (body && body.code) || null;
    this.body = body || {};
    this.fields = (body && (body.fields || body.errors)) || fieldErrors(body);
    this.retryAfter = retryAfter;
  }
}

function fieldErrors(body) {
  // DRF validation errors without the project's wrapper: {field: ["..."]}.
  if (!body || typeof body !== "object" || Array.isArray(body)) return {};
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (["detail", "code", "status", "message"].includes(k)) continue;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = v;
  }
  return out;
}

export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

const listeners = { unauthorized: new Set() };

/** Called with no argument whenever an authenticated call answers 401/403-not-authenticated. */
export function onUnauthorized(fn) {
  listeners.unauthorized.add(fn);
  return () => listeners.unauthorized.delete(fn);
}

/** `api("/threads/")`, `api("/threads/1/messages/", {method: "POST", body: {...}})`.
 * Paths are relative to /api/v1/ unless they start with /api/. `query` is an object of search
 * params (null/undefined/"" dropped). Resolves to the parsed JSON (null for 204); rejects with an
 * ApiError. `signal` aborts (page navigation passes the page's signal). */
export async function api(path, { method = "GET", body, query, signal, form } = {}) {
  let url = path.startsWith("/api/") ? path : `/api/v1${path.startsWith("/") ? "" : "/"}${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.append(k, v);
    const qs = params.toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = readCookie("csrftoken") || "";
  let payload;
  if (form) payload = form; // FormData (attachments): the browser sets the multipart boundary
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials: "same-origin", signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "The service could not be reached. Check your connection." });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const retry = response.headers.get("Retry-After");
    const err = new ApiError(response.status, data, retry ? Number(retry) : null);
    if (response.status === 401 || (response.status === 403 && err.code === "not_authenticated")) {
      for (const fn of listeners.unauthorized) fn(err);
    }
    throw err;
  }
  return data;
}

/** Every page of a paginated list ({results, next}) up to `limit` items. */
export async function apiAll(path, { query, signal, limit = 500 } = {}) {
  const out = [];
  let data = await api(path, { query, signal });
  for (;;) {
    out.push(...(data.results || []));
    if (!data.next || out.length >= limit) return out.slice(0, limit);
    const next = new URL(data.next, location.origin);
    data = await api(next.pathname + next.search, { signal });
  }
}

/** h("button", {class: "primary", onclick: fn, disabled: true}, "Text", child, [more]) → Element.
 * Strings become text nodes (never HTML). `html` is refused: use `trustedHtml` for the server's
 * sanitised `body_html` only. Attributes: class, style (object or string), dataset (object),
 * on<event> handlers, boolean attributes, aria-*, and everything else as setAttribute. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "html") throw new Error("h(): use trustedHtml() for server-sanitised HTML");
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The server's `body_html` (cmark-gfm rendered and sanitised by nh3 on the server: core/rendering.py)
 * as a node. Only for fields documented as sanitised HTML. */
export function trustedHtml(html, tag = "div", attrs = {}) {
  const el = h(tag, attrs);
  el.innerHTML = html || "";
  return el;
}

/** An in-app link: navigates without reloading the page. */
export function link(href, ...children) {
  return h("a", { href }, ...children);
}

// --- navigation (main.js installs the router) ------------------------------------------------
let navigator_ = (path) => location.assign(path);
export function setNavigator(fn) {
  navigator_ = fn;
}
/** Go to an app path ("/threads/3"); `replace` replaces the history entry. */
export function navigate(path, { replace = false } = {}) {
  return navigator_(path, { replace });
}

// --- toasts ----------------------------------------------------------------------------------
/** A short message in the corner (role=status, read by screen readers); `kind`: info | success |
 * error | points. Returns the element. */
export function toast(text, { kind = "info", timeout = 5000, title } = {}) {
  const region = document.getElementById("toasts");
  const el = h("div", { class: ["toast", `toast-${kind}`], dataset: { kind } }, title ? h("strong", {}, title, " ") : null, text);
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss", onclick: () => el.remove() }, "×");
  el.append(close);
  region?.append(el);
  if (timeout) setTimeout(() => el.remove(), timeout);
  return el;
}

/** A form's field errors from an ApiError, shown next to the fields (`name` attributes), and the rest
 * in the form's `.form-error` element. Returns true if something was shown. */
export function showFormErrors(form, error) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  let general = form.querySelector(".form-error");
  if (!general) {
    general = h("p", { class: "form-error", role: "alert" });
    form.prepend(general);
  }
  general.textContent = "";
  const fields = (error && error.fields) || {};
  let shownGeneral = false;
  for (const [name, messages] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    if (input) {
      const id = `${input.id || name}-error`;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.insertAdjacentElement("afterend", h("span", { class: "field-error", id }, text));
    } else {
      general.textContent += `${name}: ${text} `;
      shownGeneral = true;
    }
  }
  if (!Object.keys(fields).length || (!shownGeneral && error && !Object.keys(fields).length)) {
    general.textContent = error ? error.message : "";
  }
  return Boolean(error);
}

/** Read a form into an object (FormData; checkboxes → booleans; empty strings kept). */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else if (el.multiple && el.tagName === "SELECT") out[el.name] = [...el.selectedOptions].map((o) => o.value);
    else out[el.name] = el.value;
  }
  return out;
}

/** A labelled input: field("Username", {name: "username", required: true}). */
export function field(label, attrs = {}, { hint, tag = "input", options } = {}) {
  const id = attrs.id || `f-${attrs.name}-${Math.random().toString(36).slice(2, 7)}`;
  let control;
  if (tag === "select") {
    control = h("select", { ...attrs, id }, (options || []).map(([value, text]) => h("option", { value, selected: String(attrs.value) === String(value) }, text)));
  } else if (tag === "textarea") {
    control = h("textarea", { ...attrs, id, value: undefined }, attrs.value ?? "");
  } else control = h("input", { type: "text", ...attrs, id });
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", { class: "hint" }, hint) : null);
}

// --- formatting ------------------------------------------------------------------------------
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
/** "3 min ago", "yesterday"... for an ISO time; the exact time is the element's title. */
export function timeAgo(iso) {
  if (!iso) return h("span", {}, "");
  const date = new Date(iso);
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  let text;
  if (abs < 45) text = "just now";
  else if (abs < 3600) text = rtf.format(Math.round(seconds / 60), "minute");
  else if (abs < 86400) text = rtf.format(Math.round(seconds / 3600), "hour");
  else if (abs < 86400 * 30) text = rtf.format(Math.round(seconds / 86400), "day");
  else text = date.toLocaleDateString();
  return h("time", { datetime: iso, title: date.toLocaleString() }, text);
}

export function money(cents, currency = "usd") {
  if (cents === null || cents === undefined) return "";
  return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

/** "@ada" linked to the storefront. `user` is {id, username, ...} or a username. */
export function userLink(user) {
  const username = typeof user === "string" ? user : user && user.username;
  if (!username) return h("span", { class: "muted" }, "someone");
  return link(`/u/${encodeURIComponent(username)}`, `@${username}`);
}

/** An empty-state paragraph. */
export function empty(text) {
  return h("p", { class: "empty muted" }, text);
}

/** A page-level error box (role=alert) for a failed load, with a retry button. */
export function errorBox(error, retry) {
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("p", {}, error instanceof ApiError && error.status === 404 ? "Not found, or not visible to you." : error.message || String(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}

/** A loading placeholder (aria-busy), replaced when the page renders. */
export function loading(text = "Loading…") {
  return h("p", { class: "loading muted", "aria-busy": "true" }, text);
}

/** Labels of the API's choice values ("beta_tester" → "Beta tester"). */
export function label(value) {
  if (!value) return "";
  const s = String(value).replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Render `load()`'s result into `root` with loading and error states: `await loadInto(ctx.root, () => api(...), (data) => [nodes])`. */
export async function loadInto(root, load, render) {
  mount(root, loading());
  try {
    const data = await load();
    mount(root, render(data));
    return data;
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(root, errorBox(error, () => loadInto(root, load, render)));
    return null;
  }
}

let categoriesPromise = null;
/** The active offer categories [{slug, name}] (GET taxonomies/?type=offer_category), fetched once per tab. */
export function offerCategories() {
  if (!categoriesPromise) {
    categoriesPromise = api("/taxonomies/", { query: { type: "offer_category", page_size: 100 } })
      .then((d) => (d.results || []).map((c) => ({ slug: c.slug, name: c.name })))
      .catch((error) => {
        categoriesPromise = null;
        throw error;
      });
  }
  return categoriesPromise;
}

// --- shared by the pages ----------------------------------------------------------------------
// The model choices (collective/models/offers.py OfferType, AskType); tests/web/test_static.py keeps them equal.
export const OFFER_TYPES = ["app", "template", "course", "post", "link", "service", "mentorship", "skill", "feedback"];
export const ASK_TYPES = ["beta_tester", "feedback", "collaborator", "learning", "hire", "advice", "introduction"];

/** Subscribe to `types` now (before the page's REST load) and hold their frames until `start()`,
 * so that nothing that happens during the load is missed; handlers are added with `on`. */
export function liveQueue(ctx, types) {
  const handlers = new Map(types.map((t) => [t, []]));
  let queue = [];
  for (const type of types) {
    ctx.on(type, (frame) => {
      const run = () => handlers.get(type).forEach((fn) => fn(frame));
      if (queue) queue.push(run);
      else run();
    });
  }
  return {
    on(type, fn) {
      handlers.get(type).push(fn);
    },
    start() {
      const held = queue;
      queue = null;
      held.forEach((run) => run());
    },
  };
}
