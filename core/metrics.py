"""Every Prometheus metric of the service, defined once (docs/operations.md, "Metrics").

Two modes, chosen by the environment when this module is first imported:

- `PROMETHEUS_MULTIPROC_DIR` unset (embedded `make run`, one process): prometheus-client's default
  registry, kept in this process's memory; `/metrics` renders it.
- `PROMETHEUS_MULTIPROC_DIR` set (production: several server processes, a Celery worker and beat
  sharing one directory): every process writes its values to memory-mapped files in that
  directory, and a scrape of any one server reads all of them (`MultiProcessCollector`), so one
  `/metrics` covers every process. Counters and histograms of a process that exited stay counted;
  the gauges of open sockets are `livesum` (only live processes, summed). The directory must be
  emptied when the deployment starts (before any process of it runs), and must not be shared by two
  deployments: the Makefile's `run`/`worker` targets and docker-compose do that.

Labels are bounded: a route template, never a raw path; an event or frame type from the catalogue;
a task name; a reason from a fixed list. Updating a metric is an in-memory write (a lock, an add):
no I/O on the hot path.

Values that are the whole service's, not a process's (users online), are computed at scrape time
by collectors that apps register with `register_scrape_collector`.
"""

from __future__ import annotations

import glob
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# No `_created` series beside every counter and histogram: a third of the scrape, unused here.
disable_created_metrics()

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or ""
MULTIPROCESS = bool(MULTIPROC_DIR)
_HOST = socket.gethostname().replace("_", "-") or "host"


def process_identity() -> str:
    """The name of this process's files in the directory: host and pid. The containers of one
    deployment (web, worker, beat) each number their processes from 1, so a pid alone would make
    two of them write one file when they share the directory through a volume."""
    return f"{_HOST}_{os.getpid()}"


if MULTIPROCESS:
    from prometheus_client import values

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", MULTIPROC_DIR)
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identity)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _own_host_pids(pattern: str) -> dict[int, list[str]]:
    """This host's processes that have files matching `pattern` in the directory: {pid: paths}."""
    prefix = f"_{_HOST}_"
    found: dict[int, list[str]] = {}
    for path in glob.glob(os.path.join(MULTIPROC_DIR, pattern)):
        stem = os.path.basename(path)[: -len(".db")]
        head, _, tail = stem.rpartition("_")
        if tail.isdigit() and (head + "_").endswith(prefix):
            found.setdefault(int(tail), []).append(path)
    return found


def _start_clean() -> None:
    """At process start, empty this host's part of the directory: the files of every process of
    this host that is gone (a previous deployment, a killed worker), counters included (Prometheus
    takes the drop as a counter reset). A process of this host reusing a dead one's identity (a
    restarted container's pid 1) so starts from zero, not from the open sockets of the dead one.
    Other hosts' (containers') files are theirs: each prunes its own when it starts."""
    for pid, paths in _own_host_pids("*.db").items():
        if pid == os.getpid() or not _pid_alive(pid):
            for path in paths:
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass


if MULTIPROCESS:
    _start_clean()

# Seconds. Request latency: a message POST is ~10-30 ms at 50 msg/s (docs/benchmarks.md).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds from a task's publish to its start: usually milliseconds, minutes when the worker lags.
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)
# Events sent by one resume's replay (REPLAY_BATCH is 500 per batch).
REPLAY_BUCKETS = (0, 1, 5, 10, 50, 100, 500, 1000, 5000)

# --- HTTP -------------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "collective_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "collective_http_request_duration_seconds",
    "Time from the request entering the middleware chain to its response, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REFUSED = Counter(
    "collective_http_requests_refused_total",
    "HTTP requests refused (503 retry_later) by admission control before any view ran, by lane "
    "(main, reserved: /healthz and /metrics) and reason (queue_full, queue_timeout); core/admission.py.",
    ["lane", "reason"],
)

