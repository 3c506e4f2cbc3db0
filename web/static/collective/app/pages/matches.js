// Matches (collective's matching: GET asks/<id>/matches/, offers/<id>/matches/, home/ `matches`): a list
// of the other side's listings with their score and the reasons, and the owner's panel on a listing
// page, refreshed live on `match.created`.

import { api, empty, h, label, link, userLink } from "../core.js";

function scoreText(score) {
  if (typeof score !== "number") return "";
  return `${Math.round(score <= 1 ? score * 100 : score)}% match`;
}

/** `items`: [{offer|ask: summary, score, reasons: [str], ask?|offer?}] → a <ul> showing `side`
 * ("offer" or "ask") of each, linked, with the reasons; the listing it matched when given. */
export function matchList(items, side, { emptyText = "No matches yet." } = {}) {
  if (!items || !items.length) return empty(emptyText);
  const other = side === "offer" ? "ask" : "offer";
  return h(
    "ul",
    { class: "list match-list" },
    items.map((m) => {
      const x = m[side] || m;
      const mine = m[other];
      const reasons = (m.reasons || []).filter(Boolean);
      return h(
        "li",
        { class: "match", dataset: { [side]: x.id } },
        h(
          "div",
          { class: "row spread" },
          h("span", {}, link(`/${side}s/${x.id}`, x.title || `${label(side)} #${x.id}`), x.user ? [" by ", userLink(x.user)] : null),
          typeof m.score === "number" ? h("span", { class: "tag match-score" }, scoreText(m.score)) : null,
        ),
        mine && mine.title ? h("span", { class: "muted small" }, `For your ${other}: `, link(`/${other}s/${mine.id}`, mine.title)) : null,
        reasons.length ? h("span", { class: "reasons" }, reasons.join(" · ")) : null,
      );
    }),
  );
}

/** The owner's "Matches" panel of an ask (offers that fit it) or an offer (asks it fits). */
export function matchesPanel(ctx, kind, id) {
  const side = kind === "ask" ? "offer" : "ask";
  const body = h("div", {}, h("p", { class: "muted" }, "Looking for matches…"));
  const section = h(
    "section",
    { class: "card", id: "listing-matches", "aria-labelledby": "h-listing-matches" },
    h("h2", { id: "h-listing-matches" }, "Matches"),
    h("p", { class: "muted small" }, kind === "ask" ? "Offers that fit this ask." : "Asks this offer can help with."),
    body,
  );
  async function load() {
    try {
      const data = await api(`/${kind}s/${id}/matches/`, { signal: ctx.signal });
      body.replaceChildren(matchList(data.results || [], side, { emptyText: kind === "ask" ? "No matching offers yet." : "No matching asks yet." }));
    } catch (error) {
      if (error.name === "AbortError") return;
      body.replaceChildren(h("p", { class: "muted" }, error.status === 404 ? "Matches are not available." : error.message));
    }
  }
  load();
  ctx.on("match.created", () => load());
  return section;
}
