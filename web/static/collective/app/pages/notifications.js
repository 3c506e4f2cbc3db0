// The notification feed (/notifications): newest first, each linking to its app page, mark one or
// all read (the bell follows), live `notification.created` / `notification.updated`.
// REST: docs/notifications.md.

import { api, h, liveQueue, mount, timeAgo, toast } from "../core.js";
import { setUnread } from "../shell.js";

const PAGE_SIZE = 30;

const KIND_LABEL = {
  connection_request: "Request",
  ask_response: "Ask",
  connection_accepted: "Accepted",
  help_completed: "Completed",
  new_follower: "Follower",
  new_message: "Message",
  points_unlock: "Points",
};
// Paths that notifications stored before the app existed link to (notifications/texts.py now links to /points).
const PATH_ALIASES = { "/me/points": "/points" };

/** The app path of a notification's `url` (absolute, from SITE_URL): its path on this site. */
export function appPath(url) {
  if (!url) return null;
  try {
    const u = new URL(url, location.origin);
    const path = PATH_ALIASES[u.pathname.replace(/\/$/, "")] || u.pathname;
    return path + u.search + u.hash;
  } catch {
    return null;
  }
}

async function syncBell() {
  try {
    const { unread } = await api("/notifications/unread-count/");
    setUnread(unread);
  } catch {
    /* the bell is not worth an error */
  }
}

export async function notificationsPage(ctx) {
  ctx.setTitle("Notifications");
  const { root, signal } = ctx;
  const live = liveQueue(ctx, ["notification.created", "notification.updated"]);
  const items = new Map(); // id -> item
  const list = h("ul", { class: "list notification-list", "aria-label": "Notifications", "aria-live": "polite", "aria-relevant": "additions" });
  const allButton = h("button", { type: "button", onclick: () => markAll() }, "Mark all as read");
  const more = h("button", { type: "button", class: "load-more", hidden: true, onclick: () => loadPage(nextPage) }, "Show older");
  mount(root, h("div", { class: "row spread" }, h("h1", {}, "Notifications"), allButton), list, more);
  let nextPage = null;

  function row(n) {
    const path = appPath(n.url);
    const unread = !n.is_read;
    const title = h("span", { class: "notification-title" }, n.title);
    const li = h(
      "li",
      { class: ["notification", unread ? "unread" : "read"], dataset: { id: n.id, kind: n.kind } },
      h("span", { class: ["notification-kind", `kind-${n.kind}`], "aria-hidden": "true" }, KIND_LABEL[n.kind] || "Note"),
      h(
        "div",
        { class: "notification-main" },
        path ? h("a", { href: path, onclick: () => markRead(n, { quiet: true }) }, title) : title,
        n.repeat_count > 1 ? h("span", { class: "tag repeat" }, `×${n.repeat_count}`) : null,
        n.body ? h("p", { class: "notification-body muted" }, n.body) : null,
        h("span", { class: "muted small notification-time" }, timeAgo(n.updated_at || n.created_at), unread ? h("span", { class: "sr-only" }, " (unread)") : null),
      ),
      unread ? h("button", { type: "button", class: "link-button mark-read", "aria-label": `Mark “${n.title}” as read`, onclick: () => markRead(n) }, "Mark read") : null,
    );
    return li;
  }

  function render() {
    const sorted = [...items.values()].sort((a, b) => b.id - a.id);
    if (!sorted.length) mount(list, h("li", { class: "empty muted" }, "Nothing yet. Connection requests, messages and points will show up here."));
    else mount(list, sorted.map(row));
    allButton.disabled = !sorted.some((n) => !n.is_read);
  }

  async function loadPage(page) {
    const data = await api("/notifications/", { query: { page, page_size: PAGE_SIZE }, signal });
    for (const n of data.results) if (!items.has(n.id)) items.set(n.id, n);
    nextPage = data.next ? page + 1 : null;
    more.hidden = !nextPage;
    render();
  }

  async function markRead(n, { quiet = false } = {}) {
    if (n.is_read) return;
    try {
      const fresh = await api(`/notifications/${n.id}/read/`, { method: "POST" });
      items.set(n.id, { ...n, ...fresh });
      if (!quiet) render();
      syncBell();
    } catch (error) {
      if (!quiet) toast(error.message, { kind: "error" });
    }
  }

  async function markAll() {
    try {
      await api("/notifications/read-all/", { method: "POST" });
      for (const n of items.values()) n.is_read = true;
      setUnread(0);
      render();
      list.querySelector("a")?.focus();
    } catch (error) {
      toast(error.message, { kind: "error" });
    }
  }

  await loadPage(1);
  syncBell();

  live.on("notification.created", (frame) => {
    const n = frame.data.notification;
    if (items.has(n.id)) return;
    items.set(n.id, { ...n, is_read: false, read_at: null, repeat_count: 1, updated_at: n.created_at });
    render();
  });
  live.on("notification.updated", (frame) => {
    const n = frame.data.notification;
    const known = items.get(n.id);
    items.set(n.id, { ...(known || {}), ...n, is_read: false, read_at: null });
    render();
  });
  live.start();
}
