// `/points` (balance, unlocks and the ledger of GET /api/v1/points/), `/leaderboard` ("Top Helpers
// This Week" and all-time, GET /api/v1/leaderboard/?window=) and `/credits` (balance, feature costs,
// convert points → credits, gifts of points or credits: POST /credits/convert/, POST /gifts/).

import { api, empty, errorBox, field, h, label, link, loading, mount, showFormErrors, timeAgo, toast, userLink } from "../core.js";

function moreList(ctx, path, query, renderItem, { emptyText, head } = {}) {
  // A paginated list with a "More" button; `head(data)` renders what comes before the list.
  const list = h("ul", { class: "list" });
  const headSlot = h("div");
  const more = h("button", { type: "button", hidden: true }, "More");
  const box = h("div", {}, headSlot, list, more);
  let next = null;
  async function load(first) {
    more.disabled = true;
    try {
      const data = first ? await api(path, { signal: ctx.signal, query }) : await api(next, { signal: ctx.signal });
      if (first && head) mount(headSlot, head(data));
      if (first && !data.results.length) list.append(h("li", {}, empty(emptyText || "Nothing yet.")));
      data.results.forEach((x) => list.append(renderItem(x)));
      next = data.next ? new URL(data.next, location.origin).pathname.replace(/^\/api\/v1/, "") + new URL(data.next, location.origin).search : null;
      more.hidden = !next;
      more.disabled = false;
      return data;
    } catch (error) {
      if (error.name === "AbortError") throw error;
      mount(box, errorBox(error, () => ctx.rerender()));
      return null;
    }
  }
  more.addEventListener("click", () => load(false));
  return { box, load };
}

function signed(n) {
  return n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : "0";
}

export async function pointsPage(ctx) {
  ctx.setTitle("Points");
  mount(ctx.root, h("h1", {}, "Your points"), loading());
  const { box, load } = moreList(
    ctx,
    "/points/",
    {},
    (t) =>
      h(
        "li",
        { class: "row spread" },
        h("span", {}, h("strong", { class: t.amount >= 0 ? "gain" : "loss" }, signed(t.amount)), " ", t.reason || label(t.action)),
        h("span", { class: "muted small" }, timeAgo(t.created_at), ` · total ${t.balance_after}`),
      ),
    {
      emptyText: "No points yet: help someone, add an offer, or complete your profile.",
      head: (data) => {
        const u = data.unlocks || {};
        return [
          h(
            "section",
            { class: "card" },
            h("p", { class: "big" }, h("strong", { id: "points-total" }, String(data.total_points)), " points"),
            h("p", { class: "muted" }, `Lifetime earned: ${u.lifetime_points ?? data.total_points}`),
            u.next ? h("p", {}, `Next unlock: ${u.next.label} at ${u.next.threshold} points (${Math.max(0, u.next.threshold - (u.lifetime_points || 0))} to go).`) : null,
            (u.features || []).length ? h("p", {}, "Unlocked: ", u.features.map((f) => f.label || f).join(", ")) : null,
            h("p", { class: "row" }, link("/credits", "Convert points to credits"), link("/leaderboard", "Leaderboard")),
          ),
          h("h2", {}, "History"),
        ];
      },
    },
  );
  mount(ctx.root, h("h1", {}, "Your points"), box);
  await load(true);
  ctx.on("points.awarded", () => ctx.rerender());
}

export async function leaderboardPage(ctx) {
  const window_ = ctx.query.get("window") === "all" ? "all" : "week";
  ctx.setTitle("Leaderboard");
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Leaderboard window" },
    h("a", { href: "/leaderboard", "aria-current": window_ === "week" ? "page" : null }, "Top Helpers This Week"),
    h("a", { href: "/leaderboard?window=all", "aria-current": window_ === "all" ? "page" : null }, "All time"),
  );
  const { box, load } = moreList(
    ctx,
    "/leaderboard/",
    { window: window_, page_size: 25 },
    (r) =>
      h(
        "li",
        { class: ["row spread", ctx.me && r.user.id === ctx.me.id ? "me" : null] },
        h("span", {}, h("span", { class: "rank" }, `#${r.rank}`), " ", userLink(r.user)),
        h("span", {}, h("strong", {}, `${r.points} pts`), r.helped != null ? h("span", { class: "muted" }, ` · ${r.helped} helped`) : null),
      ),
    { emptyText: window_ === "week" ? "Nobody has earned giving points this week yet: be the first." : "No points earned yet." },
  );
  mount(ctx.root, h("h1", {}, window_ === "week" ? "Top Helpers This Week" : "Top Helpers of All Time"), tabs, h("section", { class: "card", "aria-live": "polite" }, box));
  await load(true);
}

