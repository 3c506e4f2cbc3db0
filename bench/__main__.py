"""`python -m bench`: the delivery benchmark of issue 5 (see docs/benchmarks.md).

For each configuration (embedded, prod) x server (daphne, uvicorn; granian on request) x target it starts the servers,
prepares users, and runs the scenarios with the load generator in its own processes. The targets:
the project; the floor (a bare Channels app: one `group_send` per POST, no database); and the
idiomatic app (bench/idiomatic/: what a Django developer writes instead, as the Channels tutorial
and the DRF quickstart teach). Each scenario prints a table row and one JSON line; a comparison
table of the project against both references ends the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import loadgen
from .servers import ROOT, Server

SCENARIOS = ["latency", "throughput", "fanout", "idle", "reconnect", "overload"]
TARGETS = ["floor", "idiomatic", "project"]
SETTINGS = {
    "floor": "bench.floor.settings",
    "idiomatic": "bench.idiomatic.settings",
    "project": "bench.project_settings",
}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/collective_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
RESULTS: list[dict[str, Any]] = []


# --- machine and environment --------------------------------------------------------------------


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "cpu": model,
        "python": platform.python_version(),
        "load_at_start": os.getloadavg()[0],
    }


def pg_available(url: str) -> str | None:
    try:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL unreachable ({type(exc).__name__}: {str(exc).strip()[:80]})"


def redis_available(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return None
    except Exception as exc:
        return f"Redis unreachable ({type(exc).__name__})"


def pg_recreate(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_clean(url: str, prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    for pattern in (f"{prefix}*", f"*{prefix}*"):
        keys = list(r.scan_iter(pattern, count=1000))
        if keys:
            r.delete(*keys)


class Config:
    users: list[dict[str, Any]]  # the project database's bench users, set by main() once it is ready
    idiomatic_users: list[dict[str, Any]]  # the idiomatic app's, likewise

    def __init__(self, name: str, args: argparse.Namespace, tmp: Path) -> None:
        self.name = name
        self.tmp = tmp
        self.prod = name == "prod"
        self.processes = 2 if self.prod else 1
        self.database = "postgresql" if self.prod else "sqlite"
        self.layer = "channels_redis" if self.prod else "in-memory"
        self.pg_url = args.pg_url
        self.idiomatic_pg_url = args.pg_url + "_idiomatic"
        self.redis_url = args.redis_url
        self.prefix = f"bench{os.getpid()}"

    def env(self, target: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SQLITE_PATH"}
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "DEBUG": "0",
                "LOG_LEVEL": "WARNING",
                "SECRET_KEY": "bench-" + "k" * 40,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "COLLECTIVE_VAR_DIR": str(self.tmp),
                "CHANNEL_LAYER_PREFIX": f"{self.prefix}{target}",
                "CACHE_KEY_PREFIX": f"{self.prefix}{target}",
                "DJANGO_SETTINGS_MODULE": SETTINGS[target],
            }
        )
        if self.prod:
            env["REDIS_URL"] = self.redis_url
            if target == "project":
                env["DATABASE_URL"] = self.pg_url
            elif target == "idiomatic":
                env["DATABASE_URL"] = self.idiomatic_pg_url
        elif target == "project":
            env["SQLITE_PATH"] = str(self.tmp / "bench.sqlite3")
        elif target == "idiomatic":
            env["SQLITE_PATH"] = str(self.tmp / "idiomatic.sqlite3")
        return env

    def tags(self) -> dict[str, Any]:
        return {"config": self.name, "database": self.database, "layer": self.layer, "processes": self.processes}


def dbsetup(cfg: Config, *args: str, stdin: str | None = None, target: str = "project") -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "bench.dbsetup", *args],
        cwd=ROOT,
        env=cfg.env(target),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.dbsetup {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def http_json(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw[:200].decode(errors="replace")


# --- statistics and output ------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 2)


def emit(row: dict[str, Any]) -> None:
    RESULTS.append(row)
    keys = [k for k in row if k not in {"machine", "errors", "post_status", "other_frames"}]
    print("  " + "  ".join(f"{k}={row[k]}" for k in keys if k not in {"config", "database", "layer", "processes"}))
    if row.get("errors"):
        print(f"  errors: {row['errors']}")
    print("JSON " + json.dumps(row, sort_keys=True), flush=True)


def merge_deliver(results: list[dict[str, Any]]) -> dict[str, Any]:
    fatal = [r["fatal"] for r in results if "fatal" in r]
    ok = [r for r in results if "fatal" not in r]
    lat = [x for r in ok for x in r["latencies"]]
    post = [x for r in ok for x in r["post_latencies"]]
    expected = sum(r["expected"] for r in ok)
    delivered = sum(r["delivered"] for r in ok)
    status: dict[str, int] = {}
    errors: dict[str, int] = {f"fatal: {f[:100]}": 1 for f in fatal}
    for r in ok:
        for k, v in r["post_status"].items():
            status[str(k)] = status.get(str(k), 0) + v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    span = max((r["post_span"] for r in ok), default=0.0) or 1e-9
    posted = sum(r["posted_ok"] for r in ok)
    offered = sum(r["offered"] for r in ok)
    return {
        "offered": offered,
        "posted_ok": posted,
        "post_failed": offered - posted,
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicates": sum(r["duplicates"] for r in ok),
        "p50_ms": ms(pct(lat, 50)),
        "p95_ms": ms(pct(lat, 95)),
        "p99_ms": ms(pct(lat, 99)),
        "max_ms": ms(max(lat, default=None)),
        "post_p50_ms": ms(pct(post, 50)),
        "post_p99_ms": ms(pct(post, 99)),
        "achieved_msg_s": round(posted / span, 1),
        "post_status": status,
        "errors": errors,
        "sockets": sum(r["sockets"] for r in ok),
    }


# --- targets ----------------------------------------------------------------------------------


class Target:
    """The app under test on its servers, and the users it knows."""

    def __init__(self, kind: str, cfg: Config, server: str, args: argparse.Namespace, users_needed: int) -> None:
        self.kind = kind
        self.cfg = cfg
        self.server = server
        profile = Path(args.profile) if args.profile and kind in args.profile_targets else None
        self.servers = [Server(server, kind, cfg.env(kind), cfg.tmp, profile) for _ in range(cfg.processes)]
        for s in self.servers:
            s.wait_ready()
        self.http = [s.base for s in self.servers]
        self.ws = [s.ws_base for s in self.servers]
        if kind == "floor":
            self.users = [{"id": 100000 + i, "token": None} for i in range(users_needed)]
        elif kind == "idiomatic":
            self.users = cfg.idiomatic_users[:users_needed]
        else:
            self.users = cfg.users[:users_needed]
        self.cursor = 0

    def take(self, n: int) -> list[dict[str, Any]]:
        """Fresh users for each scenario, so no scenario sees another's events or sockets."""
        if self.cursor + n > len(self.users):
            raise RuntimeError(f"not enough bench users ({len(self.users)}) for {n} more")
        got = self.users[self.cursor : self.cursor + n]
        self.cursor += n
        return got

    def thread_for(self, sender: dict[str, Any], recipient: dict[str, Any]) -> int:
        if self.kind in ("floor", "idiomatic"):  # no threads: a message names its recipient
            return 0
        status, body = http_json("POST", self.http[0] + "/api/v1/threads/", {"user": recipient["id"]}, sender["token"])
        if status not in (200, 201) or not isinstance(body, dict) or "id" not in body:
            raise RuntimeError(f"POST /api/v1/threads/ -> {status} {str(body)[:200]}")
        return int(body["id"])

    def stop(self) -> None:
        for s in self.servers:
            s.stop()

    def tags(self) -> dict[str, Any]:
        return {"target": self.kind, "server": self.server, **self.cfg.tags()}


