"""Browser tests of the realtime client (web/static/collective/realtime.js) in a real Chromium,
driven by Playwright, against a real uvicorn server on the embedded defaults (SQLite file,
in-memory layer), as `make run` serves it.

They need the `playwright` package and Chromium at /usr/bin/chromium (Debian: `apt-get install
chromium`; .ci/run installs it). Without them the tests skip, saying why; under CI=true that is a
failure. Each test registers its own users, so the server is shared by the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.procs import embedded_env, free_port, migrate_embedded, start_uvicorn, stop, wait_for, wait_http_ready

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Server settings for the tests: generous throttles (every test registers users from one
# address), a small socket cap so that 4409 can be shown with a few tabs.
MAX_SOCKETS = 3
SERVER_ENV = {
    "WEB_TEST_HARNESS": "1",
    "THROTTLE_REGISTER": "10000/hour",
    "THROTTLE_LOGIN": "10000/min",
    "THROTTLE_LOGIN_ACCOUNT": "10000/hour",
    "THROTTLE_REALTIME_TICKET": "10000/min",
    "REALTIME_MAX_SOCKETS_PER_USER": str(MAX_SOCKETS),
}


def _require_browser() -> None:
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the `playwright` Python package is not installed (pip install playwright)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"Chromium is not at {CHROMIUM} (apt-get install -y chromium)")
    if problems:
        reason = "browser tests need " + "; ".join(problems)
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a missing browser is a failure)")
        pytest.skip(reason)


@dataclass
class Server:
    """uvicorn on the embedded defaults, and a second process on the same SQLite file (`peer`),
    through which the tests write while the first is down: the event log is in the file."""

    tmp: Path
    env: dict
    port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    peer: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.tmp / f"uvicorn-{self.port}.log"

    @property
    def db_path(self) -> Path:
        return Path(self.env["SQLITE_PATH"])

    def start(self) -> None:
        self.proc = start_uvicorn(self.port, self.env, self.log)
        wait_http_ready(self.port, self.proc, self.log)

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None

    def start_peer(self) -> None:
        log = self.tmp / f"uvicorn-{self.peer_port}.log"
        self.peer = start_uvicorn(self.peer_port, self.env, log)
        wait_http_ready(self.peer_port, self.peer, log)

    def stop_all(self) -> None:
        stop(self.proc)
        stop(self.peer)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    tmp = tmp_path_factory.mktemp("web")
    env = embedded_env(tmp, **SERVER_ENV)
    migrate_embedded(env)
    srv = Server(tmp=tmp, env=env)
    srv.start()
    srv.start_peer()
    try:
        yield srv
    finally:
        srv.stop_all()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


# --- REST, from the test ----------------------------------------------------------------------
def api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, (json.loads(raw) if raw else {})


@dataclass
class Member:
    id: int
    username: str
    token: str
    password: str


def register(base: str) -> Member:
    name = "u" + uuid.uuid4().hex[:12]
    password = "a-long-passphrase-" + uuid.uuid4().hex[:6]
    status, body = api(
        base, "POST", "/api/v1/auth/register/", {"username": name, "email": f"{name}@example.com", "password": password}
    )
    assert status == 201, body
    return Member(id=body["id"], username=body["username"], token=body["token"], password=password)


def open_thread(base: str, a: Member, b: Member) -> int:
    status, body = api(base, "POST", "/api/v1/threads/", {"user": b.id}, token=a.token)
    assert status in (200, 201), body
    return body["id"]


def send_message(base: str, sender: Member, thread: int, text: str) -> dict:
    status, body = api(base, "POST", f"/api/v1/threads/{thread}/messages/", {"body": text}, token=sender.token)
    assert status == 201, body
    return body


# --- the page ---------------------------------------------------------------------------------
# Before any page script: every WebSocket the page makes is recorded, and `__refuse` sends new
# ones to a closed port (the network is down for new connections; open ones are untouched).
INIT_SCRIPT = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__refuse = false;
  class Tracked extends Native {
    constructor(url, protocols) {
      super(window.__refuse ? "ws://127.0.0.1:9/ws/" : url, protocols);
      this.requestedUrl = url;
      window.__sockets.push(this);
    }
  }
  window.WebSocket = Tracked;
})();
"""

