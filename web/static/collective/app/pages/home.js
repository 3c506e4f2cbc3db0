// `/` (landingPage: what the Collective is, log in / sign up) and `/home` (homePage: the dashboard
// of GET /api/v1/home/ with my offers and asks, recent connections, unread counts and points).

import { api, empty, h, label, link, loadInto, mount, navigate, timeAgo, userLink } from "../core.js";
import { matchList } from "./matches.js";
import { onboardingState } from "./onboarding.js";

export async function landingPage(ctx) {
  if (ctx.me) return navigate("/home", { replace: true });
  ctx.setTitle("");
  mount(
    ctx.root,
    h(
      "section",
      { class: "hero card" },
      h("h1", {}, "Share what you offer. Ask for what you need."),
      h(
        "p",
        { class: "lead" },
        "The Collective is a community of builders who help each other: offer your apps, courses, services and favourite finds; ask for beta testers, feedback, advice or a collaborator; earn points for every bit of help you give.",
      ),
      h("div", { class: "row" }, h("a", { class: "button primary", href: "/signup" }, "Sign up"), h("a", { class: "button", href: "/login" }, "Log in")),
    ),
    h(
      "div",
      { class: "grid three" },
      h("section", { class: "card" }, h("h2", {}, "🛠️ Offer"), h("p", {}, "Show what you are working on, what people can learn from you, and how to work with you.")),
      h("section", { class: "card" }, h("h2", {}, "🙋 Ask"), h("p", {}, "Beta testers, feedback, an introduction, a hire: say what you need and the right people answer.")),
      h("section", { class: "card" }, h("h2", {}, "🎉 Earn"), h("p", {}, "Helping earns points; points unlock features and credits, and put you on the Top Helpers board.")),
    ),
  );
}

function counts(title, data, order, href, newHref, newText) {
  const c = (data && data.counts) || {};
  return h(
    "section",
    { class: "card", "aria-labelledby": `h-${title}` },
    h("div", { class: "row spread" }, h("h2", { id: `h-${title}` }, title), h("a", { class: "button", href: newHref }, newText)),
    h(
      "ul",
      { class: "stats" },
      order.map((k) => h("li", {}, h("strong", {}, String(c[k] ?? 0)), " ", label(k))),
    ),
    h("p", {}, link(href, `See all (${data ? data.total : 0})`)),
  );
}

function listingItems(items, kind) {
  if (!items.length) return empty(kind === "offers" ? "No offers yet." : "No asks yet.");
  return h(
    "ul",
    { class: "list" },
    items.map((x) =>
      h(
        "li",
        { class: "row spread" },
        link(`/${kind}/${x.id}`, x.title),
        h("span", { class: "tag" }, label(x.status)),
      ),
    ),
  );
}

