"""Markdown tables from a run's JSON lines: `python -m bench.report var/bench/results-<time>.jsonl`.

One table per configuration and server: each metric for the floor and the project, the ratio,
and the issue's target where it has one (targets are defined on the prod configuration)."""

from __future__ import annotations

import json
import sys
from typing import Any


def load(path: str) -> list[dict[str, Any]]:
    rows = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("JSON "):
                line = line[5:]
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def pick(rows: list[dict[str, Any]], cfg: str, srv: str, tgt: str, sc: str, **match: Any) -> dict[str, Any] | None:
    for r in rows:
        if (r.get("config"), r.get("server"), r.get("target"), r.get("scenario")) == (cfg, srv, tgt, sc) and all(
            r.get(k) == v for k, v in match.items()
        ):
            return r
    return None


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


METRICS = [
    ("max sustained msg/s (zero loss, p99 < 500 ms)", "throughput", "max_sustained_msg_s", {}, "≥ 1.0×", "hi"),
    ("p99 ms @ 50 msg/s offered", "latency", "p99_ms", {"rate": 50}, "≤ 1.5×", "lo"),
    ("p50 ms @ 50 msg/s offered", "latency", "p50_ms", {"rate": 50}, "", ""),
    ("p50 ms @ 25 msg/s offered", "latency", "p50_ms", {"rate": 25}, "", ""),
    ("p99 ms @ 100 msg/s offered", "latency", "p99_ms", {"rate": 100}, "", ""),
    ("achieved msg/s @ 100 offered", "latency", "achieved_msg_s", {"rate": 100}, "", ""),
    ("lost (latency runs, sum)", "latency", "lost", None, "0", ""),
    ("SQL statements per message @ 50", "latency", "sql_per_message", {"rate": 50}, "", ""),
    ("fan-out 5 tabs: every tab got every event", "fanout", "every_tab_got_every_event", {}, "yes", ""),
    ("idle sockets held on one process", "idle", "opened", {}, "≥ 10,000", ""),
    ("idle KB per socket", "idle", "kb_per_socket", {}, "≤ 100 KB", ""),
    ("idle ramp s (ticket + handshake + hello)", "idle", "ramp_s", {}, "", ""),
    ("reconnect: complete of 1,000 × 100 events", "reconnect", "complete", {}, "1,000", ""),
    ("reconnect: catch-up s", "reconnect", "catch_up_s", {}, "≤ 10 s", ""),
    ("reconnect: SQL per resume (of which event log)", "reconnect", "sql_per_reconnect", {}, "bounded", ""),
]


def table(rows: list[dict[str, Any]], cfg: str, srv: str) -> str:
    out = [
        f"**{cfg} / {srv}**",
        "",
        "| metric | floor | project | project/floor | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, sc, key, match, target, _ in METRICS:
        if match is None:
            f = sum(
                r["lost"]
                for r in rows
                if (r.get("config"), r.get("server"), r.get("target"), r.get("scenario")) == (cfg, srv, "floor", sc)
            )
            p = sum(
                r["lost"]
                for r in rows
                if (r.get("config"), r.get("server"), r.get("target"), r.get("scenario")) == (cfg, srv, "project", sc)
            )
        else:
            fr, pr = pick(rows, cfg, srv, "floor", sc, **match), pick(rows, cfg, srv, "project", sc, **match)
            f, p = (fr or {}).get(key), (pr or {}).get(key)
            if key == "sql_per_reconnect" and pr:
                p = f"{pr['sql_per_reconnect']} ({pr['event_log_sql_per_resume']})"
        ratio = (
            f"{p / f:.2f}×"
            if isinstance(f, (int, float)) and isinstance(p, (int, float)) and not isinstance(f, bool) and f
            else ""
        )
        out.append(f"| {label} | {fmt(f)} | {fmt(p)} | {ratio} | {target} |")
    return "\n".join(out)


def main() -> None:
    rows = [r for path in sys.argv[1:] for r in load(path)]
    combos = sorted({(r["config"], r["server"]) for r in rows if "config" in r})
    print("\n\n".join(table(rows, c, s) for c, s in combos))


if __name__ == "__main__":
    main()