# In the harness page: start a client and record what it reports. `opts.badTickets` makes the
# first N tickets invalid (getTicket), `opts.alwaysBadTickets` all of them.
START_CLIENT = """
async (opts) => {
  if (!window.realtime) await new Promise((r) => window.addEventListener("realtime-loaded", r, { once: true }));
  const { RealtimeClient } = window.realtime;
  window.log = [];
  window.events = [];
  window.ticketCalls = 0;
  const options = { ...opts.options };
  if (opts.badTickets !== undefined || opts.alwaysBadTickets) {
    const token = opts.token;
    options.getTicket = async () => {
      window.ticketCalls += 1;
      if (opts.alwaysBadTickets || window.ticketCalls <= opts.badTickets) return "not-a-ticket-" + window.ticketCalls;
      const headers = { Authorization: "Token " + token };
      const res = await fetch("/api/v1/realtime/tickets/", { method: "POST", headers });
      return (await res.json()).ticket;
    };
  }
  const rt = new RealtimeClient(options);
  window.rt = rt;
  rt.on("event", (e) => window.events.push({
    id: e.id, type: e.type, body: e.data.message ? e.data.message.body : null }));
  for (const name of ["open", "close", "state", "resync_required", "resumed", "auth_required", "too_many_sockets",
                      "online", "offline", "sync", "typing", "presence", "error"]) {
    rt.on(name, (payload) => window.log.push({ kind: name, at: Date.now(), ...JSON.parse(JSON.stringify(payload)) }));
  }
  rt.connect();
}
"""


def harness(context, server: Server):
    page = context.new_page()
    page.add_init_script(INIT_SCRIPT)
    page.goto(server.base + "/web/test-harness/")
    page.wait_for_function("() => !!window.realtime")
    return page


def start_client(page, options: dict | None = None, **extra) -> None:
    page.evaluate(START_CLIENT, {"options": options or {}, **extra})


def wait_open(page, timeout: float = 15_000) -> None:
    page.wait_for_function("() => window.rt && window.rt.state === 'open'", timeout=timeout)


def bodies(page, type_: str = "message.created") -> list[str]:
    return [e["body"] for e in page.evaluate("window.events") if e["type"] == type_]


def wait_bodies(page, expected: list[str], timeout: float = 15.0) -> list[str]:
    """Wait until the page has seen at least `expected` message bodies; return what it saw."""
    wait_for(lambda: len(bodies(page)) >= len(expected), timeout, f"messages {expected}")
    time.sleep(0.3)  # anything extra (a duplicate) would arrive now
    return bodies(page)


def log_of(page, kind: str) -> list[dict]:
    return [entry for entry in page.evaluate("window.log") if entry["kind"] == kind]


def assert_dense(page) -> None:
    """The durable ids the page delivered are consecutive: none skipped, none repeated."""
    ids = [e["id"] for e in page.evaluate("window.events")]
    assert ids == list(range(ids[0], ids[0] + len(ids))), ids


# --- the web app, on both topologies ------------------------------------------------------------
# `app_server` serves the web app (web/static/collective/app/) the way a user meets it:
# - "embedded": one uvicorn on a SQLite file, in-memory layer, eager Celery (`make run`);
# - "prod": PostgreSQL (a database of the test's own, migrated by the code) + Redis (REDIS_URL's
#   index) with two uvicorn processes and a Celery worker with beat. `bases` lists both processes:
#   a test puts one user's page on each to prove events cross processes. Marked postgres + redis,
#   so it runs in `make test`'s second pass (and fails, not skips, under CI=true without them).
# Screenshots: `shot(page, name)` writes PNGs to $WEB_SCREENSHOTS (docs/web/ via `make screenshots`)
# or to the test's tmp dir.