def pair_specs(
    t: Target,
    pairs: list[tuple[dict[str, Any], dict[str, Any], int]],
    workers: int,
    rate: float,
    duration: float,
    tabs: int = 1,
    drain: float = 5.0,
) -> list[dict[str, Any]]:
    n_srv = len(t.servers)
    specs = []
    for w in range(workers):
        mine = [(i, p) for i, p in enumerate(pairs) if i % workers == w]
        if not mine:
            continue
        receivers, sends = [], []
        for i, (sender, recipient, thread) in mine:
            for tab in range(tabs):
                # Receivers on one process, senders POST to the other: every event crosses the layer.
                receivers.append({"user": recipient["id"], "token": recipient["token"], "server": (i + tab) % n_srv})
            sends.append({"to": recipient["id"], "token": sender["token"], "thread": thread, "server": (i + 1) % n_srv})
        specs.append(
            {
                "kind": "deliver",
                "mode": t.kind,
                "http_bases": t.http,
                "ws_bases": t.ws,
                "receivers": receivers,
                "sends": sends,
                "rate": rate / len(range(workers)) if len(pairs) >= workers else rate,
                "duration": duration,
                "drain": drain,
            }
        )
    return specs


def make_pairs(t: Target, n: int) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    users = t.take(2 * n)
    return [(users[2 * i], users[2 * i + 1], t.thread_for(users[2 * i], users[2 * i + 1])) for i in range(n)]


