// `/onboarding`: a full-screen conversation with Ava on the Ava thread (GET/POST /api/v1/onboarding/…).
// Ava's messages carry `actions` (chips, buttons, text prompts: docs/web.md "Onboarding, matches and
// search"); the member answers with POST onboarding/answer/ or types a normal message in the composer
// (Ava answers in the thread). Live on `message.created`; a reload shows the history and the current
// step (the page is rebuilt from the thread and GET onboarding/).

import { api, ApiError, h, liveQueue, mount, navigate, timeAgo, toast, trustedHtml } from "../core.js";

export const STEPS = ["welcome", "asks", "offers", "guidelines", "summary"];
const MAX_PAGES = 10;

/** The state of the caller's onboarding, or null before it started (404). */
export async function onboardingState(signal) {
  try {
    return await api("/onboarding/", { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** 1-based step number (of STEPS.length) of a state's `step` (a number or a step name). */
export function stepNumber(state) {
  if (!state) return 1;
  const step = state.step;
  if (typeof step === "number") return Math.min(STEPS.length, Math.max(1, step));
  if (typeof step === "string") {
    if (/^\d+$/.test(step)) return Math.min(STEPS.length, Math.max(1, Number(step)));
    const s = step.toLowerCase();
    const i = STEPS.findIndex((name) => s.startsWith(name) || s.startsWith(name.replace(/s$/, "")));
    if (i >= 0) return i + 1;
    if (/link|service|help/.test(s)) return 3;
    if (/respect|agree|rule|guideline/.test(s)) return 4;
    if (/done|complete|match|enter/.test(s)) return 5;
  }
  if (state.status === "completed") return STEPS.length;
  return 1;
}

export async function onboardingPage(ctx) {
  ctx.setTitle("Welcome");
  const { root, me, signal, rt } = ctx;
  document.body.classList.add("onboarding-mode");
  const cleanup = () => document.body.classList.remove("onboarding-mode");
  const live = liveQueue(ctx, ["message.created", "message.updated", "message.deleted"]);

  let state = await onboardingState(signal);
  if (!state || state.status !== "completed") {
    // Idempotent: starts, or resumes after a skip or a reload.
    try {
      state = await api("/onboarding/start/", { method: "POST", body: {}, signal });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      cleanup(); // a server without onboarding: straight to the dashboard
      return navigate("/home", { replace: true });
    }
  }
  const threadId = Number(state.thread);
  const ava = state.ava || {};

  const messages = new Map(); // id -> message
  const elements = new Map(); // id -> <li>
  const drafts = new Map(); // `${message}:${action}` -> {values: Set, custom: []} (kept across re-renders)
  const answered = new Map(); // `${message}:${action}` -> what was sent (shown on the disabled action)

  const progressText = h("span", { id: "onboarding-step" });
  const progressBar = h("progress", { max: STEPS.length, value: 1, "aria-labelledby": "onboarding-step" });
  const skip = h("button", { type: "button", class: "link-button", id: "onboarding-skip" }, "Skip for now");
  const log = h("ol", { class: "messages onboarding-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation with Ava" });
  const input = h("textarea", { id: "onboarding-body", name: "body", rows: 1, maxlength: 10000, placeholder: "Or write to Ava…" });
  const sendButton = h("button", { type: "submit" }, "Send");
  const formError = h("p", { class: "form-error", role: "alert" });
  const composer = h(
    "form",
    { class: "send-box onboarding-composer", onsubmit: (e) => (e.preventDefault(), sendText()) },
    formError,
    h("label", { for: "onboarding-body", class: "sr-only" }, "Message to Ava"),
    h("div", { class: "row send-row" }, input, sendButton),
  );

  mount(
    root,
    h(
      "section",
      { class: "onboarding", "aria-labelledby": "onboarding-title" },
      h(
        "header",
        { class: "onboarding-head" },
        h("div", {}, h("h1", { id: "onboarding-title" }, "Getting started with Ava"), h("p", { class: "muted small onboarding-progress" }, progressText, " ", progressBar)),
        skip,
      ),
      log,
      composer,
    ),
  );

  function showProgress() {
    const n = stepNumber(state);
    progressText.textContent = state && state.status === "completed" ? `Done: step ${n} of ${STEPS.length}` : `Step ${n} of ${STEPS.length}`;
    progressBar.value = n;
    skip.hidden = Boolean(state && state.status === "completed");
  }
  showProgress();

  skip.addEventListener("click", async () => {
    skip.disabled = true;
    try {
      await api("/onboarding/skip/", { method: "POST", body: {} });
      toast("You can finish with Ava any time from your home page.", { kind: "info" });
      navigate("/home");
    } catch (error) {
      skip.disabled = false;
      toast(error.message, { kind: "error" });
    }
  });

  // --- which actions are still open ---
  // The state's `message` is Ava's message awaiting an answer (the completion message, whose [Enter
  // the Collective] stays open); an Ava message with actions newer than it (live, before the state
  // is read again) is the new one. Everything before is answered.
  const isAva = (m) => (ava.id ? m.sender === ava.id : m.sender !== me.id);
  function currentId() {
    let id = (state && state.message) || 0;
    for (const m of messages.values()) if (isAva(m) && m.actions && m.actions.length && m.id > id) id = m.id;
    return id;
  }
  function isOpen(m) {
    return m.id === currentId();
  }

  // --- rendering ---
  function messageEl(m) {
    const mine = !isAva(m);
    const li = h("li", { class: ["message", mine ? "mine" : "theirs", "onboarding-message"], dataset: { id: m.id }, id: `m-${m.id}` });
    const who = h("span", { class: "message-who" }, mine ? "You" : "Ava");
    li.append(
      h("div", { class: "message-head" }, who, h("span", { class: "message-meta muted" }, timeAgo(m.created_at))),
      m.is_deleted ? h("p", { class: "muted message-body" }, "Message deleted") : trustedHtml(m.body_html, "div", { class: "message-body" }),
    );
    if (!mine && m.actions && m.actions.length) {
      const open = isOpen(m);
      li.append(h("div", { class: ["actions", open ? "open" : "answered"] }, m.actions.map((a) => actionEl(m, a, open)), h("p", { class: "form-error action-error", role: "alert" })));
    }
    return li;
  }

  function actionEl(m, action, open) {
    const key = `${m.id}:${action.id}`;
    const sent = answered.get(key);
    const disabled = !open;
    if (action.type === "button") {
      const b = h("button", { type: "button", class: "primary", disabled, dataset: { action: action.id } }, action.label || action.submit_label || "Continue");
      b.addEventListener("click", () => answer(m, action, {}, b));
      return h("div", { class: "action action-button" }, b);
    }
    if (action.type === "text") {
      const id = `a-${m.id}-${action.id}`;
      const text = h("input", { type: "text", id, name: "text", placeholder: action.placeholder || "", disabled, value: sent ? sent.text || "" : "", autocomplete: "off" });
      const submit = h("button", { type: "submit", class: "primary", disabled }, action.submit_label || "Send");
      const form = h(
        "form",
        { class: "action action-text row" },
        h("label", { for: id, class: action.label ? "" : "sr-only" }, action.label || action.placeholder || "Your answer"),
        text,
        submit,
      );
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        if (!text.value.trim()) return text.focus();
        answer(m, action, { text: text.value.trim() }, submit);
      });
      return form;
    }
    // chips
    if (!drafts.has(key)) drafts.set(key, { values: new Set(sent ? (sent.values || []).map(String) : []), custom: sent && sent.text ? sent.text.split("\n") : [] });
    const draft = drafts.get(key);
    const selected = h("ul", { class: "chips selected", "aria-label": "Selected" });
    const submit = h("button", { type: "button", class: "primary", disabled }, action.submit_label || "Continue");
    const optionButtons = (action.options || []).map((o) => {
      const b = h("button", { type: "button", class: "chip", "aria-pressed": draft.values.has(String(o.id)) ? "true" : "false", disabled, dataset: { option: o.id } }, o.label);
      b.addEventListener("click", () => {
        const k = String(o.id);
        if (draft.values.has(k)) draft.values.delete(k);
        else {
          if (!action.multiple) {
            draft.values.clear();
            draft.custom.length = 0;
          }
          draft.values.add(k);
        }
        syncPressed();
        showSelected();
      });
      return b;
    });
    function syncPressed() {
      optionButtons.forEach((ob) => ob.setAttribute("aria-pressed", draft.values.has(ob.dataset.option) ? "true" : "false"));
    }
    function showSelected() {
      const labels = (action.options || []).filter((o) => draft.values.has(String(o.id))).map((o) => ({ text: o.label, remove: () => draft.values.delete(String(o.id)) }));
      draft.custom.forEach((c, i) => labels.push({ text: c, remove: () => draft.custom.splice(i, 1), custom: true }));
      mount(
        selected,
        labels.map((l) =>
          h(
            "li",
            { class: ["chip", "chosen", l.custom ? "custom" : null] },
            l.text,
            disabled
              ? null
              : h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${l.text}`, onclick: () => (l.remove(), syncPressed(), showSelected()) }, "×"),
          ),
        ),
      );
      selected.hidden = !labels.length;
    }
    let own = null;
    if (action.free_text) {
      const id = `own-${m.id}-${action.id}`;
      const ownInput = h("input", { type: "text", id, placeholder: action.placeholder || "Type your own…", disabled, autocomplete: "off", maxlength: 200 });
      const add = h("button", { type: "submit", disabled }, "Add");
      own = h("form", { class: "action-own row" }, h("label", { for: id, class: "sr-only" }, `Type your own: ${action.label || "answer"}`), ownInput, add);
      own.addEventListener("submit", (e) => {
        e.preventDefault();
        const v = ownInput.value.trim();
        if (!v) return;
        if (!action.multiple) {
          draft.values.clear();
          draft.custom.length = 0;
        }
        if (!draft.custom.includes(v)) draft.custom.push(v);
        ownInput.value = "";
        syncPressed();
        showSelected();
      });
    }
    submit.addEventListener("click", () => {
      const byKey = new Map((action.options || []).map((o) => [String(o.id), o.id]));
      const body = { values: [...draft.values].map((k) => (byKey.has(k) ? byKey.get(k) : k)) };
      if (draft.custom.length) body.text = draft.custom.join("\n");
      answer(m, action, body, submit);
    });
    showSelected();
    return h(
      "div",
      { class: "action action-chips" },
      h("div", { class: "chips options", role: "group", "aria-label": action.label || "Choices" }, optionButtons),
      own,
      selected,
      h("div", { class: "row" }, submit),
    );
  }

  function upsert(m, { force = false } = {}) {
    if (!m || m.thread !== threadId) return false;
    const known = messages.get(m.id);
    if (known && !force) {
      const newer = (m.is_deleted && !known.is_deleted) || (m.edited_at || "") > (known.edited_at || "");
      if (!newer) return false;
    }
    messages.set(m.id, m);
    const old = elements.get(m.id);
    const el = messageEl(m);
    elements.set(m.id, el);
    if (old) old.replaceWith(el);
    else {
      let before = null;
      for (const child of log.children) if (Number(child.dataset.id) > m.id) {
        before = child;
        break;
      }
      log.insertBefore(el, before);
    }
    return true;
  }

  function refreshOpen() {
    // Re-render the Ava messages whose actions changed from open to answered (or back).
    for (const m of messages.values()) {
      if (!m.actions || !m.actions.length) continue;
      const el = elements.get(m.id);
      const wasOpen = el && el.querySelector(".actions.open") !== null;
      if (wasOpen !== isOpen(m)) upsert(m, { force: true });
    }
    const firstOpen = log.querySelector(".actions.open button:not(:disabled), .actions.open input:not(:disabled)");
    return firstOpen;
  }

  function scrollDown() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  function added(list) {
    let any = false;
    for (const m of list) any = upsert(m) || any;
    if (any) {
      refreshOpen();
      scrollDown();
    }
    return any;
  }

  async function loadLatest() {
    const page = await api(`/threads/${threadId}/messages/`, { query: { page_size: 100 }, signal });
    added(page.results || []);
    return page;
  }

  async function refreshState() {
    try {
      state = (await onboardingState(signal)) || state;
    } catch {
      /* keep the last state */
    }
    showProgress();
    refreshOpen();
  }

  async function answer(m, action, extra, button) {
    if (button) button.disabled = true;
    const key = `${m.id}:${action.id}`;
    const errorEl = elements.get(m.id)?.querySelector(".action-error");
    if (errorEl) errorEl.textContent = "";
    try {
      const body = { message: m.id, action: action.id, ...extra };
      state = await api("/onboarding/answer/", { method: "POST", body });
      answered.set(key, extra);
      showProgress();
      if (state.status === "completed" && state.message === m.id) {
        // [Enter the Collective]: the dashboard, with the new asks, offers and matches.
        navigate("/home");
        return;
      }
      await loadLatest();
      refreshOpen();
      focusOpen();
    } catch (error) {
      if (error.name === "AbortError") return;
      if (button) button.disabled = false;
      if (error instanceof ApiError && error.code === "already_answered") {
        await refreshState();
        await loadLatest();
        refreshOpen();
        return;
      }
      const text = (error.fields && Object.values(error.fields).flat().join(" ")) || error.message;
      if (errorEl) errorEl.textContent = text;
      else toast(text, { kind: "error" });
    }
  }

  function focusOpen() {
    const el = [...log.querySelectorAll(".actions.open")].pop();
    el?.querySelector("button.chip, input, button.primary")?.focus({ preventScroll: true });
  }

  let clientId = crypto.randomUUID();
  let sending = false;
  async function sendText() {
    const body = input.value;
    if (!body.trim() || sending) return;
    sending = true;
    sendButton.disabled = true;
    formError.textContent = "";
    try {
      const message = await api(`/threads/${threadId}/messages/`, { method: "POST", body: { body, client_id: clientId } });
      input.value = "";
      clientId = crypto.randomUUID();
      added([message]);
      await loadLatest();
      await refreshState();
    } catch (error) {
      if (error.name === "AbortError") return;
      formError.textContent = error.message;
    } finally {
      sending = false;
      sendButton.disabled = false;
    }
  }
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });

  // --- history (oldest → newest), then live ---
  let page = await api(`/threads/${threadId}/messages/`, { query: { page_size: 100 }, signal });
  const all = [...(page.results || [])];
  for (let i = 1; page.next && i < MAX_PAGES; i++) {
    const url = new URL(page.next, location.origin);
    page = await api(url.pathname + url.search, { signal });
    all.push(...(page.results || []));
  }
  all.sort((a, b) => a.id - b.id).forEach((m) => upsert(m));
  refreshOpen();
  if (!messages.size) log.append(h("li", { class: "empty muted no-messages" }, "Ava is getting ready…"));

  function onMessage(frame) {
    const { thread: t, message } = frame.data || {};
    if (t !== threadId) return;
    log.querySelector(".no-messages")?.remove();
    if (added([message]) && isAva(message)) {
      refreshState();
      if (message.actions && message.actions.length) focusOpen();
    }
  }
  live.on("message.created", onMessage);
  live.on("message.updated", onMessage);
  live.on("message.deleted", onMessage);
  live.start();
  scrollDown();
  focusOpen();
  if (rt && rt.markRead && messages.size) {
    const newest = Math.max(...messages.keys());
    if (!rt.markRead(threadId, newest)) api(`/threads/${threadId}/read/`, { method: "POST", body: { message: newest } }).catch(() => {});
  }
  return cleanup;
}
