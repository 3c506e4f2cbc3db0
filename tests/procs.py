"""Real processes a test owns: its own redis-server, uvicorn servers, a Celery worker, and a TCP
proxy it can close to simulate a dependency outage (DEVELOPERS.md: faults are tested with
processes the test owns; the machine's shared PostgreSQL and Redis are never stopped).

Every helper here starts something on a free loopback port, waits until it answers, and stops it
when the `with` block (or the test) ends."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


# Under pytest-xdist each worker takes its ports from a range of its own, below the kernel's
# ephemeral range (32768-60999, where `bind(0)` and outgoing connections get theirs): a port one
# worker found free and is about to hand to a server cannot be taken by another worker meanwhile.
WORKER_PORTS_START, WORKER_PORTS_SPAN = 10_000, 1_400  # 16 workers: 10000-32399
_next_port: dict[int, int] = {}


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    n = int(worker[2:]) % 16
    low = WORKER_PORTS_START + n * WORKER_PORTS_SPAN
    # Walk the range from a per-process start (pid), never handing out the same port twice in a row.
    offset = _next_port.get(n, os.getpid() % WORKER_PORTS_SPAN)
    for i in range(WORKER_PORTS_SPAN):
        port = low + (offset + i) % WORKER_PORTS_SPAN
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _next_port[n] = (offset + i + 1) % WORKER_PORTS_SPAN
        return port
    raise RuntimeError(f"no free port in {low}-{low + WORKER_PORTS_SPAN - 1} (worker {worker})")


def wait_for(predicate, timeout: float = 15.0, what: str = "condition", interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def database_url_of(settings_dict: dict) -> str:
    """A DATABASE_URL for the database a test runs in (pytest-django's test database), so that
    server and worker processes share it."""
    db = settings_dict
    return "postgres://{}{}@{}:{}/{}".format(
        quote(db["USER"] or ""),
        ":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "",
        db["HOST"] or "127.0.0.1",
        db["PORT"] or 5432,
        db["NAME"],
    )


# --- Redis ----------------------------------------------------------------------------------------
class RedisServer:
    """A redis-server of the test's own, on its own port, that the test may stop and restart.
    Nothing is kept on disk, like the machine's (a restart loses every key)."""

    def __init__(self, tmp: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.log = tmp / f"redis-{self.port}.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, 10, f"redis-server on {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it at once (SIGKILL: the harshest outage; nothing is saved anyway)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        wait_for(lambda: not self.ping(), 5, "redis-server to stop")

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- TCP proxy ------------------------------------------------------------------------------------
class TcpProxy:
    """A loopback TCP proxy in front of a real server (PostgreSQL, Redis). `close()` cuts every
    connection through it and refuses new ones, as a server that went away would; `open()` lets
    connections through again. The server behind it is never touched."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.flowing = threading.Event()  # cleared by hang(): connections stay open, no byte passes
        self.flowing.set()

    def open(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(256)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def close(self) -> None:
        """Refuse new connections and reset the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            # shutdown first: a plain close() of a socket another thread is blocked reading does not
            # end the TCP connection on Linux until that read returns, so sessions outlived the proxy.
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                conn.close()
            except OSError:
                pass

    def hang(self) -> None:
        """Keep accepting and keep every connection open, but pass no byte either way until
        `unhang()`: a server that stopped answering."""
        self.flowing.clear()

    def unhang(self) -> None:
        self.flowing.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)

    def __enter__(self) -> TcpProxy:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


# --- the service's own processes ----------------------------------------------------------------
def service_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "INFO",
        **extra,
    }
    for name in ("TEST_DATABASE_NAME", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env


def embedded_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run` on embedded defaults (SQLite file in `tmp`, in-memory layer,
    eager Celery), for a server process of the test's own. Run `migrate_embedded` before."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TEST_DATABASE_NAME", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SQLITE_PATH": str(tmp / "db.sqlite3"),
            "COLLECTIVE_VAR_DIR": str(tmp / "var"),
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def migrate_embedded(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def start_uvicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """`config.asgi:application` under uvicorn, as `make run` serves it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws-max-size",
            "65536",
            "--no-proxy-headers",
            "--lifespan",
            "off",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def start_daphne(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The same application under daphne (`make run SERVER=daphne`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_http_ready(port: int, proc: subprocess.Popen, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server on {port} exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server on {port} not ready: {log.read_text()[-3000:]}")


@contextmanager
def uvicorn_servers(count: int, env: dict[str, str], tmp: Path, servers: tuple[str, ...] = ()) -> Iterator[list[int]]:
    """`count` server processes on free ports, ready; yields the ports. `servers` names the server
    of each (`uvicorn`, the default, or `daphne`). Logs: `tmp/uvicorn-<port>.log`."""
    ports = [free_port() for _ in range(count)]
    logs = [tmp / f"uvicorn-{p}.log" for p in ports]
    kinds = list(servers) + ["uvicorn"] * (count - len(servers))
    start = {"uvicorn": start_uvicorn, "daphne": start_daphne}
    procs = [start[kind](p, env, log) for kind, p, log in zip(kinds, ports, logs, strict=True)]
    try:
        for port, proc, log in zip(ports, procs, logs, strict=True):
            wait_http_ready(port, proc, log)
        yield ports
    finally:
        for proc in procs:
            stop(proc)


def start_celery(env: dict[str, str], log: Path, *, beat: bool = False) -> subprocess.Popen:
    """A real Celery worker (solo pool) as `make worker` runs it; with `beat`, beat embedded (-B)."""
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-c", "1", "-l", "info"]
    if beat:
        args += ["-B", "-s", str(log.with_suffix(".beat-schedule"))]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: proc.poll() is not None or "ready" in log.read_text(), 60, "the Celery worker to be ready")
    assert proc.poll() is None, log.read_text()[-3000:]
    return proc