# --- scenarios ----------------------------------------------------------------------------------


def sc_latency(t: Target, a: argparse.Namespace) -> dict[float, dict[str, Any]]:
    pairs = make_pairs(t, a.pairs)
    out = {}
    for rate in a.rates:
        q0 = sum(s.stats()["queries"] for s in t.servers)
        res = merge_deliver(loadgen.run(pair_specs(t, pairs, a.workers, rate, a.duration)))
        q1 = sum(s.stats()["queries"] for s in t.servers)
        # Every SQL statement the servers ran during the run (message POSTs and deliveries), per message.
        sql = round((q1 - q0) / res["posted_ok"], 1) if t.kind != "floor" and res["posted_ok"] else None
        row = {
            "scenario": "latency",
            **t.tags(),
            "rate": rate,
            "pairs": a.pairs,
            "duration_s": a.duration,
            "sql_per_message": sql,
            **res,
        }
        emit(row)
        out[rate] = row
    return out


def sc_throughput(t: Target, a: argparse.Namespace) -> dict[str, Any]:
    pairs = make_pairs(t, a.pairs)
    best: dict[str, Any] | None = None
    steps = []
    for rate in a.steps:
        res = merge_deliver(loadgen.run(pair_specs(t, pairs, a.workers, rate, a.step_duration, drain=3.0)))
        ok = (
            res["lost"] == 0
            and res["post_failed"] == 0
            and not res["errors"]
            and res["p99_ms"] is not None
            and res["p99_ms"] < a.p99_limit_ms
            and res["achieved_msg_s"] >= 0.9 * rate
        )
        steps.append(
            {
                "rate": rate,
                "ok": ok,
                "achieved": res["achieved_msg_s"],
                "p99_ms": res["p99_ms"],
                "lost": res["lost"],
                "post_failed": res["post_failed"],
            }
        )
        print(
            f"    step {rate} msg/s: achieved {res['achieved_msg_s']}/s p99 {res['p99_ms']} ms lost {res['lost']} "
            f"post_failed {res['post_failed']} -> {'ok' if ok else 'FAIL'}",
            flush=True,
        )
        if not ok:
            break
        best = {**res, "rate": rate}
    row = {
        "scenario": "throughput",
        **t.tags(),
        "pairs": a.pairs,
        "step_s": a.step_duration,
        "p99_limit_ms": a.p99_limit_ms,
        "max_sustained_msg_s": best["achieved_msg_s"] if best else 0.0,
        "at_offered": best["rate"] if best else None,
        "p99_ms_at_max": best["p99_ms"] if best else None,
        "steps": steps,
        "errors": {},
    }
    emit(row)
    return row