export async function homePage(ctx) {
  ctx.setTitle("Home");
  const { signal } = ctx;
  await loadInto(
    ctx.root,
    () =>
      Promise.all([
        api("/home/", { signal }),
        api("/offers/me/", { signal, query: { page_size: 5 } }),
        api("/asks/me/", { signal, query: { page_size: 5 } }),
        api("/notifications/unread-count/", { signal }),
        api("/threads/", { signal }),
        onboardingState(signal).catch(() => ({ status: "completed" })), // no card when it cannot be read
      ]),
    ([home, offers, asks, unread, threads, onboarding]) => {
      const unreadThreads = (threads.results || []).filter((t) => t.unread_count > 0).length;
      const me = ctx.me;
      return [
        h("h1", {}, `Welcome back, @${me.username}`),
        !onboarding || onboarding.status !== "completed"
          ? h(
              "section",
              { class: "card onboarding-card", id: "onboarding-card", "aria-labelledby": "h-onboarding" },
              h("h2", { id: "h-onboarding" }, "Finish onboarding with Ava"),
              h("p", {}, "Tell Ava what you need and what you can help with: two minutes, and your profile shows it, with people who match."),
              h("a", { class: "button primary", href: "/onboarding" }, onboarding && onboarding.status === "in_progress" ? "Continue with Ava" : "Start with Ava"),
            )
          : null,
        h(
          "section",
          { class: "card", id: "home-matches", "aria-labelledby": "h-matches" },
          h("h2", { id: "h-matches" }, "Matches for you"),
          matchList(home.matches || [], "offer", { emptyText: "No matches yet: open an ask and the best offers show up here." }),
        ),
        h(
          "ul",
          { class: "stat-cards", "aria-label": "Your numbers" },
          h("li", {}, link("/points", h("strong", { id: "home-points" }, String(me.total_points ?? 0)), " points")),
          h("li", {}, h("strong", {}, String(me.helped_count ?? 0)), " helped"),
          h("li", {}, link(`/u/${encodeURIComponent(me.username)}`, h("strong", {}, String(me.followers_count ?? 0)), " followers")),
          h("li", {}, link("/threads", h("strong", { id: "home-unread-threads" }, String(unreadThreads)), " unread threads")),
          h("li", {}, link("/notifications", h("strong", { id: "home-unread-notifications" }, String(unread.unread ?? 0)), " unread notifications")),
          h("li", {}, link("/credits", h("strong", {}, String(me.credit_balance ?? 0)), " credits")),
        ),
        h(
          "div",
          { class: "grid two" },
          h(
            "div",
            {},
            counts("My offers", home.offers, ["active", "draft", "paused"], `/u/${encodeURIComponent(me.username)}`, "/offers/new", "New offer"),
            h("section", { class: "card", "aria-label": "Latest offers" }, listingItems(offers.results || [], "offers")),
          ),
          h(
            "div",
            {},
            counts("My asks", home.asks, ["open", "in_progress", "fulfilled", "closed"], `/u/${encodeURIComponent(me.username)}`, "/asks/new", "New ask"),
            h("section", { class: "card", "aria-label": "Latest asks" }, listingItems(asks.results || [], "asks")),
          ),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "h-activity" },
          h("div", { class: "row spread" }, h("h2", { id: "h-activity" }, "Recent activity"), link("/connections", "All connections")),
          home.recent_connections.length
            ? h(
                "ul",
                { class: "list", id: "recent-connections" },
                home.recent_connections.map((c) =>
                  h(
                    "li",
                    {},
                    link(`/connections/${c.id}`, (c.offer && c.offer.title) || (c.ask && c.ask.title) || label(c.connection_type)),
                    " with ",
                    userLink(c.other_party),
                    " · ",
                    h("span", { class: "status" }, label(c.status)),
                    " · ",
                    timeAgo(c.updated_at || c.created_at),
                  ),
                ),
              )
            : empty("No connections yet: find someone to help in Discover."),
        ),
        h(
          "nav",
          { class: "card quick-links", "aria-label": "Everything" },
          h("h2", {}, "Go to"),
          h(
            "ul",
            { class: "row" },
            [
              ["/discover", "Discover"],
              ["/connections", "Connections"],
              ["/threads", "Messages"],
              ["/notifications", "Notifications"],
              ["/points", "Points"],
              ["/leaderboard", "Leaderboard"],
              ["/credits", "Credits"],
              ["/settings", "Settings"],
            ].map(([href, text]) => h("li", {}, link(href, text))),
          ),
        ),
      ];
    },
  );
  // Live: a new notification bumps the count shown here too (the bell counts in shell.js).
  ctx.on("notification.created", () => {
    const el = document.getElementById("home-unread-notifications");
    if (el) el.textContent = String(Number(el.textContent) + 1);
  });
  // Live: a new match refreshes "Matches for you".
  ctx.on("match.created", async () => {
    const section = document.getElementById("home-matches");
    if (!section) return;
    try {
      const home = await api("/home/", { signal });
      section.querySelector(".match-list, .empty")?.replaceWith(matchList(home.matches || [], "offer", { emptyText: "No matches yet." }));
    } catch {
      /* keep what is shown */
    }
  });
  ctx.on("points.awarded", (frame) => {
    const el = document.getElementById("home-points");
    const data = frame.data || frame;
    if (el) el.textContent = String(data.total_points);
  });
}
