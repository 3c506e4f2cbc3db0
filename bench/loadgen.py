"""The load generator: runs in its own processes so its cost is not counted against the server.

Clients are the lightest at hand: `websockets` (no compression, no keep-alive pings) for sockets,
`aiohttp` keep-alive connections for POSTs, on uvloop. Latency is measured from the start of the
POST to the arrival of the frame: the sender writes its `time.monotonic()` (system-wide on Linux,
so comparable across processes) into the message body and the receiver subtracts it on arrival.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import resource
import time
from collections import Counter
from typing import Any

import aiohttp
import uvloop
from websockets.asyncio.client import connect as ws_connect

MARK = "bench|"


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Api:
    """POSTs against one or more servers over keep-alive connections."""

    def __init__(self, bases: list[str], limit: int = 64) -> None:
        self.bases = bases
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, force_close=False),
            timeout=aiohttp.ClientTimeout(total=30),
            json_serialize=json.dumps,
        )

    async def post(self, server: int, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Token {token}"} if token else {}
        async with self.session.post(self.bases[server] + path, json=body, headers=headers) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text[:200]

    async def post_h(
        self, server: int, path: str, body: dict[str, Any], token: str | None = None
    ) -> tuple[int, Any, str | None]:
        """`post`, and the response's Retry-After header (None when absent)."""
        headers = {"Authorization": f"Token {token}"} if token else {}
        async with self.session.post(self.bases[server] + path, json=body, headers=headers) as resp:
            text = await resp.text()
            retry_after = resp.headers.get("Retry-After")
            try:
                return resp.status, json.loads(text) if text else None, retry_after
            except ValueError:
                return resp.status, text[:200], retry_after

    async def close(self) -> None:
        await self.session.close()


async def open_socket(api: Api, spec: dict[str, Any], ws_bases: list[str], mode: str) -> tuple[Any, dict[str, Any]]:
    """Open one socket for a user and read its `hello`. Project sockets redeem a fresh ticket."""
    server = spec["server"]
    if mode == "floor":
        url = f"{ws_bases[server]}/ws/?user={spec['user']}"
    elif mode == "idiomatic":
        # The tutorial's consumer: a DRF token in the query string, and no first frame.
        url = f"{ws_bases[server]}/ws/?token={spec['token']}"
        ws = await ws_connect(
            url, compression=None, ping_interval=None, max_size=2**22, open_timeout=60, close_timeout=2
        )
        return ws, {}
    else:
        status, body = await api.post(server, "/api/v1/realtime/tickets/", {}, spec["token"])
        if status not in (200, 201) or not isinstance(body, dict) or "ticket" not in body:
            raise RuntimeError(f"ticket: HTTP {status} {str(body)[:120]}")
        url = f"{ws_bases[server]}/ws/?ticket={body['ticket']}"
    ws = await ws_connect(url, compression=None, ping_interval=None, max_size=2**22, open_timeout=60, close_timeout=2)
    hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if hello.get("type") != "hello":
        await ws.close()
        raise RuntimeError(f"first frame is {hello.get('type')!r}, not hello")
    return ws, hello


def _find_body(frame: dict[str, Any]) -> str | None:
    """The message body of a message frame: the project's and the floor's envelope
    (`{"type": "message.created", "data": {"message": ...}}`), or the idiomatic app's
    (`{"type": "message", "message": ...}`)."""
    if frame.get("type") == "message":
        msg = frame.get("message")
        return msg["body"] if isinstance(msg, dict) and isinstance(msg.get("body"), str) else None
    if frame.get("type") != "message.created":
        return None
    data = frame.get("data") or {}
    msg = data.get("message") if isinstance(data, dict) else None
    if isinstance(msg, dict) and isinstance(msg.get("body"), str):
        return msg["body"]
    return None


# --- scenario: delivery at a fixed offered rate (latency, throughput, fan-out) -----------------