def sc_overload(t: Target, a: argparse.Namespace) -> list[dict[str, Any]]:
    """Offered well above saturation: by default 2x and 4x the max sustained rate the throughput
    scenario found for this target in this run (else --overload-base), or --overload-rates.
    A refusal (429/503 with Retry-After) is neither a loss nor an error; a 2xx whose event never
    arrived is lost. The client holds no queue of its own (a connection per request in flight)."""
    pairs = make_pairs(t, a.pairs)
    thr = next(
        (
            r
            for r in RESULTS
            if r["scenario"] == "throughput"
            and (r["config"], r["server"], r["target"]) == (t.cfg.name, t.server, t.kind)
        ),
        None,
    )
    if a.overload_rates:
        plan: list[tuple[float | None, float]] = [(None, rate) for rate in a.overload_rates]
        basis = "fixed"
    else:
        sustained = thr["max_sustained_msg_s"] if thr else 0.0
        base = sustained or a.overload_base
        basis = "throughput" if sustained else "overload-base"
        plan = [(f, round(base * f, 1)) for f in a.overload_factors]
    rows = []
    for i, (factor, rate) in enumerate(plan):
        specs = pair_specs(t, pairs, a.workers, rate, a.duration, drain=5.0)
        for spec in specs:
            spec["http_limit"] = 4096
        results = loadgen.run(specs)
        res = merge_deliver(results)
        ok = [r for r in results if "fatal" not in r]
        served_lat = [x for r in ok for x in r["served_post_latencies"]]
        status = {int(k): v for k, v in res["post_status"].items()}
        served = sum(v for k, v in status.items() if 200 <= k < 300)
        refused = sum(r["refused_retry_after"] for r in ok)
        refused_bare = sum(r["refused_no_retry_after"] for r in ok)
        other_status = sum(v for k, v in status.items() if not (200 <= k < 300 or k in (429, 503)))
        post_exc = sum(v for k, v in res["errors"].items() if k.startswith("post:"))
        span = max((r["post_span"] for r in ok), default=0.0) or 1e-9
        row = {
            "scenario": "overload",
            **t.tags(),
            "rate": rate,
            "factor": factor,
            "basis": basis,
            "top": i == len(plan) - 1,
            "pairs": a.pairs,
            "duration_s": a.duration,
            "offered": res["offered"],
            "served": served,
            "refused": refused,
            "refused_no_retry_after": refused_bare,
            "other_errors": other_status + post_exc,
            "goodput_msg_s": round(served / span, 1),
            "delivered_msg_s": round(res["delivered"] / span, 1),
            "post_p50_ms_served": ms(pct(served_lat, 50)),
            "post_p99_ms_served": ms(pct(served_lat, 99)),
            "p50_ms": res["p50_ms"],
            "p99_ms": res["p99_ms"],
            "lost": res["lost"],
            "post_status": res["post_status"],
            "errors": res["errors"],
        }
        emit(row)
        rows.append(row)
    return rows


def sc_fanout(t: Target, a: argparse.Namespace) -> dict[str, Any]:
    sender, recipient = t.take(2)
    thread = t.thread_for(sender, recipient)
    specs = pair_specs(t, [(sender, recipient, thread)], 1, a.fanout_rate, a.duration, tabs=a.tabs)
    results = loadgen.run(specs)
    res = merge_deliver(results)
    row = {
        "scenario": "fanout",
        **t.tags(),
        "tabs": a.tabs,
        "rate": a.fanout_rate,
        **res,
        "every_tab_got_every_event": res["lost"] == 0 and res["sockets"] == a.tabs and res["posted_ok"] > 0,
    }
    emit(row)
    return row


