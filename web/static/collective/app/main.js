// The web app: boot, layout, router, and the one realtime client of the tab. Pages are ES modules in
// ./pages/, loaded when first visited. A page module exports a function named in ROUTES below:
//
//   export async function threadPage(ctx) { ... }
//
// ctx = {
//   params,    // route parameters ({id: "3"})
//   query,     // URLSearchParams of the location
//   root,      // the <main> element, emptied; render into it
//   me,        // the signed-in user (GET /api/v1/me/), or null on public pages
//   rt,        // the RealtimeClient (realtime.js), connected while signed in
//   on(type, fn),   // subscribe to a realtime event for as long as this page is shown
//   signal,    // an AbortSignal aborted when the page is left (pass it to api())
//   setTitle(text), refreshMe(), rerender(),
// }
// A page may return a cleanup function. Server-side, every path here is listed in web/urls.py
// (which also redirects pages behind login to /login?next=...).

import { RealtimeClient } from "../realtime.js";
import { api, ApiError, errorBox, h, mount, navigate, onUnauthorized, setNavigator, toast } from "./core.js";

const ROUTES = [
  { path: "/", module: "./pages/home.js", view: "landingPage", public: true },
  { path: "/login", module: "./pages/auth.js", view: "loginPage", public: true },
  { path: "/signup", module: "./pages/auth.js", view: "signupPage", public: true },
  { path: "/home", module: "./pages/home.js", view: "homePage" },
  { path: "/onboarding", module: "./pages/onboarding.js", view: "onboardingPage" },
  { path: "/discover", module: "./pages/discover.js", view: "discoverPage" },
  { path: "/discover/:tab", module: "./pages/discover.js", view: "discoverPage" },
  { path: "/u/:username", module: "./pages/storefront.js", view: "storefrontPage" },
  { path: "/offers/new", module: "./pages/listings.js", view: "offerFormPage" },
  { path: "/offers/:id", module: "./pages/listings.js", view: "offerPage" },
  { path: "/offers/:id/edit", module: "./pages/listings.js", view: "offerFormPage" },
  { path: "/asks/new", module: "./pages/listings.js", view: "askFormPage" },
  { path: "/asks/:id", module: "./pages/listings.js", view: "askPage" },
  { path: "/asks/:id/edit", module: "./pages/listings.js", view: "askFormPage" },
  { path: "/connections", module: "./pages/connections.js", view: "connectionsPage" },
  { path: "/connections/:id", module: "./pages/connections.js", view: "connectionPage" },
  { path: "/threads", module: "./pages/threads.js", view: "threadsPage" },
  { path: "/threads/:id", module: "./pages/threads.js", view: "threadPage" },
  { path: "/notifications", module: "./pages/notifications.js", view: "notificationsPage" },
  { path: "/points", module: "./pages/economy.js", view: "pointsPage" },
  { path: "/leaderboard", module: "./pages/economy.js", view: "leaderboardPage" },
  { path: "/credits", module: "./pages/credits.js", view: "creditsPage" },
  { path: "/payments/:id", module: "./pages/payments.js", view: "paymentPage" },
  { path: "/earnings", module: "./pages/earnings.js", view: "earningsPage" },
  { path: "/settings", module: "./pages/settings.js", view: "settingsPage" },
];

function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  return { regex: new RegExp(`^${source}/?$`), names };
}
const TABLE = ROUTES.map((r) => ({ ...r, ...compile(r.path) }));

export function match(pathname) {
  for (const route of TABLE) {
    const m = route.regex.exec(pathname);
    if (m) {
      const params = {};
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
  }
  return null;
}

// --- state -----------------------------------------------------------------------------------
export const app = {
  me: null,
  rt: new RealtimeClient({ auth: "cookie" }),
  page: null, // {abort: AbortController, offs: [], cleanup}
  layoutHooks: [], // functions (me) => void, re-run when `me` changes (main.js layout, bell, points)
};
window.collectiveApp = app; // for the browser tests and the console

export async function refreshMe() {
  try {
    app.me = await api("/me/");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) app.me = null;
    else throw error;
  }
  renderLayout();
  return app.me;
}

/** After a session login (pages/auth.js): load the user, connect the socket, go to `next`. */
export async function signedIn(next) {
  await refreshMe();
  app.rt.connect();
  navigate(safeNext(next) || "/home", { replace: true });
}

export async function signOut() {
  try {
    await api("/auth/session/", { method: "DELETE" });
  } finally {
    app.rt.close();
    app.me = null;
    renderLayout();
    navigate("/login", { replace: true });
  }
}

