// `/discover/offers/`, `/discover/asks/`, `/discover/people/` (and `/discover` = offers): the lists of
// GET /api/v1/discover/{offers,asks,people}/ with the filters the API takes. The filters live in the
// URL query, so back/forward and shared links restore them; "More" appends the next page.

import { api, ASK_TYPES, empty, errorBox, field, h, label, link, loading, mount, navigate, OFFER_TYPES, offerCategories, timeAgo, userLink } from "../core.js";

const TABS = [
  ["offers", "Offers"],
  ["asks", "Asks"],
  ["people", "People"],
];
// Query keys each tab passes to the API (the rest of the URL query is ignored).
const KEYS = {
  offers: ["search", "category", "offer_type", "tags", "is_paid", "ordering"],
  asks: ["search", "category", "ask_type", "tags", "is_paid_opportunity", "ordering"],
  people: ["search", "ordering"],
};
const PAGE_SIZE = 12;


function offerCard(o) {
  return h(
    "li",
    { class: "card item" },
    h("h3", {}, link(`/offers/${o.id}`, o.title)),
    h("p", { class: "muted small" }, label(o.offer_type), " · ", userLink(o.user), o.category ? ` · ${o.category.name}` : "", " · ", o.is_paid ? "Paid" : "Free"),
    h("p", { class: "clamp" }, o.description),
    o.tags && o.tags.length ? h("p", { class: "row" }, o.tags.map((t) => h("span", { class: "tag" }, t.name || t.slug))) : null,
  );
}

function askCard(a) {
  return h(
    "li",
    { class: "card item" },
    h("h3", {}, link(`/asks/${a.id}`, a.title)),
    h("p", { class: "muted small" }, label(a.ask_type), " · ", userLink(a.user), " · ", timeAgo(a.created_at), a.is_paid_opportunity ? " · Paid" : ""),
    h("p", { class: "clamp" }, a.description),
  );
}

function personCard(p) {
  return h(
    "li",
    { class: "card item" },
    h("h3", {}, userLink(p)),
    p.tagline ? h("p", {}, p.tagline) : null,
    h("p", { class: "muted small" }, `🌱 ${p.total_points} pts · 👥 ${p.helped_count} helped · 👀 ${p.followers_count} followers · ${p.public_offer_count} offers · ${p.open_ask_count} asks`),
  );
}

function filtersForm(tab, query, cats) {
  const v = (k) => query.get(k) || "";
  const catOptions = [["", "Any category"], ...cats.map((c) => [c.slug, c.name])];
  const controls = [field("Search", { name: "search", type: "search", value: v("search"), maxlength: 200 })];
  if (tab === "offers") {
    controls.push(
      field("Category", { name: "category", value: v("category") }, { tag: "select", options: catOptions }),
      field("Type", { name: "offer_type", value: v("offer_type") }, { tag: "select", options: [["", "Any type"], ...OFFER_TYPES.map((t) => [t, label(t)])] }),
      field("Tags", { name: "tags", value: v("tags"), placeholder: "python, agents" }, { hint: "Tag slugs, comma-separated" }),
      field("Price", { name: "is_paid", value: v("is_paid") }, { tag: "select", options: [["", "Free or paid"], ["false", "Free"], ["true", "Paid"]] }),
      field("Sort", { name: "ordering", value: v("ordering") }, { tag: "select", options: [["", "Newest"], ["-connection_count", "Most connections"], ["-view_count", "Most viewed"], ["title", "Title"]] }),
    );
  } else if (tab === "asks") {
    controls.push(
      field("Category", { name: "category", value: v("category") }, { tag: "select", options: catOptions }),
      field("Type", { name: "ask_type", value: v("ask_type") }, { tag: "select", options: [["", "Any type"], ...ASK_TYPES.map((t) => [t, label(t)])] }),
      field("Tags", { name: "tags", value: v("tags"), placeholder: "python, agents" }, { hint: "Tag slugs, comma-separated" }),
      field("Paid", { name: "is_paid_opportunity", value: v("is_paid_opportunity") }, { tag: "select", options: [["", "Paid or not"], ["true", "Paid opportunity"], ["false", "Unpaid"]] }),
      field("Sort", { name: "ordering", value: v("ordering") }, { tag: "select", options: [["", "Newest"], ["-response_count", "Most responses"], ["-view_count", "Most viewed"]] }),
    );
  } else {
    controls.push(
      field("Sort", { name: "ordering", value: v("ordering") }, { tag: "select", options: [["", "Most helpful"], ["-followers_count", "Most followed"], ["-total_points", "Most points"], ["-date_joined", "Newest"]] }),
    );
  }
  const form = h("form", { class: "filters card", role: "search", "aria-label": `Filter ${tab}` }, h("div", { class: "filter-grid" }, controls), h("button", { type: "submit", class: "primary" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value.trim()) params.set(el.name, el.value.trim());
    const qs = params.toString();
    navigate(`/discover/${tab}/${qs ? "?" + qs : ""}`);
  });
  // Selects apply at once.
  form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => form.requestSubmit()));
  return form;
}