def sc_idle(t: Target, a: argparse.Namespace) -> dict[str, Any]:
    srv = t.servers[0]  # one server process holds them all
    users = t.take(a.idle + 20)
    warm, users = users[:20], users[20:]
    base = {"kind": "idle", "mode": t.kind, "http_bases": t.http, "ws_bases": t.ws, "concurrency": 50}
    # Warm-up: the first sockets pay for lazy imports and caches; the baseline comes after them.
    loadgen.run([{**base, "receivers": [{"user": u["id"], "token": u["token"], "server": 0} for u in warm]}])
    time.sleep(1)
    before = srv.rss_kb()
    cpu0 = srv.cpu_seconds()
    specs = []
    for w in range(a.workers):
        mine = users[w :: a.workers]
        specs.append({**base, "receivers": [{"user": u["id"], "token": u["token"], "server": 0} for u in mine]})
    held: dict[str, Any] = {}

    def on_ready() -> None:
        time.sleep(1)
        held["rss_kb"] = srv.rss_kb()

    results = loadgen.run(specs, hold=a.idle_hold, on_ready=on_ready)
    after_close = srv.rss_kb()
    ok = [r for r in results if "fatal" not in r]
    opened = sum(r["opened"] for r in ok)
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.get("errors", {"fatal: " + r.get("fatal", ""): 1} if "fatal" in r else {}).items():
            errors[k] = errors.get(k, 0) + v
    delta = held.get("rss_kb", before) - before
    row = {
        "scenario": "idle",
        **t.tags(),
        "target_sockets": a.idle,
        "opened": opened,
        "alive_after_hold": sum(r["alive_after_hold"] for r in ok),
        "pings_ok": f"{sum(r['pings_ok'] for r in ok)}/{sum(r['pings_sent'] for r in ok)}",
        "hold_s": a.idle_hold,
        "ramp_s": round(max((r["ramp_s"] for r in ok), default=0), 1),
        "rss_before_mb": round(before / 1024, 1),
        "rss_held_mb": round(held.get("rss_kb", 0) / 1024, 1),
        "rss_after_close_mb": round(after_close / 1024, 1),
        "kb_per_socket": round(delta / opened, 1) if opened else None,
        "server_cpu_s": round(srv.cpu_seconds() - cpu0, 1),
        "errors": errors,
    }
    emit(row)
    return row


def sc_reconnect(t: Target, a: argparse.Namespace) -> dict[str, Any] | None:
    if t.kind != "project":
        print(f"  reconnect: n/a for the {t.kind} app (it keeps no event log to resume from)")
        return None
    users = t.take(a.reconnect)
    n_srv = len(t.servers)
    recv = [{"user": u["id"], "token": u["token"], "server": i % n_srv} for i, u in enumerate(users)]
    base = {"mode": t.kind, "http_bases": t.http, "ws_bases": t.ws}
    hello = loadgen.run([{**base, "kind": "hello", "receivers": recv[w :: a.workers]} for w in range(a.workers)])
    last: dict[int, int] = {}
    errors: dict[str, int] = {}
    for r in hello:
        last.update({int(k): v for k, v in r.get("last", {}).items()})
        for k, v in r.get("errors", {}).items():
            errors["hello " + k] = errors.get("hello " + k, 0) + v
    t0 = time.monotonic()
    dbsetup(t.cfg, "publish", str(a.missed), stdin=json.dumps([u["id"] for u in users]))
    seed_s = time.monotonic() - t0
    for r in recv:
        r["last_event_id"] = last.get(r["user"], 0)
        r["missed"] = a.missed
    before: dict[str, Any] = {}

    def on_ready() -> None:
        before["stats"] = [s.stats() for s in t.servers]

    results = loadgen.run(
        [{**base, "kind": "resume", "receivers": recv[w :: a.workers]} for w in range(a.workers)], on_ready=on_ready
    )
    after = [s.stats() for s in t.servers]
    ok = [r for r in results if "fatal" not in r]
    for r in results:
        for k, v in r.get("errors", {"fatal: " + r.get("fatal", ""): 1} if "fatal" in r else {}).items():
            errors[k] = errors.get(k, 0) + v
    queries = sum(x["queries"] for x in after) - sum(x["queries"] for x in before.get("stats", after))
    log_q = sum(x["event_log_queries"] for x in after) - sum(x["event_log_queries"] for x in before.get("stats", after))
    complete = sum(r["complete"] for r in ok)
    span = (max(r["end"] for r in ok) - min(r["start"] for r in ok)) if ok else None
    row = {
        "scenario": "reconnect",
        **t.tags(),
        "sockets": a.reconnect,
        "missed_each": a.missed,
        "complete": complete,
        "wrong": sum(r["wrong"] for r in ok),
        "catch_up_s": round(span, 2) if span else None,
        "events_replayed": complete * a.missed,
        "seed_s": round(seed_s, 1),
        "sql_per_reconnect": round(queries / a.reconnect, 2),
        "event_log_sql_per_resume": round(log_q / a.reconnect, 2),
        "errors": errors,
    }
    emit(row)
    return row