# --- WebSocket --------------------------------------------------------------------------------
WS_OPEN = Gauge(
    "collective_ws_open_sockets",
    "WebSocket connections accepted and not yet closed (all live processes together).",
    multiprocess_mode="livesum",
)
WS_CONNECTIONS = Counter(
    "collective_ws_connections_total",
    "WebSocket handshakes by outcome: accepted, or the close code they were refused with.",
    ["outcome"],
)
WS_FRAMES_IN = Counter("collective_ws_frames_in_total", "Client frames handled, by frame type.", ["type"])
WS_FRAMES_REJECTED = Counter(
    "collective_ws_frames_rejected_total", "Client frames answered with an error frame, by error code.", ["code"]
)
WS_FRAMES_OUT = Counter(
    "collective_ws_frames_out_total", "Frames sent to clients, by event type (catalogue).", ["type"]
)
WS_RESUMES = Counter(
    "collective_ws_resumes_total",
    "Resumes (`resume` frame or `?last_event_id=`), by outcome: resumed, or resync when the log had a hole.",
    ["outcome"],
)
WS_REPLAY_EVENTS = Histogram(
    "collective_ws_replay_events",
    "Events replayed from the log by one resume.",
    buckets=REPLAY_BUCKETS,
)
WS_RESYNC_REQUIRED = Counter(
    "collective_ws_resync_required_total", "`resync_required` frames sent (the client must reload its state)."
)

# --- Events and the channel layer -------------------------------------------------------------
EVENTS_PUBLISHED = Counter(
    "collective_events_published_total",
    "Events handed to the channel layer, one per recipient, by type: durable ones after their commit.",
    ["type"],
)
EVENTS_DELIVERED = Counter(
    "collective_events_delivered_total",
    "Durable events written to a client's socket, by path: live (from the layer) or replay (from the log).",
    ["path"],
)
# Bound once: counted per frame written (realtime/consumers.py), where `labels()` would validate and lock.
EVENTS_DELIVERED_LIVE = EVENTS_DELIVERED.labels("live")
EVENTS_DELIVERED_REPLAY = EVENTS_DELIVERED.labels("replay")
LAYER_FAILURES = Counter(
    "collective_channel_layer_failures_total",
    "Channel-layer operations that failed, by operation (send: a group_send of publish/publish_ephemeral; "
    "send_ephemeral: of the consumer's typing/presence relays; receive: a socket's receive).",
    ["op"],
)

# --- Presence ---------------------------------------------------------------------------------
PRESENCE_CHANGES = Counter(
    "collective_presence_changes_total",
    "Presence announcements: a user came online (first socket) or went offline (last socket, or swept).",
    ["status"],
)
PRESENCE_ENTRIES = Gauge(
    "collective_presence_entries",
    "Presence entries held by the sockets of live processes (one per accepted socket).",
    multiprocess_mode="livesum",
)

# Computed at scrape time by realtime (realtime/presence.py's online_collector): the whole service's.
PRESENCE_USERS_ONLINE = "collective_presence_users_online"
SCRAPE_TIME_NAMES = frozenset({PRESENCE_USERS_ONLINE, "collective_metrics_collector_up"})

# --- Database ---------------------------------------------------------------------------------
DB_CONNECTIONS_OPENED = Counter(
    "collective_db_connections_opened_total",
    "Database connections Django opened (a new one each time without a pool; with the pool, a checkout).",
    ["vendor"],
)
DB_POOL_SIZE = Gauge(
    "collective_db_pool_connections",
    "PostgreSQL pool connections, by state (open: in the pool, busy or idle; idle: available).",
    ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "collective_db_pool_requests_waiting",
    "Requests waiting for a pooled connection right now (sampled at most every few seconds).",
    multiprocess_mode="livesum",
)
DB_POOL_WAITS = Counter(
    "collective_db_pool_waits_total",
    "Connection requests that had to wait because the pool had none available.",
)
DB_POOL_WAIT_SECONDS = Counter("collective_db_pool_wait_seconds_total", "Time spent waiting for a pooled connection.")
DB_POOL_ERRORS = Counter(
    "collective_db_pool_errors_total", "Connection requests the pool failed (timeout, broken connection)."
)