async def _deliver(spec: dict[str, Any], ready: Any, go: Any) -> dict[str, Any]:
    mode = spec["mode"]
    api = Api(spec["http_bases"], limit=spec.get("http_limit", 64))
    # client_id must be unique across runs: the project answers a repeated one with the old message.
    wid = f"{os.urandom(4).hex()}.{spec['worker']}"
    sockets: list[tuple[Any, int]] = []  # (ws, user id)
    errors: Counter[str] = Counter()
    for r in spec["receivers"]:
        for _ in range(r.get("tabs", 1)):
            try:
                ws, _hello = await open_socket(api, r, spec["ws_bases"], mode)
                sockets.append((ws, r["user"]))
            except Exception as exc:  # reported, not hidden
                errors[f"socket: {str(exc)[:80]}"] += 1
    tabs_per_user = Counter(u for _, u in sockets)
    received: dict[int, set[str]] = {i: set() for i in range(len(sockets))}
    duplicates = 0
    latencies: list[float] = []
    other_frames: Counter[str] = Counter()

    async def reader(idx: int, ws: Any) -> None:
        nonlocal duplicates
        try:
            async for raw in ws:
                now = time.monotonic()
                frame = json.loads(raw)
                body = _find_body(frame)
                if not body or not body.startswith(MARK):
                    other_frames[str(frame.get("type"))] += 1
                    continue
                _, key, t0 = body.split("|")
                if key in received[idx]:
                    duplicates += 1
                    continue
                received[idx].add(key)
                latencies.append(now - float(t0))
        except Exception as exc:
            errors[f"reader: {type(exc).__name__}"] += 1

    readers = [asyncio.create_task(reader(i, ws)) for i, (ws, _) in enumerate(sockets)]
    ready.set()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)

    sends = spec["sends"]
    rate = spec["rate"]
    duration = spec["duration"]
    total = max(1, int(rate * duration))
    post_status: Counter[int] = Counter()
    post_latency: list[float] = []
    served_latency: list[float] = []  # 2xx only
    refused = [0, 0]  # 429/503 with a Retry-After of >= 1 s, without one
    expected = 0
    ok_keys: list[tuple[int, str]] = []  # (recipient user, key)
    inflight: set[asyncio.Task[None]] = set()

    async def one(seq: int) -> None:
        nonlocal expected
        s = sends[seq % len(sends)]
        key = f"{wid}.{seq}"
        t0 = time.monotonic()
        body = f"{MARK}{key}|{t0:.6f}"
        try:
            if mode == "floor":
                status, _, retry_after = await api.post_h(
                    s["server"], "/send", {"to": s["to"], "body": body, "sent_at": t0}
                )
            elif mode == "idiomatic":
                status, _, retry_after = await api.post_h(
                    s["server"], "/api/messages/", {"recipient": s["to"], "body": body}, s["token"]
                )
            else:
                status, _, retry_after = await api.post_h(
                    s["server"],
                    f"/api/v1/threads/{s['thread']}/messages/",
                    {"body": body, "client_id": key},
                    s["token"],
                )
        except Exception as exc:
            errors[f"post: {type(exc).__name__}"] += 1
            return
        elapsed = time.monotonic() - t0
        post_latency.append(elapsed)
        post_status[status] += 1
        if 200 <= status < 300:
            served_latency.append(elapsed)
        elif status in (429, 503):
            # A refusal (overload scenario): not a loss, if it says when to retry.
            if retry_after and retry_after.strip().isdigit() and int(retry_after) >= 1:
                refused[0] += 1
            else:
                refused[1] += 1
        if status == 201:  # a 200 would be an idempotent replay: no new event
            ok_keys.append((s["to"], key))
            expected += tabs_per_user.get(s["to"], 0)

    start = time.monotonic()
    for seq in range(total):
        target = start + seq / rate
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(seq))
        inflight.add(task)
        task.add_done_callback(inflight.discard)
    send_done = time.monotonic()
    if inflight:
        await asyncio.wait(inflight, timeout=60)
    all_posted = time.monotonic()

    def delivered() -> int:
        return sum(len(v) for v in received.values())

    deadline = time.monotonic() + spec.get("drain", 5.0)
    while delivered() < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    end = time.monotonic()
    for ws, _ in sockets:
        await ws.close()
    for t in readers:
        t.cancel()
    await api.close()
    return {
        "worker": spec["worker"],
        "sockets": len(sockets),
        "offered": total,
        "posted_ok": len(ok_keys),
        "post_status": dict(post_status),
        "expected": expected,
        "delivered": delivered(),
        "duplicates": duplicates,
        "latencies": latencies,
        "post_latencies": post_latency,
        "served_post_latencies": served_latency,
        "refused_retry_after": refused[0],
        "refused_no_retry_after": refused[1],
        "send_span": send_done - start,
        "post_span": all_posted - start,
        "total_span": end - start,
        "other_frames": dict(other_frames),
        "errors": dict(errors),
    }