def project_smoke(t: Target) -> str | None:
    """The project path end to end with one pair; None when it works, else what is missing."""
    try:
        # One registration per server run: the configuration's database outlives a server's run.
        name = f"smoke{os.getpid()}{t.server}"
        status, body = http_json(
            "POST",
            t.http[0] + "/api/v1/auth/register/",
            {"username": name, "email": f"{name}@bench.invalid", "password": "a-Bench-passw0rd"},
        )
        if status != 201 or not isinstance(body, dict) or "token" not in body:
            return f"POST /api/v1/auth/register/ -> {status} {str(body)[:160]}"
        pairs = make_pairs(t, 1)
        res = merge_deliver(loadgen.run(pair_specs(t, pairs, 1, 2, 1.0, drain=5.0)))
        if res["posted_ok"] == 0 or res["delivered"] == 0 or res["errors"]:
            summary = {k: res[k] for k in ("post_status", "errors", "expected", "delivered")}
            return f"one message did not make it end to end: {json.dumps(summary)}"
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return None


RUNNERS = {
    "latency": sc_latency,
    "throughput": sc_throughput,
    "fanout": sc_fanout,
    "idle": sc_idle,
    "reconnect": sc_reconnect,
    "overload": sc_overload,
}


def users_needed(a: argparse.Namespace) -> int:
    return 2 * a.pairs * 3 + 2 + a.idle + 20 + a.reconnect + 2 + 10