# --- Celery -----------------------------------------------------------------------------------
CELERY_TASKS = Counter(
    "collective_celery_tasks_total",
    "Celery task runs by task name and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)
CELERY_QUEUE_LAG = Histogram(
    "collective_celery_queue_lag_seconds",
    "Time from a task's publish to the start of its run on a worker, by task name.",
    ["task"],
    buckets=LAG_BUCKETS,
)

# --- SMS --------------------------------------------------------------------------------------
SMS_SENT = Counter("collective_sms_sent_total", "SMS the provider accepted, by purpose.", ["purpose"])
SMS_FAILED = Counter(
    "collective_sms_failed_total",
    "SMS sends that failed, by reason (permanent: refused; transient: retried later; gave_up: retries exhausted).",
    ["reason"],
)
SMS_SKIPPED = Counter(
    "collective_sms_skipped_total",
    "Notification SMS not sent, by reason (read, online, quiet_hours held, daily_limit, opted_out, ...).",
    ["reason"],
)

# --- Payments ---------------------------------------------------------------------------------
PAYMENT_CHECKOUTS = Counter(
    "collective_payment_checkouts_total", "Checkout sessions created, by what is bought.", ["kind"]
)
PAYMENT_TRANSITIONS = Counter(
    "collective_payment_transitions_total",
    "Payments moved to a state (succeeded, failed, refunded, expired, disputed, ...).",
    ["status"],
)
STRIPE_WEBHOOKS = Counter(
    "collective_stripe_webhook_deliveries_total",
    "Verified webhook deliveries, by whether the event was new or a duplicate delivery.",
    ["delivery"],
)
STRIPE_EVENTS_PROCESSED = Counter(
    "collective_stripe_events_processed_total", "Stored Stripe events processed, by outcome.", ["outcome"]
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


_http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_frame_out_children: dict[str, Any] = {}


def http_observe(route: str, method: str, status: int, seconds: float) -> None:
    # The labelled children are looked up once per (route, method, status): `labels()` validates
    # and locks on every call, twice the cost of the update itself.
    key = (route, method, status)
    children = _http_children.get(key)
    if children is None:
        verb = method if method in HTTP_METHODS else "OTHER"
        children = (HTTP_REQUESTS.labels(route, verb, str(status)), HTTP_DURATION.labels(route, verb))
        _http_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def frame_out(type: str) -> None:
    child = _frame_out_children.get(type)
    if child is None:
        child = _frame_out_children[type] = WS_FRAMES_OUT.labels(type)
    child.inc()


# --- the database pool --------------------------------------------------------------------------
POOL_SAMPLE_SECONDS = 5.0
_pool_lock = threading.Lock()
_pool_state: dict[str, float] = {"at": 0.0, "waits": 0, "wait_ms": 0, "errors": 0}


def pool_sample(force: bool = False) -> None:
    """Copy this process's psycopg_pool statistics into the pool metrics, at most every
    POOL_SAMPLE_SECONDS (called after requests and before a scrape; no I/O: the pool keeps the
    figures in memory). Nothing when no pool is configured (SQLite, DB_POOL_MAX_SIZE=0)."""
    now = time.monotonic()
    if not force and now - _pool_state["at"] < POOL_SAMPLE_SECONDS:
        return
    if not _pool_lock.acquire(blocking=False):
        return
    try:
        _pool_state["at"] = now
        from django.db import connections

        wrapper = connections["default"]
        if "pool" not in wrapper.settings_dict.get("OPTIONS", {}):
            return
        # The PostgreSQL backend's psycopg_pool.ConnectionPool, if this process has opened it: read
        # from the class's registry, since the `pool` property would create (and connect) one.
        pool = getattr(type(wrapper), "_connection_pools", {}).get(wrapper.alias)
        if pool is None:
            return
        stats = pool.get_stats()
        DB_POOL_SIZE.labels("open").set(stats.get("pool_size", 0))
        DB_POOL_SIZE.labels("idle").set(stats.get("pool_available", 0))
        DB_POOL_WAITING.set(stats.get("requests_waiting", 0))
        for key, stat, counter, scale in (
            ("waits", "requests_queued", DB_POOL_WAITS, 1.0),
            ("wait_ms", "requests_wait_ms", DB_POOL_WAIT_SECONDS, 1000.0),
            ("errors", "requests_errors", DB_POOL_ERRORS, 1.0),
        ):
            value = stats.get(stat, 0)
            delta = value - _pool_state[key]
            if delta > 0:
                counter.inc(delta / scale)
            _pool_state[key] = value
    except Exception:  # noqa: BLE001 - a metric must never fail a request
        logger.debug("pool metrics sample failed", exc_info=True)
    finally:
        _pool_lock.release()


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    DB_CONNECTIONS_OPENED.labels(connection.vendor).inc()


# --- Celery -----------------------------------------------------------------------------------
PUBLISHED_AT_HEADER = "collective_published_at"


def _task_name(sender: Any) -> str:
    return str(getattr(sender, "name", None) or sender or "unknown")


def _before_publish(sender: Any = None, headers: dict | None = None, **kwargs: Any) -> None:
    if headers is not None:
        headers[PUBLISHED_AT_HEADER] = time.time()


def _prerun(sender: Any = None, task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return
    published = getattr(request, PUBLISHED_AT_HEADER, None)
    if published is None:
        published = (getattr(request, "headers", None) or {}).get(PUBLISHED_AT_HEADER)
    if published is None:
        return
    try:
        lag = max(0.0, time.time() - float(published))
    except (TypeError, ValueError):
        return
    CELERY_QUEUE_LAG.labels(_task_name(task)).observe(lag)


def _outcome(outcome: str) -> Callable[..., None]:
    def handler(sender: Any = None, **kwargs: Any) -> None:
        CELERY_TASKS.labels(_task_name(sender), outcome).inc()

    return handler


_celery_handlers: list[Callable[..., None]] = []


def connect_signals() -> None:
    """Connect the Celery and database signal handlers (once; from CoreConfig.ready)."""
    if _celery_handlers:
        return
    from celery import signals as celery_signals
    from django.db.backends.signals import connection_created

    connection_created.connect(_on_connection_created, dispatch_uid="collective-metrics-connection")
    _celery_handlers.extend([_outcome("succeeded"), _outcome("failed"), _outcome("retried")])
    celery_signals.before_task_publish.connect(_before_publish, weak=False)
    celery_signals.task_prerun.connect(_prerun, weak=False)
    celery_signals.task_success.connect(_celery_handlers[0], weak=False)
    celery_signals.task_failure.connect(_celery_handlers[1], weak=False)
    celery_signals.task_retry.connect(_celery_handlers[2], weak=False)
    if MULTIPROCESS:
        celery_signals.worker_process_shutdown.connect(_mark_dead, weak=False)
        celery_signals.worker_shutdown.connect(_mark_dead, weak=False)


# --- multiprocess bookkeeping ---------------------------------------------------------------------
def _mark_dead(*args: Any, **kwargs: Any) -> None:
    """This process's live gauges leave the sum (its counters stay: they happened)."""
    if not MULTIPROCESS:
        return
    try:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(process_identity(), MULTIPROC_DIR)
    except Exception:  # noqa: BLE001 - at exit, nothing to do about it
        pass


def _prune_dead_processes() -> None:
    """Before a scrape: the live gauges of this host's processes that are gone without saying so
    (SIGKILL, OOM) leave the sum; their counters stay until the next process start here."""
    from prometheus_client import multiprocess

    for pid in _own_host_pids("gauge_live*.db"):
        if pid != os.getpid() and not _pid_alive(pid):
            multiprocess.mark_process_dead(f"{_HOST}_{pid}", MULTIPROC_DIR)


# --- scraping ---------------------------------------------------------------------------------
_scrape_collectors: list[Callable[[], Iterable[Metric]]] = []


def register_scrape_collector(collect: Callable[[], Iterable[Metric]]) -> None:
    """Add a function that yields metric families computed at scrape time (values that belong to
    the whole service, such as users online, read once per scrape in the scraping process)."""
    if collect not in _scrape_collectors:
        _scrape_collectors.append(collect)


class _ScrapeTime(Collector):
    def collect(self) -> Iterable[Metric]:
        for collect in list(_scrape_collectors):
            try:
                yield from collect()
            except Exception as exc:  # noqa: BLE001 - one failing source must not fail the scrape
                logger.warning("metrics collector %s failed: %s", getattr(collect, "__name__", collect), exc)
                failed = GaugeMetricFamily(
                    "collective_metrics_collector_up", "1 if a scrape-time collector answered.", labels=["collector"]
                )
                failed.add_metric([getattr(collect, "__name__", "collector")], 0)
                yield failed


def render() -> tuple[bytes, str]:
    """The scrape: every process's values in multiprocess mode, else this process's registry."""
    pool_sample(force=True)
    registry: CollectorRegistry
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        _prune_dead_processes()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    scrape = CollectorRegistry()
    scrape.register(_ScrapeTime())
    return body + generate_latest(scrape), CONTENT_TYPE_LATEST


def metric_names() -> set[str]:
    """The names of the metrics defined here (with the series suffixes a query may use)."""
    names: set[str] = set(SCRAPE_TIME_NAMES)
    for value in globals().values():
        if isinstance(value, Counter | Gauge | Histogram):
            base = value._name
            if isinstance(value, Counter):
                names |= {base + "_total", base + "_created"}
            elif isinstance(value, Histogram):
                names |= {base + "_bucket", base + "_sum", base + "_count", base + "_created"}
            else:
                names.add(base)
    return names