# --- scenario: idle capacity ------------------------------------------------------------------


async def _idle(spec: dict[str, Any], ready: Any, go: Any) -> dict[str, Any]:
    api = Api(spec["http_bases"], limit=spec.get("concurrency", 100))
    sem = asyncio.Semaphore(spec.get("concurrency", 100))
    sockets: list[Any] = []
    errors: Counter[str] = Counter()

    async def one(r: dict[str, Any]) -> None:
        async with sem:
            try:
                ws, _ = await open_socket(api, r, spec["ws_bases"], spec["mode"])
                sockets.append(ws)
            except Exception as exc:
                errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(r) for r in spec["receivers"]))
    ramp = time.monotonic() - t0
    ready.set()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    # Still open after the hold, and still served: a ping on a sample must get its pong.
    alive = sum(1 for ws in sockets if ws.state.name == "OPEN")
    pongs = 0
    for ws in sockets[:: max(1, len(sockets) // 20)]:
        try:
            if spec["mode"] == "idiomatic":  # no application-level ping: the protocol's ping/pong
                await asyncio.wait_for(await ws.ping(), 10)
                pongs += 1
                continue
            await ws.send(json.dumps({"type": "ping"}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame.get("type") == "pong":
                    pongs += 1
                    break
        except Exception as exc:
            errors[f"ping: {type(exc).__name__}"] += 1
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await api.close()
    return {
        "opened": len(sockets),
        "alive_after_hold": alive,
        "pings_ok": pongs,
        "pings_sent": len(sockets[:: max(1, len(sockets) // 20)]) if sockets else 0,
        "ramp_s": ramp,
        "errors": dict(errors),
    }


# --- scenario: mass reconnect -------------------------------------------------------------------


async def _hello_only(spec: dict[str, Any], ready: Any, go: Any) -> dict[str, Any]:
    """Phase 1: each user connects once to learn `last_event_id`, then goes away."""
    api = Api(spec["http_bases"])
    sem = asyncio.Semaphore(100)
    last: dict[int, int] = {}
    errors: Counter[str] = Counter()

    async def one(r: dict[str, Any]) -> None:
        async with sem:
            try:
                ws, hello = await open_socket(api, r, spec["ws_bases"], spec["mode"])
                last[r["user"]] = int(hello["data"].get("last_event_id") or 0)
                await ws.close()
            except Exception as exc:
                errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1

    await asyncio.gather(*(one(r) for r in spec["receivers"]))
    await api.close()
    ready.set()
    return {"last": last, "errors": dict(errors)}


async def _resume(spec: dict[str, Any], ready: Any, go: Any) -> dict[str, Any]:
    """Phase 2: every socket reconnects at once and resumes; timed until the last `resumed`."""
    api = Api(spec["http_bases"], limit=100)
    errors: Counter[str] = Counter()
    tickets: dict[int, str] = {}
    sem = asyncio.Semaphore(100)

    async def ticket(r: dict[str, Any]) -> None:
        async with sem:
            status, body = await api.post(r["server"], "/api/v1/realtime/tickets/", {}, r["token"])
            if isinstance(body, dict) and "ticket" in body:
                tickets[r["user"]] = body["ticket"]
            else:
                errors[f"ticket HTTP {status}"] += 1

    await asyncio.gather(*(ticket(r) for r in spec["receivers"]))
    ready.set()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    complete = 0
    wrong = 0
    ends: list[float] = []
    start = time.monotonic()

    async def one(r: dict[str, Any]) -> None:
        nonlocal complete, wrong
        user = r["user"]
        if user not in tickets:
            return
        since = r["last_event_id"]
        try:
            ws = await ws_connect(
                f"{spec['ws_bases'][r['server']]}/ws/?ticket={tickets[user]}",
                compression=None,
                ping_interval=None,
                max_size=2**22,
                open_timeout=60,
            )
            ids: list[int] = []
            async with ws:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if hello.get("type") != "hello":
                    raise RuntimeError("no hello")
                await ws.send(json.dumps({"type": "resume", "last_event_id": since}))
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if frame.get("type") == "resumed":
                        break
                    if frame.get("id") is not None:
                        ids.append(int(frame["id"]))
                ends.append(time.monotonic())
            if ids == list(range(since + 1, since + 1 + r["missed"])):
                complete += 1
            else:
                wrong += 1
                if wrong <= 3:
                    errors[
                        f"user {user}: got {len(ids)} ids, first {ids[:2]}, expected {r['missed']} from {since + 1}"
                    ] += 1
        except Exception as exc:
            errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1

    await asyncio.gather(*(one(r) for r in spec["receivers"]))
    await api.close()
    return {
        "start": start,
        "end": max(ends) if ends else time.monotonic(),
        "complete": complete,
        "wrong": wrong,
        "errors": dict(errors),
    }


KINDS = {"deliver": _deliver, "idle": _idle, "hello": _hello_only, "resume": _resume}


def _worker(spec: dict[str, Any], out: Any, ready: Any, go: Any) -> None:
    _raise_nofile()
    try:
        result = uvloop.run(KINDS[spec["kind"]](spec, ready, go))
    except Exception as exc:  # the orchestrator reports it
        result = {"fatal": f"{type(exc).__name__}: {exc}"}
        ready.set()
    out.put((spec["worker"], result))


class Workers:
    """W load-generator processes that start together: each signals ready, then all are released."""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        ctx = mp.get_context("spawn")
        self.out = ctx.Queue()
        self.go = ctx.Event()
        self.readies = [ctx.Event() for _ in specs]
        self.procs = []
        for i, spec in enumerate(specs):
            spec["worker"] = i
            self.procs.append(ctx.Process(target=_worker, args=(spec, self.out, self.readies[i], self.go), daemon=True))
        for p in self.procs:
            p.start()

    def wait_ready(self, timeout: float = 600) -> bool:
        deadline = time.monotonic() + timeout
        for ev in self.readies:
            if not ev.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def release(self) -> None:
        self.go.set()

    def results(self, timeout: float = 900) -> list[dict[str, Any]]:
        got: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while len(got) < len(self.procs) and time.monotonic() < deadline:
            try:
                wid, res = self.out.get(timeout=1)
                got[wid] = res
            except Exception:
                if all(not p.is_alive() for p in self.procs) and self.out.empty():
                    break
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        return [got.get(i, {"fatal": "worker gave no result"}) for i in range(len(self.procs))]


def run(specs: list[dict[str, Any]], hold: float = 0.0, on_ready: Any = None) -> list[dict[str, Any]]:
    """Start the workers, wait until all are ready, call `on_ready()`, hold, release, collect."""
    w = Workers(specs)
    w.wait_ready()
    extra = on_ready() if on_ready else None
    if hold:
        time.sleep(hold)
    w.release()
    res = w.results()
    if extra is not None:
        for r in res:
            r.setdefault("on_ready", extra)
    return res