@dataclass
class AppServer:
    topology: str
    bases: list[str]
    tmp: Path

    @property
    def base(self) -> str:
        return self.bases[0]

    @property
    def other(self) -> str:
        """The second server process (prod), or the only one (embedded)."""
        return self.bases[-1]


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _prod_database() -> tuple[str, str, str]:
    from urllib.parse import urlsplit, urlunsplit

    base = urlsplit(os.environ["DATABASE_URL"])
    name = (os.environ.get("TEST_DATABASE_NAME") or "test_collective") + "_web"
    return urlunsplit(base._replace(path="/" + name)), urlunsplit(base._replace(path="/postgres")), name


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("prod", marks=[pytest.mark.postgres, pytest.mark.redis])],
)
def app_server(request, tmp_path_factory):
    _require_browser()
    from tests.procs import service_env, start_celery, uvicorn_servers

    tmp = tmp_path_factory.mktemp(f"webapp-{request.param}")
    if request.param == "embedded":
        env = embedded_env(tmp, **SERVER_ENV)
        migrate_embedded(env)
        with uvicorn_servers(1, env, tmp) as ports:
            yield AppServer("embedded", [f"http://127.0.0.1:{p}" for p in ports], tmp)
        return
    # This module-scoped fixture is set up before the autouse per-test gate (tests/conftest.py) runs: check
    # here, so that without PostgreSQL/Redis the prod tests skip, saying why (fail under CI=true).
    from django.conf import settings as django_settings

    from tests.conftest import _require

    _require("DATABASE_URL", "PostgreSQL", 5432, lambda: django_settings.IS_POSTGRES)
    _require("REDIS_URL", "Redis", 6379, lambda: bool(django_settings.REDIS_URL))
    url, maintenance, name = _prod_database()
    _pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(maintenance, f'CREATE DATABASE "{name}"')
    try:
        env = service_env(database_url=url, redis_url=os.environ["REDIS_URL"], LOG_LEVEL="WARNING", **SERVER_ENV)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            check=True,
        )
        celery = start_celery(env, tmp / "celery.log", beat=True)
        try:
            with uvicorn_servers(2, env, tmp) as ports:
                yield AppServer("prod", [f"http://127.0.0.1:{p}" for p in ports], tmp)
        finally:
            stop(celery)
    finally:
        _pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def app_browser(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(app_browser):
    """new_context() → a fresh browser context (one per person; two pages of one = two tabs);
    phone-sized with new_context(mobile=True). All are closed after the test."""
    made = []

    def make(mobile: bool = False):
        options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True} if mobile else {}
        ctx = app_browser.new_context(**options)
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    try:
        yield make
    finally:
        for ctx in made:
            ctx.close()


def session_login(context, base: str, member: Member) -> None:
    """Log `member` in for every page of `context` (the session cookie), as the login form does."""
    r = context.request.get(base + "/api/v1/auth/csrf/")
    assert r.ok, r.text()
    token = r.json()["csrf_token"]
    r = context.request.post(
        base + "/api/v1/auth/session/",
        data={"username": member.username, "password": member.password},
        headers={"X-CSRFToken": token, "Referer": base + "/login"},
    )
    assert r.ok, r.text()


def open_app(context, base: str, path: str = "/home", member: Member | None = None, live: bool = True):
    """A tab of the app at `path` (logged in as `member` first, when given), with its socket open
    when `live`. WebSockets are tracked as in INIT_SCRIPT (window.__sockets, window.__refuse)."""
    if member is not None:
        session_login(context, base, member)
    page = context.new_page()
    page.add_init_script(INIT_SCRIPT)
    page.goto(base + path)
    page.wait_for_function(
        "() => !!window.collectiveApp && document.getElementById('main').getAttribute('aria-busy') !== 'true'"
    )
    if live:
        wait_app_live(page)
    return page


def wait_app_live(page, timeout: float = 15_000) -> None:
    page.wait_for_function("() => window.collectiveApp.rt.state === 'open'", timeout=timeout)


def shot(page, name: str, tmp: Path | None = None) -> Path:
    """A full-page PNG: into $WEB_SCREENSHOTS when set (docs/web/ by `make screenshots`), else tmp."""
    folder = Path(os.environ.get("WEB_SCREENSHOTS") or (tmp or Path("/tmp")) / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- the web app with payments on (the Stripe fake) ------------------------------------------------
# `payments_app_server` is `app_server` with Stripe configured: the Stripe fake (tests/fakes/stripe.py,
# one process for the session) as STRIPE_API_BASE, its key and webhook secret, SITE_URL = each
# server process's own base URL (so Checkout and onboarding return to the process the page came
# from), and the fake's webhooks sent to `<base>/api/v1/payments/stripe/webhook/`. `plain` is one
# more server process on the same data WITHOUT Stripe keys (the "not set up" screens): on prod it
# shares the database, Redis and worker, so no second set of services runs beside the first.
# The default `app_server` is untouched (no keys).

STRIPE_WEBHOOK_PATH = "/api/v1/payments/stripe/webhook/"


@pytest.fixture(scope="session")
def web_stripe_fake():
    import secrets

    from tests.fakes.stripe import running_stripe_fake

    with running_stripe_fake(f"whsec_web_{secrets.token_hex(8)}") as fake:
        yield fake


@dataclass
class PaymentsAppServer(AppServer):
    fake: object = None  # tests.fakes.stripe.FakeStripe
    plain: str = ""  # a server process without Stripe keys, on the same data


def _stripe_env(fake, site_url: str) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_WEBHOOK_SECRET": fake.webhook_secret,
        "STRIPE_API_BASE": fake.base_url,
        "SITE_URL": site_url,
        "PAYMENTS_MAX_NETWORK_RETRIES": "0",
        "PAYMENTS_PLATFORM_FEE_PERCENT": "10",
    }


