// Layout add-ons live on every page: the notification bell's live unread count and the points
// toasts of seed 001 §8.3 ("🎉 +15 points! / You helped @sarah with her ask / Total: 340 points").

import { api, h, toast } from "./core.js";

let unread = 0;

function showUnread() {
  const badge = document.getElementById("bell-count");
  const bell = document.getElementById("bell");
  if (!badge || !bell) return;
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = unread === 0;
  bell.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
}

/** The bell's count, from the server (on sign-in, page change, and after a replay). */
export async function refreshUnread() {
  try {
    const data = await api("/notifications/unread-count/");
    unread = data.unread;
  } catch {
    /* keep the last count: the bell is not worth an error box */
  }
  showUnread();
}

/** Pages call this after marking notifications read. */
export function setUnread(count) {
  unread = Math.max(0, count);
  showUnread();
}

export function pointsToast({ amount, reason, total_points: total }) {
  const totalLine = h("span", { class: "toast-total" }, `Total: ${total} points`);
  if (!amount) {
    // An unlock or a milestone (seed 001 §8.3 "You've helped 10 people! 🌟"): no points to count.
    return toast(h("span", {}, totalLine), { kind: "points", title: `🌟 ${reason || "Milestone reached!"}`, timeout: 6000 });
  }
  const sign = amount > 0 ? "+" : "−";
  return toast(h("span", {}, h("span", { class: "toast-line" }, reason || ""), totalLine), {
    kind: "points",
    title: `🎉 ${sign}${Math.abs(amount)} points!`,
    timeout: 6000,
  });
}

export function install(app) {
  let loadedFor = null;
  app.layoutHooks.push((me) => {
    // renderLayout() rebuilds the bar on every page: show the known count, fetch it once per user.
    showUnread();
    if (me && loadedFor !== me.id) {
      loadedFor = me.id;
      refreshUnread();
    }
    if (!me) loadedFor = null;
  });
  app.rt.on("notification.created", () => {
    unread += 1;
    showUnread();
  });
  app.rt.on("points.awarded", (frame) => {
    const data = frame.data || frame;
    if (app.me) app.me.total_points = data.total_points;
    const pill = document.getElementById("points-pill");
    if (pill) pill.textContent = `${data.total_points} pts`;
    pointsToast(data);
  });
  // After a reconnect the replay brings the missed events; a resync means counting again.
  app.rt.on("resync_required", () => refreshUnread());
}