export async function creditsPage(ctx) {
  ctx.setTitle("Credits");
  mount(ctx.root, h("h1", {}, "Credits"), loading());
  let costs = [];
  try {
    costs = await api("/credits/costs/", { signal: ctx.signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(ctx.root, h("h1", {}, "Credits"), errorBox(error, () => ctx.rerender()));
    return;
  }
  const { box, load } = moreList(
    ctx,
    "/credits/",
    {},
    (t) =>
      h(
        "li",
        { class: "row spread" },
        h("span", {}, h("strong", { class: t.amount >= 0 ? "gain" : "loss" }, signed(t.amount)), " ", t.description || label(t.transaction_type), t.related_user ? [" · ", userLink(t.related_user)] : null),
        h("span", { class: "muted small" }, timeAgo(t.created_at), ` · balance ${t.balance_after}`),
      ),
    {
      emptyText: "No credit transactions yet.",
      head: (data) => h("p", { class: "big" }, h("strong", { id: "credit-balance" }, String(data.credit_balance)), " credits"),
    },
  );

  const convertSubmit = h("button", { type: "submit", class: "primary" }, "Convert");
  const convert = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "convert-title" },
    h("h2", { id: "convert-title" }, "Convert points to credits"),
    h("p", { class: "muted" }, `100 points → 10 credits, in multiples of 100. You have ${ctx.me.total_points} points.`),
    field("Points to convert", { name: "points", type: "number", min: 100, step: 100, value: 100, inputmode: "numeric" }),
    convertSubmit,
  );
  convert.addEventListener("submit", async (event) => {
    event.preventDefault();
    convertSubmit.disabled = true;
    try {
      await api("/credits/convert/", { method: "POST", body: { points: Number(convert.elements.points.value) } });
      toast("Converted.", { kind: "success" });
      await ctx.refreshMe();
      ctx.rerender();
    } catch (error) {
      showFormErrors(convert, error);
      convertSubmit.disabled = false;
    }
  });

  const giftSubmit = h("button", { type: "submit", class: "primary" }, "Send gift");
  const gift = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "gift-title" },
    h("h2", { id: "gift-title" }, "Send a gift"),
    h("p", { class: "muted" }, "Thank someone with points or credits you got from other people."),
    field("To (username)", { name: "to", required: true, maxlength: 150, autocomplete: "off", value: ctx.query.get("to") || "" }),
    field("What", { name: "kind", value: "points" }, { tag: "select", options: [["points", "Points"], ["credits", "Credits"]] }),
    field("Amount", { name: "amount", type: "number", min: 1, step: 1, value: 10, inputmode: "numeric" }),
    field("Message", { name: "message", maxlength: 280 }, { hint: "Optional, up to 280 characters" }),
    giftSubmit,
  );
  gift.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = gift.elements;
    giftSubmit.disabled = true;
    try {
      const body = { to: f.to.value.replace(/^@/, "").trim(), [f.kind.value]: Number(f.amount.value), message: f.message.value };
      await api("/gifts/", { method: "POST", body });
      toast(`Gift sent to @${body.to}.`, { kind: "success" });
      await ctx.refreshMe();
      ctx.rerender();
    } catch (error) {
      // The API names the field `points` / `credits`: show it on the amount.
      if (error.fields && (error.fields.points || error.fields.credits)) error.fields.amount = error.fields.points || error.fields.credits;
      delete error.fields?.points;
      delete error.fields?.credits;
      showFormErrors(gift, error);
      giftSubmit.disabled = false;
    }
  });

  mount(
    ctx.root,
    h("h1", {}, "Credits"),
    h("section", { class: "card", "aria-label": "Balance and history" }, box),
    h(
      "div",
      { class: "grid two" },
      convert,
      gift,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "costs-title" },
      h("h2", { id: "costs-title" }, "What credits buy"),
      costs.length ? h("ul", { class: "list" }, costs.map((c) => h("li", { class: "row spread" }, h("span", {}, c.name), h("strong", {}, `${c.cost} credit${c.cost === 1 ? "" : "s"}`)))) : empty("No features cost credits right now."),
    ),
  );
  await load(true);
}
