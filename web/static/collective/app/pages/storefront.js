// `/u/<username>`: the storefront of GET /api/v1/people/<username>/, laid out as seed 001 §5.1:
// header with stats and Follow, "What I offer" in the §5.2 subsections (the API's offer_sections;
// agent courses at the end of "Learn From Me"), "What I need" (asks, flat), and reputation.

import { api, ApiError, empty, h, label, link, loadInto, money, mount, toast, userLink } from "../core.js";

const ICONS = { working_on: "🛠️", learn_from_me: "📚", work_with_me: "🤝", things_i_love: "❤️" };

function offerLine(o) {
  const price = o.is_paid ? (o.price_cents ? money(o.price_cents, o.currency) + (o.pricing_type === "hourly" ? "/hr" : o.pricing_type === "monthly" ? "/mo" : "") : "Price on request") : "free";
  return h("li", {}, link(`/offers/${o.id}`, o.title), h("span", { class: "muted" }, ` · ${label(o.offer_type)} · ${price}`));
}

function followButton(ctx, user, onChange) {
  const btn = h("button", { type: "button", class: user.is_following ? "" : "primary", id: "follow-button", "aria-pressed": String(Boolean(user.is_following)) }, user.is_following ? "Following ✓ (unfollow)" : "Follow");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      if (user.is_following) {
        await api(`/follows/${user.id}/`, { method: "DELETE" });
        user.is_following = false;
        user.followers_count = Math.max(0, user.followers_count - 1);
      } else {
        await api("/follows/", { method: "POST", body: { following: user.id } });
        user.is_following = true;
        user.followers_count += 1;
      }
      onChange();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) user.is_following = true;
      toast(error.message, { kind: "error" });
      btn.disabled = false;
    }
  });
  return btn;
}

export async function storefrontPage(ctx) {
  const username = ctx.params.username;
  ctx.setTitle(`@${username}`);
  await loadInto(
    ctx.root,
    () => api(`/people/${encodeURIComponent(username)}/`, { signal: ctx.signal }),
    (data) => {
      const u = data.user;
      const header = h("header", { class: "card storefront-header" });
      const drawHeader = () => {
        mount(
          header,
          h(
            "div",
            { class: "row spread" },
            h("h1", {}, `@${u.username}`),
            data.is_owner ? h("a", { class: "button", href: "/settings" }, "Edit profile") : followButton(ctx, u, drawHeader),
          ),
          u.tagline ? h("p", { class: "tagline" }, `“${u.tagline}”`) : null,
          h(
            "p",
            { class: "stats-line", id: "storefront-stats" },
            `🌱 ${u.total_points.toLocaleString()} pts • 👥 ${u.helped_count} helped • 👀 `,
            h("span", { id: "followers-count" }, String(u.followers_count)),
            u.followers_count === 1 ? " follower" : " followers",
            ` • ${u.following_count} following`,
          ),
          u.bio ? h("p", { class: "bio" }, u.bio) : null,
          data.reputation ? h("p", { class: "muted small" }, `Reputation: ${label(data.reputation.tier)} (${data.reputation.score})${data.reputation.ratings_count ? ` · ${data.reputation.ratings_count} ratings` : ""}`) : null,
        );
      };
      drawHeader();
      const sections = (data.offer_sections || []).map((s) => {
        const offers = [...s.offers];
        if (s.key === "learn_from_me") offers.push(...(data.agent_courses || []));
        return h("section", { class: "subsection", "aria-labelledby": `s-${s.key}` }, h("h3", { id: `s-${s.key}` }, `${ICONS[s.key] || ""} ${s.title}`), h("ul", { class: "list" }, offers.map(offerLine)));
      });
      if (!(data.offer_sections || []).some((s) => s.key === "learn_from_me") && (data.agent_courses || []).length) {
        sections.push(h("section", { class: "subsection" }, h("h3", {}, "📚 Learn From Me"), h("ul", { class: "list" }, data.agent_courses.map(offerLine))));
      }
      return [
        header,
        h(
          "section",
          { class: "card", "aria-labelledby": "what-i-offer" },
          h("div", { class: "row spread" }, h("h2", { id: "what-i-offer" }, "What I offer"), data.is_owner ? link("/offers/new", "Add an offer") : null),
          sections.length ? sections : empty(data.is_owner ? "You have no public offers yet (drafts are on your Home page)." : "No offers yet."),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "what-i-need" },
          h("div", { class: "row spread" }, h("h2", { id: "what-i-need" }, "What I need"), data.is_owner ? link("/asks/new", "Add an ask") : null),
          data.asks.length ? h("ul", { class: "list" }, data.asks.map((a) => h("li", {}, link(`/asks/${a.id}`, a.title), " ", h("span", { class: "tag" }, label(a.status))))) : empty("No open asks."),
        ),
        (data.endorsements || []).length
          ? h(
              "section",
              { class: "card", "aria-labelledby": "endorsements" },
              h("h2", { id: "endorsements" }, "Endorsements"),
              h("ul", { class: "list" }, data.endorsements.map((e) => h("li", {}, e.author ? userLink(e.author) : null, " ", e.text || e.body || e.skill || ""))),
            )
          : null,
      ];
    },
  );
}