/** `next` only if it is a path of this site ("/threads/3"), never "//evil" or "https://...". */
export function safeNext(next) {
  if (!next || typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  return next;
}

function loginRedirect() {
  const here = location.pathname + location.search;
  const route = match(location.pathname);
  if (route && route.route.public) return;
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

// --- layout ----------------------------------------------------------------------------------
function navLink(href, text, extra = {}) {
  const current = location.pathname === href || (href !== "/" && location.pathname.startsWith(href + "/"));
  return h("a", { href, "aria-current": current ? "page" : null, ...extra }, text);
}

export function renderLayout() {
  const bar = document.getElementById("topbar");
  const me = app.me;
  mount(
    bar,
    h("a", { class: "brand", href: me ? "/home" : "/" }, "Collective"),
    h(
      "nav",
      { "aria-label": "Main" },
      me
        ? [
            navLink("/home", "Home"),
            navLink("/discover", "Discover"),
            navLink("/connections", "Connections"),
            navLink("/threads", "Messages"),
            navLink("/leaderboard", "Leaderboard"),
            navLink("/earnings", "Earnings"),
          ]
        : [navLink("/login", "Log in"), navLink("/signup", "Sign up")],
    ),
    me
      ? h(
          "div",
          { class: "topbar-user" },
          h("a", { href: "/notifications", class: "bell", id: "bell", "aria-label": "Notifications" }, "🔔", h("span", { class: "badge", id: "bell-count", hidden: true }, "0")),
          h("a", { href: "/points", class: "points-pill", id: "points-pill", title: "Your points" }, `${me.total_points ?? 0} pts`),
          // The credits balance, linking to /credits (packs, ledger, gifts). Its visible text avoids the
          // word itself: pages' tests look links up by partial names ("Edit" is in "credits").
          h("a", { href: "/credits", class: "points-pill credits-pill", id: "credits-pill", title: "Your credits: buy a pack, convert points, send a gift" }, `${me.credit_balance ?? 0} cr`),
          h("a", { href: "/settings" }, `@${me.username}`),
          h("button", { type: "button", class: "link-button", onclick: () => signOut() }, "Log out"),
        )
      : null,
  );
  for (const hook of app.layoutHooks) hook(me);
}

// --- router ----------------------------------------------------------------------------------
async function render() {
  const found = match(location.pathname);
  const root = document.getElementById("main");
  if (app.page) {
    app.page.abort.abort();
    app.page.offs.forEach((off) => off());
    if (typeof app.page.cleanup === "function") {
      try {
        app.page.cleanup();
      } catch (error) {
        console.error(error);
      }
    }
  }
  const page = { abort: new AbortController(), offs: [], cleanup: null };
  app.page = page;
  root.setAttribute("aria-busy", "true");
  renderLayout();
  if (!found) {
    mount(root, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "/" }, "Go to the start page")));
    root.removeAttribute("aria-busy");
    return;
  }
  if (!found.route.public && !app.me) return loginRedirect();
  const ctx = {
    params: found.params,
    query: new URLSearchParams(location.search),
    root,
    me: app.me,
    rt: app.rt,
    signal: page.abort.signal,
    on(type, fn) {
      const off = app.rt.on(type, fn);
      page.offs.push(off);
      return off;
    },
    setTitle(text) {
      document.title = text ? `${text} · Collective` : "Collective";
    },
    refreshMe,
    rerender: () => render(),
  };
  mount(root);
  ctx.setTitle("");
  try {
    const module = await import(found.route.module);
    if (page !== app.page) return;
    const view = module[found.route.view];
    if (typeof view !== "function") throw new Error(`${found.route.module} has no ${found.route.view}()`);
    page.cleanup = await view(ctx);
  } catch (error) {
    if (error.name === "AbortError" || page !== app.page) return;
    console.error(error);
    mount(root, errorBox(error, () => render()));
  } finally {
    if (page === app.page) root.removeAttribute("aria-busy");
  }
}

function go(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.scrollTo(0, 0);
  return render().then(() => document.getElementById("main")?.focus({ preventScroll: true }));
}
setNavigator(go);

// In-app links navigate without a reload; /api/, /admin/, /static/, downloads and new tabs do not.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download") || a.origin !== location.origin) return;
  if (/^\/(api|admin|static|ws|healthz|media)(\/|$)/.test(a.pathname)) return;
  if (!match(a.pathname)) return;
  event.preventDefault();
  go(a.pathname + a.search + a.hash);
});
window.addEventListener("popstate", () => render());

// --- realtime wiring shared by every page ------------------------------------------------------
app.rt.on("auth_required", () => {
  // The socket was closed with 4401 (session gone): back to the login page, returning here after.
  app.me = null;
  renderLayout();
  loginRedirect();
});
app.rt.on("resync_required", () => {
  // Too long away for a replay: refetch what the page shows from REST.
  toast("You were away for a while: this page was reloaded from the server.", { kind: "info" });
  refreshMe().then(() => render());
});
app.rt.on("too_many_sockets", () => toast("Too many open tabs: this one will reconnect when another closes.", { kind: "error" }));
onUnauthorized(() => {
  if (app.me) {
    app.me = null;
    app.rt.close();
    renderLayout();
  }
  loginRedirect();
});

// Optional layout add-ons (bell, points toasts): ./shell.js, if present, registers them.
async function boot() {
  try {
    await refreshMe();
  } catch (error) {
    mount(document.getElementById("main"), errorBox(error, () => location.reload()));
    return;
  }
  try {
    const shell = await import("./shell.js");
    shell.install?.(app);
  } catch (error) {
    console.error("shell.js:", error);
  }
  if (app.me) app.rt.connect();
  await render();
}

boot();
