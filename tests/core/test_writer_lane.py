"""The SQLite writer lane (core/backends/sqlite3): this process's write transactions take turns,
in arrival order, with a bounded wait answered 503 retry_later; reads never queue.

Most tests use a database file of their own (a `lane_db` alias: WAL, IMMEDIATE, as embedded),
with real threads, real connections and real writes."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, connections, transaction

from core.backends.sqlite3.base import DatabaseWrapper, is_write
from core.backends.sqlite3.lane import WriterLane, lane_for, lane_key
from messaging.services import thread_get_or_create
from tests.conftest import client_for
from tests.factories import UserFactory

ALIAS = "lane_db"


@pytest.fixture
def lane_db(tmp_path, django_db_blocker):
    path = tmp_path / "lane.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT, at REAL)")
    raw.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    raw.execute("INSERT INTO counter VALUES (1, 0)")
    raw.commit()
    raw.close()
    config = {
        "ENGINE": "core.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "writer_lane_timeout": 5.0,
        },
    }
    connections.settings[ALIAS] = connections.configure_settings({"default": {}, ALIAS: config})[ALIAS]
    with django_db_blocker.unblock():
        yield lane_for(str(path))
    connections[ALIAS].close()
    del connections.settings[ALIAS]
    local = getattr(connections, "_connections")  # noqa: B009 — the handler's per-thread store
    if hasattr(local, ALIAS):
        delattr(local, ALIAS)


def _wrapper(alias: str) -> DatabaseWrapper:
    conn = connections[alias]
    assert isinstance(conn, DatabaseWrapper)  # the embedded ENGINE, core.backends.sqlite3
    return conn


def _run(target, *args) -> threading.Thread:
    """A thread that closes its own connection when done, as a request thread does."""

    def body() -> None:
        try:
            target(*args)
        finally:
            connections[ALIAS].close()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def _execute(sql: str, params=()) -> list:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_write_transactions_never_overlap(lane_db):
    spans: list[tuple[float, float, str]] = []
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for _ in range(5):
                with transaction.atomic(using=ALIAS):
                    start = time.monotonic()
                    n = _execute("SELECT n FROM counter WHERE id = 1")[0][0]
                    time.sleep(0.005)  # a read-modify-write that only serialisation keeps right
                    _execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
                    _execute("INSERT INTO log (who, at) VALUES (%s, %s)", [name, start])
                    end = time.monotonic()
                spans.append((start, end, name))
        except BaseException as exc:  # noqa: BLE001 — asserted below
            errors.append(exc)

    threads = [_run(writer, f"w{i}") for i in range(6)]
    for t in threads:
        t.join(30)
    assert not errors
    assert _execute("SELECT n FROM counter WHERE id = 1")[0][0] == 30
    assert _execute("SELECT count(*) FROM log")[0][0] == 30
    spans.sort()
    for (_, end, _), (next_start, _, _) in zip(spans, spans[1:], strict=False):
        assert end <= next_start
    assert lane_db.waited > 0  # they did queue in the lane, not in SQLite's busy handler
    assert lane_db.timeouts == 0


def test_waiters_get_their_turn_in_arrival_order(lane_db):
    held, release = threading.Event(), threading.Event()
    order: list[int] = []

    def holder() -> None:
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('holder')")
            held.set()
            release.wait(10)

    def waiter(i: int) -> None:
        with transaction.atomic(using=ALIAS):
            order.append(i)
            _execute("INSERT INTO log (who) VALUES (%s)", [str(i)])

    threads = [_run(holder)]
    assert held.wait(5)
    for i in range(6):
        threads.append(_run(waiter, i))
        _wait_until(lambda i=i: lane_db.queued == i + 1)  # each one queued before the next starts
    release.set()
    for t in threads:
        t.join(10)
    assert order == list(range(6))
    rows = [r[0] for r in _execute("SELECT who FROM log ORDER BY id")]
    assert rows == ["holder", *map(str, range(6))]


def test_a_writer_that_waits_too_long_gets_database_is_locked(lane_db):
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with transaction.atomic(using=ALIAS):
            held.set()
            release.wait(10)

    t = _run(holder)
    assert held.wait(5)
    conn = _wrapper(ALIAS)
    conn.ensure_connection()
    conn.lane_timeout = 0.3
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('late')")
    assert 0.25 <= time.monotonic() - started < 2
    assert lane_db.timeouts == 1 and lane_db.queued == 0
    release.set()
    t.join(10)
    with transaction.atomic(using=ALIAS):  # the lane works again after the timeout
        _execute("INSERT INTO log (who) VALUES ('after')")
    assert _execute("SELECT who FROM log") == [("after",)]


def test_nested_atomic_blocks_take_the_lane_once(lane_db):
    before = lane_db.acquired
    with transaction.atomic(using=ALIAS):
        _execute("INSERT INTO log (who) VALUES ('outer')")
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('inner')")
            with transaction.atomic(using=ALIAS):
                _execute("INSERT INTO log (who) VALUES ('innermost')")
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('rolled back')")
            1 / 0  # noqa: B018 — the savepoint rolls back; the lane stays with the outer block
        assert lane_db.held_by(connections[ALIAS])
    assert lane_db.acquired == before + 1
    assert not lane_db.held_by(connections[ALIAS])
    assert [r[0] for r in _execute("SELECT who FROM log ORDER BY id")] == ["outer", "inner", "innermost"]


def test_an_exception_rolls_back_and_frees_the_lane(lane_db):
    with pytest.raises(RuntimeError), transaction.atomic(using=ALIAS):
        _execute("INSERT INTO log (who) VALUES ('lost')")
        raise RuntimeError("boom")
    assert lane_db.queued == 0 and not lane_db.held_by(connections[ALIAS])
    got: list[float] = []

    def other() -> None:
        started = time.monotonic()
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('other')")
        got.append(time.monotonic() - started)

    _run(other).join(10)
    assert got and got[0] < 0.5
    assert _execute("SELECT who FROM log") == [("other",)]


def test_a_connection_closed_mid_transaction_frees_the_lane(lane_db):
    conn = connections[ALIAS]
    with transaction.atomic(using=ALIAS):
        _execute("INSERT INTO log (who) VALUES ('closed')")
        assert lane_db.held_by(conn)
        conn.close()
        assert not lane_db.held_by(conn)
    # The next writer is not kept waiting, and the closed transaction was rolled back.
    got: list[float] = []

    def other() -> None:
        started = time.monotonic()
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('other')")
        got.append(time.monotonic() - started)

    _run(other).join(10)
    assert got and got[0] < 0.5
    assert _execute("SELECT who FROM log") == [("other",)]


def test_a_thread_that_died_holding_the_lane_does_not_block_the_others(lane_db):
    def dies_inside_a_transaction() -> None:
        atomic = transaction.atomic(using=ALIAS)
        atomic.__enter__()
        _execute("INSERT INTO log (who) VALUES ('orphan')")
        # returns without __exit__: no COMMIT, no ROLLBACK, no close

    t = threading.Thread(target=dies_inside_a_transaction, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive() and lane_db._thread is t  # the lane still names the dead thread
    gc.collect()  # the dead thread's connection is freed: SQLite rolls its transaction back
    got: list[float] = []

    def writer() -> None:
        started = time.monotonic()
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('next')")
        got.append(time.monotonic() - started)

    _run(writer).join(10)
    assert got and got[0] < 2
    assert lane_db.stolen == 1
    assert _execute("SELECT who FROM log") == [("next",)]


def test_autocommit_writes_queue_for_their_statement_and_reads_never_do(lane_db):
    held, release = threading.Event(), threading.Event()
    marks: dict[str, float] = {}

    def holder() -> None:
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('tx')")
            held.set()
            release.wait(10)
            marks["commit"] = time.monotonic()

    def autocommit_update() -> None:
        _execute("UPDATE counter SET n = n + 1 WHERE id = 1")  # no atomic: one statement
        marks["update"] = time.monotonic()

    def autocommit_read() -> None:
        _execute("SELECT count(*) FROM log")
        marks["read"] = time.monotonic()

    threads = [_run(holder)]
    assert held.wait(5)
    threads.append(_run(autocommit_update))
    _wait_until(lambda: lane_db.queued == 1)  # the UPDATE waits in the lane ...
    reader = _run(autocommit_read)
    reader.join(5)
    assert "read" in marks and "update" not in marks  # ... while a read goes straight through
    release.set()
    for t in threads:
        t.join(10)
    assert marks["update"] >= marks["commit"]
    assert lane_db.queued == 0 and lane_db._thread is None  # held for the statement only
    assert _execute("SELECT n FROM counter")[0][0] == 1


def test_another_process_on_the_same_file_still_meets_the_busy_timeout(lane_db):
    # A second process holds SQLite's write lock; this process's writer gets the lane at once and
    # then waits in SQLite's busy handler (the backstop) until the other process commits.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE'); c.execute(\"INSERT INTO log (who) VALUES ('other process')\")\n"
            "print('held', flush=True); time.sleep(0.8); c.execute('COMMIT')\n",
            connections.settings[ALIAS]["NAME"],
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with transaction.atomic(using=ALIAS):
            _execute("INSERT INTO log (who) VALUES ('this process')")
        waited = time.monotonic() - started
    finally:
        holder.wait(10)
    assert holder.returncode == 0
    assert 0.3 < waited < 10
    assert [r[0] for r in _execute("SELECT who FROM log ORDER BY id")] == ["other process", "this process"]


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.IS_POSTGRES,
    reason="the writer lane is the SQLite backend's (embedded only)",
)
@pytest.mark.django_db(transaction=True)
def test_a_send_while_the_lane_is_held_past_the_timeout_is_a_503_retry_later(settings):
    """Through the real API on the test database: a test thread holds the default database's
    lane; the send waits its lane timeout and is answered 503 retry_later with Retry-After."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    alice, bob = UserFactory(), UserFactory()
    thread, _ = thread_get_or_create(user_a=alice, user_b=bob)
    client = client_for(alice)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                held.set()
                release.wait(10)
        finally:
            connections["default"].close()

    t = threading.Thread(target=holder, daemon=True)
    t.start()
    assert held.wait(5)
    default = _wrapper("default")
    default.ensure_connection()
    lane = default.lane
    assert lane is not None
    saved, default.lane_timeout = default.lane_timeout, 0.3
    try:
        response = client.post(f"/api/v1/threads/{thread.pk}/messages/", {"body": "hello"}, format="json")
    finally:
        default.lane_timeout = saved
        release.set()
        t.join(10)
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "retry_later"
    assert response["Retry-After"] == "1"
    assert lane.timeouts >= 1
    # Once the lane is free the same request goes through.
    response = client.post(f"/api/v1/threads/{thread.pk}/messages/", {"body": "hello"}, format="json")
    assert response.status_code == 201, response.content


def test_write_statements_are_recognised():
    for sql in (
        "INSERT INTO t VALUES (1)",
        "  update t set x = 1",
        "DELETE FROM t",
        "REPLACE INTO t VALUES (1)",
        "CREATE TABLE t (x)",
        "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c",
    ):
        assert is_write(sql), sql
    for sql in (
        "SELECT 1",
        "select * from t where x = 'insert'",
        "PRAGMA foreign_keys",
        "WITH c AS (SELECT 1) SELECT 1",
    ):
        assert not is_write(sql), sql


def test_lane_keys():
    assert lane_key(":memory:") is None and lane_key("") is None
    assert lane_key("file:x?mode=memory") is None  # a private in-memory database per connection
    assert (
        lane_key("file:memorydb_default?mode=memory&cache=shared") == "file:memorydb_default?mode=memory&cache=shared"
    )
    assert lane_for("/tmp/a/../lane-key.sqlite3") is lane_for("/tmp/lane-key.sqlite3")
    assert isinstance(lane_for("/tmp/lane-key.sqlite3"), WriterLane)
