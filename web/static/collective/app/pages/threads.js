// Message threads: the list (/threads) and one conversation (/threads/:id), live over the socket.
// REST: docs/messaging.md; events: docs/events.md (message.*, thread.read, typing, presence).

import { api, ApiError, h, liveQueue, mount, timeAgo, toast, trustedHtml, userLink } from "../core.js";

const EDIT_WINDOW_MS = 900 * 1000; // messaging/conf.py EDIT_WINDOW_SECONDS
const PAGE_SIZE = 50;

// --- presence ----------------------------------------------------------------------------------
/** A presence dot for `userId`, kept in step by `presence` frames; returns {el, set(status, lastSeen)}. */
export function presenceDot(username) {
  const el = h("span", { class: "presence", role: "img", "aria-label": `@${username} offline`, title: "Offline" });
  return {
    el,
    set(status, lastSeen) {
      const online = status === "online";
      el.classList.toggle("online", online);
      const when = !online && lastSeen ? ` (last seen ${new Date(lastSeen).toLocaleString()})` : "";
      el.setAttribute("aria-label", `@${username} ${online ? "online" : "offline"}${when}`);
      el.title = online ? "Online" : `Offline${when}`;
      el.dataset.status = online ? "online" : "offline";
    },
  };
}

async function watchPresence(ctx, dots) {
  // dots: Map(userId -> [dot, ...])
  ctx.on("presence", (frame) => {
    const d = frame.data || {};
    for (const dot of dots.get(d.user) || []) dot.set(d.status, d.last_seen);
  });
  const ids = [...dots.keys()];
  if (!ids.length) return;
  try {
    const users = await ctx.rt.queryPresence(ids);
    for (const [id, state] of Object.entries(users)) for (const dot of dots.get(Number(id)) || []) dot.set(state.status, state.last_seen);
  } catch {
    /* not connected yet, or presence unavailable: the dots stay grey until a presence frame */
  }
}

function onceConnected(ctx, fn) {
  // Presence queries need an open socket; ask again after each (re)connect.
  fn();
  return ctx.on("open", () => fn());
}

// --- the list ----------------------------------------------------------------------------------
function preview(thread, me) {
  const last = thread.last_message;
  if (!last) return h("span", { class: "muted" }, "No messages yet");
  if (last.is_deleted) return h("span", { class: "muted" }, "Message deleted");
  return h("span", {}, last.sender === me.id ? "You: " : "", last.preview);
}