def run_config(name: str, a: argparse.Namespace, mach: dict[str, Any]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    cfg = Config(name, a, tmp)
    print(
        f"\n=== configuration: {name} ({cfg.database}, {cfg.layer}, {cfg.processes} server process(es)) ===", flush=True
    )
    try:
        cfg.users = []
        cfg.idiomatic_users = []
        if "idiomatic" in a.targets:
            if cfg.prod:
                pg_recreate(cfg.idiomatic_pg_url)
            dbsetup(cfg, "migrate", target="idiomatic")
            cfg.idiomatic_users = dbsetup(cfg, "users", str(users_needed(a) * len(a.servers)), target="idiomatic")
            print(f"  idiomatic database ready: {len(cfg.idiomatic_users)} users", flush=True)
        if "project" in a.targets:
            if cfg.prod:
                pg_recreate(cfg.pg_url)
            t0 = time.monotonic()
            dbsetup(cfg, "migrate")
            cfg.users = dbsetup(cfg, "users", str(users_needed(a) * len(a.servers)))
            print(
                f"  project database ready: migrated, {len(cfg.users)} users in {time.monotonic() - t0:.1f}s",
                flush=True,
            )
        for server in a.servers:
            for kind in a.targets:
                print(f"\n--- {name} / {server} / {kind} ---", flush=True)
                t = Target(kind, cfg, server, a, users_needed(a))
                if kind == "project":
                    # Each server's run gets users of its own: no events left over from the last one.
                    cfg.users = cfg.users[users_needed(a) :]
                elif kind == "idiomatic":
                    cfg.idiomatic_users = cfg.idiomatic_users[users_needed(a) :]
                try:
                    if kind == "project":
                        missing = project_smoke(t)
                        if missing:
                            print(f"  PROJECT PATH NOT WORKING, scenarios skipped: {missing}", flush=True)
                            emit({"scenario": "smoke", **t.tags(), "ok": False, "missing": missing, "errors": {}})
                            continue
                    for sc in a.scenario:
                        RUNNERS[sc](t, a)
                finally:
                    t.stop()
    finally:
        if cfg.prod:
            if "project" in a.targets:
                pg_drop(cfg.pg_url)
            if "idiomatic" in a.targets:
                pg_drop(cfg.idiomatic_pg_url)
            redis_clean(cfg.redis_url, cfg.prefix)
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"  kept {tmp} (server logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def summary(mach: dict[str, Any]) -> None:
    print("\n=== comparison: project / floor and project / idiomatic app (same run, same machine) ===")
    print(f"machine: {mach['cores']} cores, {mach['memory_gib']} GiB, {mach['cpu']}, Python {mach['python']}")
    combos = sorted({(r["config"], r["server"]) for r in RESULTS})
    hdr = (
        f"{'config':9} {'server':8} {'metric':34} {'floor':>10} {'idiomatic':>10} {'project':>10}"
        f" {'/floor':>8} {'/idiom.':>8}"
    )
    print(hdr)
    print("-" * len(hdr))

    def get(cfg: str, srv: str, tgt: str, sc: str, **match: Any) -> dict[str, Any] | None:
        for r in RESULTS:
            if (r["config"], r["server"], r["target"], r["scenario"]) == (cfg, srv, tgt, sc) and all(
                r.get(k) == v for k, v in match.items()
            ):
                return r
        return None

    def ratio(pv: Any, ref: Any) -> str:
        num = isinstance(pv, (int, float)) and isinstance(ref, (int, float)) and ref
        return f"{pv / ref:.2f}x" if num else ""

    rows: list[tuple[str, str, str, dict[str, Any]]] = [
        ("max sustained msg/s (zero loss)", "throughput", "max_sustained_msg_s", {}),
        ("p99 ms @ 50 msg/s", "latency", "p99_ms", {"rate": 50}),
        ("p50 ms @ 50 msg/s", "latency", "p50_ms", {"rate": 50}),
        ("lost @ 50 msg/s", "latency", "lost", {"rate": 50}),
        ("SQL per message @ 50 msg/s", "latency", "sql_per_message", {"rate": 50}),
        ("fan-out lost (5 tabs)", "fanout", "lost", {}),
        ("idle sockets opened", "idle", "opened", {}),
        ("idle KB per socket", "idle", "kb_per_socket", {}),
        ("reconnect catch-up s", "reconnect", "catch_up_s", {}),
        ("SQL per reconnect", "reconnect", "sql_per_reconnect", {}),
        ("overload goodput msg/s", "overload", "goodput_msg_s", {"top": True}),
        ("overload p99 ms (served)", "overload", "post_p99_ms_served", {"top": True}),
        ("overload lost", "overload", "lost", {"top": True}),
    ]
    for cfg, srv in combos:
        lines = []
        for label, sc, key, match in rows:
            vals = {}
            for tgt in TARGETS:
                r = get(cfg, srv, tgt, sc, **match)
                vals[tgt] = r.get(key) if r else None
            cells = " ".join(f"{str(vals[x] if vals[x] is not None else '-'):>10}" for x in TARGETS)
            pv = vals["project"]
            lines.append(
                f"{cfg:9} {srv:8} {label:34} {cells} {ratio(pv, vals['floor']):>8} {ratio(pv, vals['idiomatic']):>8}"
            )
        print("\n".join(lines))
    for r in RESULTS:
        if r["scenario"] == "smoke":
            print(f"project path missing under {r['config']}/{r['server']}: {r['missing']}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny loads: a smoke test of the bench itself")
    p.add_argument("--full", action="store_true", help="the final run: 10,000 idle sockets, longer steps")
    p.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default all")
    p.add_argument("--config", choices=["embedded", "prod", "both"], default="both")
    p.add_argument(
        "--server",
        choices=["daphne", "uvicorn", "granian", "both", "all"],
        default="both",
        help="both: daphne and uvicorn",
    )
    p.add_argument(
        "--target",
        choices=[*TARGETS, "all"],
        action="append",
        help="repeatable; default all three (the project against the floor and the idiomatic app)",
    )
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--rates", type=float, nargs="+", default=[25, 50, 100])
    p.add_argument("--duration", type=float, default=6.0)
    p.add_argument("--steps", type=float, nargs="+", default=[25, 50, 75, 100, 150, 200, 300, 400, 600, 800])
    p.add_argument("--step-duration", type=float, default=4.0)
    p.add_argument("--p99-limit-ms", type=float, default=500.0, help="a step above this p99 counts as a blow-up")
    p.add_argument("--tabs", type=int, default=5)
    p.add_argument("--fanout-rate", type=float, default=20)
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--idle-hold", type=float, default=5.0)
    p.add_argument("--reconnect", type=int, default=1000)
    p.add_argument("--missed", type=int, default=100)
    p.add_argument("--workers", type=int, default=2, help="load-generator processes")
    p.add_argument(
        "--overload-factors",
        type=float,
        nargs="+",
        default=[2.0, 4.0],
        help="overload: offered = these x the max sustained rate the throughput scenario found",
    )
    p.add_argument(
        "--overload-base",
        type=float,
        default=100.0,
        help="overload: the msg/s the factors multiply when throughput did not run in this run",
    )
    p.add_argument("--overload-rates", type=float, nargs="+", help="overload: fixed offered rates (msg/s) instead")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
        help="a throwaway database: dropped and re-created by the bench",
    )
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="sample the servers with py-spy; collapsed stacks go to DIR "
        "(rank them: python -m bench.profile_summary DIR/*.txt)",
    )
    p.add_argument("--profile-target", choices=[*TARGETS, "all"], default="project")
    p.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL (CPU, not waits)")
    p.add_argument("--out", default=str(ROOT / "var" / "bench"), help="where the JSON lines are also written")
    a = p.parse_args()
    if a.quick:
        a.pairs, a.rates, a.duration, a.steps, a.step_duration = 4, [10, 25], 2.0, [25, 50], 2.0
        a.idle, a.idle_hold, a.reconnect, a.missed, a.fanout_rate = 50, 1.0, 50, 10, 10
    if a.full:
        a.idle, a.duration, a.step_duration, a.idle_hold = 10000, 10.0, 6.0, 10.0
    a.scenario = a.scenario or SCENARIOS
    a.servers = {"both": ["daphne", "uvicorn"], "all": ["daphne", "uvicorn", "granian"]}.get(a.server, [a.server])
    a.targets = [x for x in TARGETS if not a.target or "all" in a.target or x in a.target]
    if a.profile_gil:
        os.environ["BENCH_PROFILE_GIL"] = "1"
    a.profile_targets = TARGETS if a.profile_target == "all" else [a.profile_target]
    configs = ["embedded", "prod"] if a.config == "both" else [a.config]
    mach = machine()
    print(f"machine: {json.dumps(mach)}")
    for name in configs:
        if name == "prod":
            needs_pg = "project" in a.targets or "idiomatic" in a.targets
            why = (needs_pg and pg_available(a.pg_url)) or redis_available(a.redis_url)
            if why:
                print(
                    f"\n=== configuration: prod SKIPPED: {why}. Set BENCH_DATABASE_URL / BENCH_REDIS_URL "
                    f"(default {DEFAULT_PG}, {DEFAULT_REDIS}) to run it. ==="
                )
                continue
        run_config(name, a, mach)
    for r in RESULTS:
        r["machine"] = mach
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"results-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in RESULTS))
    summary(mach)
    print(f"\nJSON lines written to {path}")


if __name__ == "__main__":
    main()