@contextmanager
def _payment_servers(ports: list[int], env: dict, tmp: Path, fake):
    """uvicorn processes on `ports` with Stripe on (each with SITE_URL = its own base) and one
    without keys; yields (ports, plain_port)."""
    plain = free_port()
    started = []
    try:
        for port in ports:
            log = tmp / f"uvicorn-{port}.log"
            started.append(
                (port, start_uvicorn(port, {**env, **_stripe_env(fake, f"http://127.0.0.1:{port}")}, log), log)
            )
        log = tmp / f"uvicorn-{plain}.log"
        plain_env = {k: v for k, v in env.items() if not k.startswith("STRIPE_")}
        started.append((plain, start_uvicorn(plain, plain_env, log), log))
        for port, proc, log in started:
            wait_http_ready(port, proc, log)
        yield ports, plain
    finally:
        for _, proc, _ in started:
            stop(proc)


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("prod", marks=[pytest.mark.postgres, pytest.mark.redis])],
)
def payments_app_server(request, tmp_path_factory, web_stripe_fake):
    _require_browser()
    from tests.procs import service_env, start_celery

    fake = web_stripe_fake
    tmp = tmp_path_factory.mktemp(f"webpay-{request.param}")

    def made(ports, plain) -> PaymentsAppServer:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        fake.set_webhook_url(bases[0] + STRIPE_WEBHOOK_PATH)
        return PaymentsAppServer(request.param, bases, tmp, fake=fake, plain=f"http://127.0.0.1:{plain}")

    if request.param == "embedded":
        env = embedded_env(tmp, **SERVER_ENV)
        migrate_embedded(env)
        with _payment_servers([free_port()], env, tmp, fake) as (ports, plain):
            try:
                yield made(ports, plain)
            finally:
                fake.set_webhook_url(None)
        return
    from django.conf import settings as django_settings

    from tests.conftest import _require

    _require("DATABASE_URL", "PostgreSQL", 5432, lambda: django_settings.IS_POSTGRES)
    _require("REDIS_URL", "Redis", 6379, lambda: bool(django_settings.REDIS_URL))
    url, maintenance, name = _prod_database()
    url, name = url.rsplit("/", 1)[0] + "/" + name + "_pay", name + "_pay"
    _pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(maintenance, f'CREATE DATABASE "{name}"')
    try:
        env = service_env(database_url=url, redis_url=os.environ["REDIS_URL"], LOG_LEVEL="WARNING", **SERVER_ENV)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            check=True,
        )
        ports = [free_port(), free_port()]
        # The worker processes the webhooks (and reads Stripe): keys on, SITE_URL the first process.
        celery = start_celery(
            {**env, **_stripe_env(fake, f"http://127.0.0.1:{ports[0]}")}, tmp / "celery.log", beat=True
        )
        try:
            with _payment_servers(ports, env, tmp, fake) as (ports, plain):
                try:
                    yield made(ports, plain)
                finally:
                    fake.set_webhook_url(None)
        finally:
            stop(celery)
    finally:
        _pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def payments_browser(payments_app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def pay_context(payments_browser):
    """pay_context() → a fresh browser context on the payments browser (one per person)."""
    made = []

    def make(mobile: bool = False):
        options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True} if mobile else {}
        ctx = payments_browser.new_context(**options)
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    try:
        yield make
    finally:
        for ctx in made:
            ctx.close()