export async function threadsPage(ctx) {
  ctx.setTitle("Messages");
  const { root, me, signal } = ctx;
  const live = liveQueue(ctx, ["message.created", "message.updated", "message.deleted", "thread.read"]);
  const list = h("ul", { class: "list thread-list", "aria-label": "Conversations" });
  mount(root, h("h1", {}, "Messages"), list);
  const data = await api("/threads/", { query: { page_size: 100 }, signal });
  const threads = new Map(data.results.map((t) => [t.id, t]));
  const dots = new Map();
  const dotFor = (thread) => {
    const other = thread.other_user;
    let dot = (dots.get(other.id) || []).find((d) => d.thread === thread.id);
    if (!dot) {
      dot = presenceDot(other.username);
      dot.thread = thread.id;
      if (!dots.has(other.id)) dots.set(other.id, []);
      dots.get(other.id).push(dot);
    }
    return dot;
  };

  function row(thread) {
    const unread = thread.unread_count || 0;
    const label = unread ? `${unread} unread` : "";
    return h(
      "li",
      { class: ["thread-row", unread ? "unread" : null], dataset: { thread: thread.id } },
      h(
        "a",
        { href: `/threads/${thread.id}`, class: "thread-link" },
        h("span", { class: "thread-who" }, dotFor(thread).el, h("strong", {}, `@${thread.other_user.username}`)),
        h("span", { class: "thread-preview" }, preview(thread, me)),
        h("span", { class: "thread-meta" }, timeAgo(thread.last_activity_at), unread ? h("span", { class: "badge unread-count", "aria-label": label }, String(unread)) : null),
      ),
    );
  }

  function render() {
    const sorted = [...threads.values()].sort((a, b) => (b.last_activity_at || "").localeCompare(a.last_activity_at || "") || b.id - a.id);
    if (!sorted.length) mount(list, h("li", { class: "empty muted" }, "No conversations yet. Connect with someone on an offer or an ask to start one."));
    else mount(list, sorted.map(row));
  }
  render();

  live.on("message.created", async (frame) => {
    const { thread: threadId, message } = frame.data;
    let thread = threads.get(threadId);
    if (!thread) {
      try {
        thread = await api(`/threads/${threadId}/`, { signal });
      } catch {
        return;
      }
      threads.set(threadId, thread);
      if (thread.last_message && thread.last_message.id >= message.id) return render();
    }
    if (thread.last_message && thread.last_message.id >= message.id) return; // already counted
    thread.last_message = { id: message.id, sender: message.sender, preview: message.body.slice(0, 140), created_at: message.created_at, edited_at: null, is_deleted: false };
    thread.last_activity_at = message.created_at;
    if (message.sender !== me.id) thread.unread_count = (thread.unread_count || 0) + 1;
    else thread.unread_count = 0; // replying means having read
    render();
  });
  const onChange = (frame) => {
    const { thread: threadId, message } = frame.data;
    const thread = threads.get(threadId);
    if (!thread || !thread.last_message || thread.last_message.id !== message.id) return;
    thread.last_message = { ...thread.last_message, preview: message.body.slice(0, 140), is_deleted: message.is_deleted, edited_at: message.edited_at };
    if (message.is_deleted && message.sender !== me.id && thread.unread_count) thread.unread_count -= 1;
    render();
  };
  live.on("message.updated", onChange);
  live.on("message.deleted", onChange);
  live.on("thread.read", (frame) => {
    const { thread: threadId, user, message } = frame.data;
    const thread = threads.get(threadId);
    if (!thread || user !== me.id) return;
    // Our own marker moved (another tab read it): refetch the exact count.
    api(`/threads/${threadId}/`, { signal })
      .then((fresh) => {
        threads.set(threadId, fresh);
        render();
      })
      .catch(() => {
        if (thread.last_message && message >= thread.last_message.id) thread.unread_count = 0;
        render();
      });
  });
  live.start();
  onceConnected(ctx, () => watchPresence(ctx, dots));
}

// --- one thread --------------------------------------------------------------------------------
function attachmentLink(att) {
  const path = { offer: "/offers/", ask: "/asks/", connection: "/connections/" }[att.type];
  return path ? h("a", { href: `${path}${att.id}`, class: "attachment" }, `Attached ${att.type} #${att.id}`) : null;
}

function notFound(root) {
  mount(
    root,
    h("h1", {}, "Conversation not found"),
    h("p", {}, "This conversation does not exist, or you are not part of it."),
    h("p", {}, h("a", { href: "/threads" }, "Back to your messages")),
  );
}

