"""Starting and stopping the servers under test (daphne, uvicorn or granian), one subprocess per process.

granian runs the app in a worker process under its own supervisor: CPU, memory and the profiler
are taken over the supervisor and its children (`pids`)."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APPS = {
    "project": "bench.asgi_project:application",
    "floor": "bench.asgi_floor:application",
    "idiomatic": "bench.asgi_idiomatic:application",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise_nofile() -> None:
    # 10,000 sockets need more descriptors than the usual default soft limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def command(server: str, app: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            APPS[app],
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
        ]
    if server == "granian":
        # asginl: ASGI without the lifespan protocol, which Channels' router does not speak.
        return [
            str(BIN / "granian"),
            "--interface",
            "asginl",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
            APPS[app],
        ]
    return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0", APPS[app]]


class Server:
    def __init__(
        self, server: str, app: str, env: dict[str, str], log_dir: Path, profile_dir: Path | None = None
    ) -> None:
        self.port = free_port()
        self.app, self.server = app, server
        self.profile_dir = profile_dir
        self.profiler: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{app}-{server}-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            command(server, app, self.port),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_nofile,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); log: {self.log_path}\n{self.tail()}")
            try:
                self.stats()
                self._start_profiler()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s; log: {self.log_path}")

    def _start_profiler(self) -> None:
        """`--profile DIR`: py-spy samples this server (attached, non-blocking: the server is not
        paused) until `stop`, and writes collapsed stacks (`--format raw`) that
        `python -m bench.profile_summary` ranks."""
        if self.profile_dir is None or self.profiler is not None:
            return
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        self.profile_path = self.profile_dir / f"{self.app}-{self.server}-{self.proc.pid}.txt"
        self.profiler = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "--pid",
                str(self.proc.pid),
                *(["--subprocesses"] if self.server == "granian" else []),
                "--rate",
                "200",
                "--nonblocking",
                "--threads",
                "--format",
                "raw",
                "--output",
                str(self.profile_path),
                *(["--gil"] if os.environ.get("BENCH_PROFILE_GIL") else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base + "/__bench__/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def pids(self) -> list[int]:
        """The server's process and its descendants (granian's worker)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/children") as fh:
                        todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
        return found

    def rss_kb(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    total += next((int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")), 0)
            except OSError:
                pass
        return total

    def cpu_seconds(self) -> float:
        ticks = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return ticks / os.sysconf("SC_CLK_TCK")

    def tail(self, n: int = 20) -> str:
        self.log.flush()
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.profiler is not None and self.profiler.poll() is None:
            self.profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                self.profiler.wait(30)
            except subprocess.TimeoutExpired:
                self.profiler.kill()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