// --- the sentence search: GET search/?q= (full-text over offers, asks and people) --------------
// Its label avoids the word "search": the filters' "Search" field is looked up by that label.
function askForm(q) {
  const input = h("input", { type: "search", id: "ask-q", name: "q", value: q, maxlength: 300, placeholder: "I need help with…", autocomplete: "off" });
  const form = h(
    "form",
    { class: "card ask-search", role: "search", "aria-label": "Everything" },
    h("label", { for: "ask-q", class: "sr-only" }, "What do you need? Find offers, asks and people"),
    input,
    h("button", { type: "submit", class: "primary" }, "Find"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = input.value.trim();
    navigate(v ? `/discover?q=${encodeURIComponent(v)}` : "/discover");
  });
  return form;
}

async function sentenceResults(ctx, q, slot) {
  mount(slot, loading("Finding…"));
  try {
    const data = await api("/search/", { query: { q }, signal: ctx.signal });
    const section = (key, title, render) => {
      const items = data[key] || [];
      return h(
        "section",
        { class: "search-section", id: `search-${key}`, "aria-labelledby": `h-search-${key}` },
        h("h2", { id: `h-search-${key}` }, `${title} (${items.length})`),
        items.length ? h("ul", { class: "cards" }, items.map(render)) : empty(`No ${key} match.`),
      );
    };
    mount(slot, section("offers", "Offers", offerCard), section("asks", "Asks", askCard), section("people", "People", personCard));
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(slot, errorBox(error, () => sentenceResults(ctx, q, slot)));
  }
}

export async function discoverPage(ctx) {
  const tab = ["offers", "asks", "people"].includes(ctx.params.tab) ? ctx.params.tab : "offers";
  ctx.setTitle(`Discover ${tab}`);
  const { signal, query } = ctx;
  const q = (query.get("q") || "").trim();
  if (q) {
    ctx.setTitle(`Find: ${q}`);
    const slot = h("div", { class: "search-results", id: "search-results", "aria-live": "polite" });
    mount(ctx.root, h("h1", {}, "Discover"), askForm(q), slot);
    await sentenceResults(ctx, q, slot);
    return;
  }
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Discover" },
    TABS.map(([key, text]) => h("a", { href: `/discover/${key}/`, "aria-current": key === tab ? "page" : null }, text)),
  );
  const list = h("ul", { class: "cards", id: "results", "aria-live": "polite" });
  const status = h("p", { class: "muted", id: "results-count" });
  const more = h("button", { type: "button", hidden: true }, "More");
  const filterSlot = h("div", {}, loading("Loading filters…"));
  mount(ctx.root, h("h1", {}, "Discover"), askForm(""), tabs, filterSlot, status, list, more);
  const apiQuery = { page_size: PAGE_SIZE };
  for (const k of KEYS[tab]) if (query.get(k)) apiQuery[k] = query.get(k);
  const render = tab === "offers" ? offerCard : tab === "asks" ? askCard : personCard;
  let page = 1;
  async function load() {
    more.disabled = true;
    const placeholder = page === 1 ? h("li", {}, loading()) : null;
    if (placeholder) list.append(placeholder);
    try {
      const data = await api(`/discover/${tab}/`, { signal, query: { ...apiQuery, page } });
      placeholder?.remove();
      status.textContent = data.count === 1 ? "1 result" : `${data.count} results`;
      if (page === 1 && !data.results.length) list.append(h("li", {}, empty(query.toString() ? "Nothing matches these filters." : `No ${tab} yet.`)));
      data.results.forEach((x) => list.append(render(x)));
      more.hidden = !data.next;
      more.disabled = false;
      page += 1;
    } catch (error) {
      if (error.name === "AbortError") throw error;
      placeholder?.remove();
      list.append(h("li", {}, errorBox(error, () => (list.lastChild.remove(), load()))));
    }
  }
  more.addEventListener("click", () => load());
  const loads = [load()];
  if (tab !== "people") {
    loads.push(
      offerCategories()
        .then((cats) => mount(filterSlot, filtersForm(tab, query, cats)))
        .catch((error) => {
          if (error.name !== "AbortError") mount(filterSlot, filtersForm(tab, query, []));
        }),
    );
  } else mount(filterSlot, filtersForm(tab, query, []));
  await Promise.all(loads);
}
