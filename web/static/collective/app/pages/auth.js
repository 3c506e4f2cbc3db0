// /login and /signup: the session cookie (POST /api/v1/auth/session/, CSRF enforced). After login the
// app returns to `next` (a path of this site: main.js safeNext), e.g. the page an SMS linked to.

import { api, ApiError, field, formValues, h, link, mount, showFormErrors } from "../core.js";
import { app, safeNext, signedIn } from "../main.js";

async function ensureCsrf() {
  // /login is served with the csrftoken cookie (ensure_csrf_cookie); fetch one if it is missing.
  if (!document.cookie.includes("csrftoken=")) await api("/auth/csrf/");
}

function nextOf(ctx) {
  return safeNext(ctx.query.get("next"));
}

function withNext(path, next) {
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}

export async function loginPage(ctx) {
  ctx.setTitle("Log in");
  const next = nextOf(ctx);
  if (app.me) return signedIn(next);
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true, "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Log in"),
    next ? h("p", { class: "muted" }, "Log in to continue to the page you opened.") : null,
    field("Username", { name: "username", autocomplete: "username", required: true, autofocus: true, maxlength: 150 }),
    field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    submit,
    h("p", {}, "New here? ", link(withNext("/signup", next), "Create an account")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await ensureCsrf();
      await api("/auth/session/", { method: "POST", body: formValues(form) });
      await signedIn(next);
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) error.message = `Too many attempts. Try again in ${error.retryAfter || 60} s.`;
      showFormErrors(form, error);
      submit.disabled = false;
    }
  });
  mount(ctx.root, form);
}

export async function signupPage(ctx) {
  ctx.setTitle("Sign up");
  const next = nextOf(ctx);
  if (app.me) return signedIn(next);
  const submit = h("button", { type: "submit", class: "primary" }, "Create account");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true, "aria-labelledby": "signup-title" },
    h("h1", { id: "signup-title" }, "Join the Collective"),
    h("p", { class: "muted" }, "Offer what you can, ask for what you need."),
    field("Username", { name: "username", autocomplete: "username", required: true, autofocus: true, maxlength: 150 }, { hint: "Letters, digits and @ . + - _" }),
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    field("Password", { name: "password", type: "password", autocomplete: "new-password", required: true }, { hint: "At least 8 characters, not only digits." }),
    submit,
    h("p", {}, "Already a member? ", link(withNext("/login", next), "Log in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const values = formValues(form);
    try {
      await ensureCsrf();
      await api("/auth/register/", { method: "POST", body: values });
      await api("/auth/session/", { method: "POST", body: { username: values.username, password: values.password } });
      await signedIn(next || "/onboarding"); // a new member meets Ava first (pages/onboarding.js)
    } catch (error) {
      showFormErrors(form, error);
      submit.disabled = false;
    }
  });
  mount(ctx.root, form);
}