export async function threadPage(ctx) {
  const { root, me, signal, rt } = ctx;
  const threadId = Number(ctx.params.id);
  const live = liveQueue(ctx, ["message.created", "message.updated", "message.deleted", "thread.read", "typing"]);
  let thread;
  try {
    thread = await api(`/threads/${threadId}/`, { signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      ctx.setTitle("Not found");
      return notFound(root);
    }
    throw error;
  }
  const other = thread.other_user;
  ctx.setTitle(`@${other.username}`);

  const messages = new Map(); // id -> message
  const elements = new Map(); // id -> <li>
  let olderCursor = null;
  let myRead = thread.last_read_message || 0;
  let otherRead = thread.other_last_read_message || 0;
  let pendingRead = 0;

  const dot = presenceDot(other.username);
  const typingEl = h("p", { class: "typing-indicator muted", "aria-live": "polite", id: "typing" });
  const log = h("ol", { class: "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": `Messages with @${other.username}` });
  const olderButton = h("button", { type: "button", class: "load-older", hidden: true, onclick: () => loadOlder() }, "Load older messages");
  const input = h("textarea", { id: "message-body", name: "body", rows: 2, required: true, maxlength: 10000, "aria-describedby": "send-hint", placeholder: `Message @${other.username}` });
  const sendButton = h("button", { type: "submit", class: "primary" }, "Send");
  const formError = h("p", { class: "form-error", role: "alert" });
  const attachSelect = h("select", { id: "message-attach", name: "attach" }, h("option", { value: "" }, "No attachment"));
  const form = h(
    "form",
    { class: "send-box", onsubmit: (e) => (e.preventDefault(), send()) },
    formError,
    h("label", { for: "message-body", class: "sr-only" }, `Message to @${other.username}`),
    input,
    h("div", { class: "row send-row" }, h("label", { for: "message-attach", class: "sr-only" }, "Attach"), attachSelect, sendButton),
    h("small", { id: "send-hint", class: "hint muted" }, "Enter sends, Shift+Enter adds a line."),
  );

  mount(
    root,
    h(
      "div",
      { class: "thread-head row" },
      h("a", { href: "/threads", class: "back-link", "aria-label": "Back to messages" }, "←"),
      h("h1", {}, dot.el, "Conversation with ", userLink(other)),
    ),
    olderButton,
    log,
    typingEl,
    form,
  );

  // --- rendering ---
  function isMine(m) {
    return m.sender === me.id;
  }

  function messageEl(m) {
    const mine = isMine(m);
    const li = h("li", { class: ["message", mine ? "mine" : "theirs", m.is_deleted ? "deleted" : null], dataset: { id: m.id }, id: `m-${m.id}` });
    const who = h("span", { class: "message-who" }, mine ? "You" : `@${other.username}`);
    const meta = h("span", { class: "message-meta muted" }, timeAgo(m.created_at), m.edited_at && !m.is_deleted ? " · edited" : "");
    const body = m.is_deleted ? h("p", { class: "muted message-body" }, "Message deleted") : trustedHtml(m.body_html, "div", { class: "message-body" });
    const atts = (m.attachments || []).map(attachmentLink).filter(Boolean);
    const actions = mine && !m.is_deleted ? ownActions(m, li) : null;
    li.append(h("div", { class: "message-head" }, who, meta), body, atts.length ? h("div", { class: "attachments" }, atts) : "", actions || "");
    if (mine && m.id === seenId()) li.append(h("span", { class: "seen muted" }, "Seen"));
    return li;
  }

  function ownActions(m, li) {
    const canEdit = Date.now() - new Date(m.created_at).getTime() < EDIT_WINDOW_MS;
    const wrap = h("div", { class: "message-actions" });
    if (canEdit) wrap.append(h("button", { type: "button", class: "link-button", onclick: () => startEdit(m, li), "aria-label": "Edit message" }, "Edit"));
    const del = h("button", { type: "button", class: "link-button danger-link", "aria-label": "Delete message" }, "Delete");
    del.addEventListener("click", async () => {
      if (del.dataset.confirm !== "1") {
        del.dataset.confirm = "1";
        del.textContent = "Really delete?";
        del.setAttribute("aria-label", "Confirm delete message");
        return;
      }
      try {
        await api(`/threads/${threadId}/messages/${m.id}/`, { method: "DELETE" });
        upsert({ ...m, is_deleted: true, body: "", body_html: "", attachments: [], deleted_at: new Date().toISOString() });
      } catch (error) {
        toast(error.message, { kind: "error" });
      }
    });
    wrap.append(del);
    return wrap;
  }

  function startEdit(m, li) {
    const area = h("textarea", { name: "body", "aria-label": "Edit message", rows: 2 }, m.body);
    const err = h("p", { class: "form-error", role: "alert" });
    const editForm = h(
      "form",
      { class: "edit-box" },
      err,
      area,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save"), h("button", { type: "button", onclick: () => upsert(messages.get(m.id), { force: true }) }, "Cancel")),
    );
    editForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const saved = await api(`/threads/${threadId}/messages/${m.id}/`, { method: "PATCH", body: { body: area.value } });
        upsert(saved, { force: true });
      } catch (error) {
        err.textContent = error.message;
      }
    });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") upsert(messages.get(m.id), { force: true });
      else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        editForm.requestSubmit();
      }
    });
    li.querySelector(".message-body")?.replaceWith(editForm);
    li.querySelector(".message-actions")?.remove();
    area.focus();
  }

  function seenId() {
    // The newest of my messages the other person has read up to.
    let best = 0;
    for (const m of messages.values()) if (isMine(m) && !m.is_deleted && m.id <= otherRead && m.id > best) best = m.id;
    return best;
  }

  function refreshSeen() {
    const id = seenId();
    log.querySelectorAll(".seen").forEach((el) => {
      if (Number(el.closest(".message").dataset.id) !== id) el.remove();
    });
    const li = elements.get(id);
    if (li && !li.querySelector(".seen")) li.append(h("span", { class: "seen muted" }, "Seen"));
  }

  function nearBottom() {
    const el = document.scrollingElement || document.documentElement;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 160;
  }

  /** Insert or replace a message, keeping id order; no duplicates. */
  function upsert(m, { force = false } = {}) {
    if (!m || m.thread !== threadId) return;
    const known = messages.get(m.id);
    if (known && !force) {
      // An event for a message we have: keep the newest state (edits/deletes only move forward).
      const newer = (m.is_deleted && !known.is_deleted) || (m.edited_at || "") > (known.edited_at || "");
      if (!newer) return;
    }
    messages.set(m.id, m);
    const old = elements.get(m.id);
    if (old && !force && old.querySelector(".edit-box") && !m.is_deleted) return; // being edited: keep the draft
    const el = messageEl(m);
    elements.set(m.id, el);
    if (old) {
      old.replaceWith(el);
      return;
    }
    // Find the first rendered message with a larger id.
    let before = null;
    for (const child of log.children) {
      if (Number(child.dataset.id) > m.id) {
        before = child;
        break;
      }
    }
    log.insertBefore(el, before);
  }

  function setOlder(next) {
    olderCursor = next;
    olderButton.hidden = !next;
  }

  async function loadOlder() {
    if (!olderCursor) return;
    olderButton.disabled = true;
    try {
      const url = new URL(olderCursor, location.origin);
      const page = await api(url.pathname + url.search, { signal });
      const anchor = log.firstElementChild;
      const top = anchor ? anchor.getBoundingClientRect().top : 0;
      for (const m of page.results) upsert(m);
      if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - top); // keep the reader's place
      setOlder(page.next);
      log.firstElementChild?.querySelector("a, button")?.focus?.({ preventScroll: true });
    } catch (error) {
      if (error.name !== "AbortError") toast(error.message, { kind: "error" });
    } finally {
      olderButton.disabled = false;
    }
  }

  // --- read markers ---
  function newestFromOther() {
    let best = 0;
    for (const m of messages.values()) if (!isMine(m) && m.id > best) best = m.id;
    return best;
  }

  function markRead() {
    if (document.visibilityState !== "visible") return;
    const newest = Math.max(...messages.keys(), 0);
    if (!newest || newest <= myRead || newest <= pendingRead) return;
    if (newestFromOther() <= myRead) {
      myRead = newest; // only our own messages since: nothing to tell
      return;
    }
    pendingRead = newest;
    if (!rt.markRead(threadId, newest)) {
      api(`/threads/${threadId}/read/`, { method: "POST", body: { message: newest } })
        .then((t) => (myRead = Math.max(myRead, t.last_read_message || 0)))
        .catch(() => (pendingRead = 0));
    }
  }

  // The newest message is "visible" when it is on screen and the tab is shown.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) markRead();
  });
  function observeNewest() {
    observer.disconnect();
    const last = log.lastElementChild;
    if (last) observer.observe(last);
  }
  const onVisible = () => {
    if (document.visibilityState === "visible") observeNewest();
  };
  document.addEventListener("visibilitychange", onVisible);

  // --- first page ---
  const pageSize = Math.min(100, Number(ctx.query.get("page_size")) || PAGE_SIZE); // ?page_size= for short pages
  const first = await api(`/threads/${threadId}/messages/`, { query: { page_size: pageSize }, signal });
  for (const m of first.results) upsert(m);
  setOlder(first.next);
  if (!messages.size) log.append(h("li", { class: "empty muted no-messages" }, "No messages yet. Say hello!"));
  window.scrollTo(0, document.body.scrollHeight);
  observeNewest();

  // --- live ---
  function onMessage(frame) {
    const { thread: t, message } = frame.data;
    if (t !== threadId) return;
    log.querySelector(".no-messages")?.remove();
    const stick = nearBottom() || isMine(message);
    const isNew = !messages.has(message.id);
    upsert(message);
    if (isNew && !isMine(message)) hideTyping();
    if (isNew) {
      if (stick) window.scrollTo(0, document.body.scrollHeight);
      observeNewest();
      refreshSeen();
    }
  }
  live.on("message.created", onMessage);
  live.on("message.updated", onMessage);
  live.on("message.deleted", (frame) => {
    onMessage(frame);
    refreshSeen();
  });
  live.on("thread.read", (frame) => {
    const { thread: t, user, message } = frame.data;
    if (t !== threadId) return;
    if (user === me.id) myRead = Math.max(myRead, message);
    else if (user === other.id && message > otherRead) {
      otherRead = message;
      refreshSeen();
    }
  });

  // typing: "@x is typing…" until a stop, a message from them, or the start's expiry
  let typingTimer = null;
  function hideTyping() {
    clearTimeout(typingTimer);
    typingEl.textContent = "";
  }
  live.on("typing", (frame) => {
    const d = frame.data || {};
    if (d.thread !== threadId || d.user !== other.id) return;
    if (d.state === "start") {
      typingEl.textContent = `@${other.username} is typing…`;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(hideTyping, ((d.expires_in || 5) + 1) * 1000);
    } else hideTyping();
  });

  live.start(); // what happened during the load, in order (upsert drops what the page already has)

  // presence of the other participant
  const dots = new Map([[other.id, [dot]]]);
  onceConnected(ctx, () => watchPresence(ctx, dots));

  // --- attachments: offers/asks/connections shared with this person ---
  loadAttachable();
  async function loadAttachable() {
    try {
      const conns = await api("/connections/", { query: { page_size: 100 }, signal });
      for (const c of conns.results || []) {
        const withOther = c.initiator.id === other.id || c.responder.id === other.id;
        if (!withOther) continue;
        const title = (c.offer && c.offer.title) || (c.ask && c.ask.title) || "direct";
        attachSelect.append(h("option", { value: `connection:${c.id}` }, `Connection #${c.id}: ${title}`));
        if (c.offer) attachSelect.append(h("option", { value: `offer:${c.offer.id}` }, `Offer: ${c.offer.title}`));
        if (c.ask) attachSelect.append(h("option", { value: `ask:${c.ask.id}` }, `Ask: ${c.ask.title}`));
      }
    } catch {
      /* attachments are optional */
    }
    attachSelect.hidden = attachSelect.options.length < 2;
  }

  // --- sending ---
  let clientId = crypto.randomUUID();
  let sending = false;
  async function send() {
    const body = input.value;
    if (!body.trim() || sending) return;
    sending = true;
    sendButton.disabled = true;
    formError.textContent = "";
    const payload = { body, client_id: clientId };
    if (attachSelect.value) {
      const [type, id] = attachSelect.value.split(":");
      payload.attachments = [{ type, id: Number(id) }];
    }
    try {
      const message = await api(`/threads/${threadId}/messages/`, { method: "POST", body: payload });
      rt.typing(threadId, "stop");
      input.value = "";
      attachSelect.value = "";
      clientId = crypto.randomUUID(); // the next draft; a retry of this one reused the same id
      onMessage({ data: { thread: threadId, message } });
      myRead = Math.max(myRead, message.id);
    } catch (error) {
      if (error.name === "AbortError") return;
      formError.textContent = error.status === 429 && error.retryAfter ? `${error.message} Try again in ${error.retryAfter} s.` : error.message;
    } finally {
      sending = false;
      sendButton.disabled = false;
      input.focus();
    }
  }
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    if (input.value.trim()) rt.typing(threadId, "start");
    else rt.typing(threadId, "stop");
  });
  input.addEventListener("blur", () => rt.typing(threadId, "stop"));

  return () => {
    observer.disconnect();
    document.removeEventListener("visibilitychange", onVisible);
    clearTimeout(typingTimer);
    rt.typing(threadId, "stop");
  };
}
