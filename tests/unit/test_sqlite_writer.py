"""The SQLite writer thread (order, errors, transactions, closing) and the document store on it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from rooms.errors import Unavailable
from storage.documents import sqlite_writer
from storage.documents.sqlite import SqliteDocumentStore
from storage.documents.sqlite_writer import SqliteWriter
from tests.contract import builders


def connector(path: Path) -> Callable[[], sqlite3.Connection]:
    def connect() -> sqlite3.Connection:  # shared with the loop's thread for small work (run_transaction_here)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
        return conn
    return connect


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[SqliteWriter]:
    w = SqliteWriter(connector(tmp_path / "w.db"))
    await w.start()
    yield w
    await w.aclose()


def rows(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()


async def test_work_runs_on_one_thread_that_is_not_the_loops(writer: SqliteWriter) -> None:
    threads = await asyncio.gather(*(writer.run(lambda conn: threading.get_ident()) for _ in range(20)))
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()


async def test_results_and_errors_come_back_to_their_callers_in_order(writer: SqliteWriter) -> None:
    ran: list[int] = []

    def work(i: int) -> Callable[[sqlite3.Connection], int]:
        def run(conn: sqlite3.Connection) -> int:
            ran.append(i)
            if i % 3 == 0:
                raise ValueError(i)
            return int(conn.execute("SELECT ? * 10", (i,)).fetchone()[0])
        return run

    outcomes = await asyncio.gather(*(writer.run(work(i)) for i in range(30)), return_exceptions=True)
    assert ran == list(range(30))
    for i, outcome in enumerate(outcomes):
        if i % 3 == 0:
            assert isinstance(outcome, ValueError) and outcome.args == (i,)
        else:
            assert outcome == i * 10


async def test_sqlite_errors_pass_through_for_the_store_to_translate(writer: SqliteWriter) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await writer.run(lambda conn: conn.execute("SELECT * FROM missing"))
    assert await writer.run(lambda conn: 1) == 1  # the thread goes on


async def test_a_failed_transaction_rolls_back(writer: SqliteWriter) -> None:
    await writer.run_transaction(lambda conn: conn.execute("INSERT INTO t VALUES (1, 'kept')"))

    def fails(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (2, 'lost')")
        conn.execute("INSERT INTO t VALUES (1, 'duplicate key')")

    with pytest.raises(sqlite3.IntegrityError):
        await writer.run_transaction(fails)
    assert await writer.run(rows) == [(1, "kept")]
    assert await writer.run(lambda conn: conn.in_transaction) is False


async def test_a_statement_by_statement_transaction_commits_or_rolls_back(writer: SqliteWriter) -> None:
    async with writer.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (?, ?)", (1, "one"))
        await tx.executemany("INSERT INTO t VALUES (?, ?)", [(2, "two"), (3, "three")])
        async with tx.execute("SELECT v FROM t WHERE k > ? ORDER BY k", (1,)) as cur:
            assert await cur.fetchone() == ("two",)
            assert await cur.fetchall() == [("three",)]
            assert await cur.fetchone() is None
        cur = await tx.execute("DELETE FROM t WHERE k = 3")
        assert cur.rowcount == 1
    assert await writer.run(rows) == [(1, "one"), (2, "two")]

    with pytest.raises(LookupError):
        async with writer.transaction() as tx:
            await tx.execute("DELETE FROM t")
            raise LookupError  # a domain decision, not a database error
    with pytest.raises(sqlite3.IntegrityError):
        async with writer.transaction() as tx:
            await tx.execute("DELETE FROM t WHERE k = 2")
            await tx.execute("INSERT INTO t VALUES (1, 'duplicate key')")
    assert await writer.run(rows) == [(1, "one"), (2, "two")]
    assert await writer.run(lambda conn: conn.in_transaction) is False


async def test_nothing_lands_inside_an_open_transaction(writer: SqliteWriter) -> None:
    seen: list[bool] = []
    async with writer.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (1, 'a')")
        other = asyncio.create_task(writer.run(lambda conn: seen.append(conn.in_transaction)))
        await asyncio.sleep(0.05)
        assert not other.done()  # it waits for the transaction to end
        await tx.execute("INSERT INTO t VALUES (2, 'b')")
    await other
    assert seen == [False]


async def test_a_transaction_without_statements_costs_no_trip(writer: SqliteWriter) -> None:
    async with writer.transaction():
        pass
    assert await writer.run(lambda conn: conn.in_transaction) is False


async def test_close_waits_for_queued_work_and_is_idempotent(tmp_path: Path) -> None:
    w = SqliteWriter(connector(tmp_path / "w.db"))
    await w.start()
    release = threading.Event()

    def slow(conn: sqlite3.Connection) -> str:
        release.wait(5)
        return "slow"

    queued = [asyncio.create_task(w.run(slow))]
    queued += [asyncio.create_task(w.run_transaction(lambda conn, i=i: conn.execute(
        "INSERT INTO t VALUES (?, 'queued')", (i,)).rowcount)) for i in range(5)]
    await asyncio.sleep(0)  # every call has been made
    closing = [asyncio.create_task(w.aclose()) for _ in range(3)]
    await asyncio.sleep(0.05)
    assert not any(c.done() for c in closing)  # the first item still runs
    release.set()
    await asyncio.gather(*closing)
    assert [q.result() for q in queued] == ["slow", 1, 1, 1, 1, 1]
    await w.aclose()
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (5,)
    assert not any(t.name == "sqlite-writer" for t in threading.enumerate())


async def test_close_lets_an_open_transaction_finish(tmp_path: Path) -> None:
    w = SqliteWriter(connector(tmp_path / "w.db"))
    await w.start()
    async with w.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (1, 'a')")
        closing = asyncio.create_task(w.aclose())
        await asyncio.sleep(0.05)
        assert not closing.done()
        await tx.execute("INSERT INTO t VALUES (2, 'b')")
    await closing
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (2,)


async def test_work_after_close_or_before_start_is_unavailable(tmp_path: Path) -> None:
    w = SqliteWriter(connector(tmp_path / "w.db"))
    with pytest.raises(Unavailable):
        await w.run(lambda conn: 1)
    await w.start()
    await w.aclose()
    with pytest.raises(Unavailable):
        await w.run(lambda conn: 1)
    with pytest.raises(Unavailable):
        await w.run_transaction(lambda conn: 1)
    with pytest.raises(Unavailable):
        async with w.transaction():
            pass


async def test_a_failed_connect_is_raised_by_start_and_close_still_works(tmp_path: Path) -> None:
    def connect() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    w = SqliteWriter(connect)
    with pytest.raises(sqlite3.OperationalError):
        await w.start()
    await w.aclose()
    await w.aclose()
    with pytest.raises(Unavailable):
        await w.run(lambda conn: 1)


async def test_a_cancelled_caller_does_not_stop_the_writer(writer: SqliteWriter) -> None:
    release = threading.Event()
    stuck = asyncio.create_task(writer.run(lambda conn: release.wait(5)))
    await asyncio.sleep(0.01)
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    release.set()
    assert await writer.run(lambda conn: "next") == "next"


# ---- the document store on the writer ------------------------------------------------------------

@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    s = SqliteDocumentStore(tmp_path / "store.db")
    await s.open()
    yield s
    await s.aclose()


def count_trips(store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    trips: list[object] = []
    submit = store._writer._submit

    def counted(work: Callable[[sqlite3.Connection], object]) -> asyncio.Future[object]:
        trips.append(work)
        return submit(work)

    monkeypatch.setattr(store._writer, "_submit", counted)
    return trips


async def test_a_chat_send_runs_on_the_loops_thread_while_the_writer_is_idle(
        store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    ran_on: list[int] = []
    await store._writer.run(lambda conn: conn.set_trace_callback(lambda sql: ran_on.append(threading.get_ident())))
    trips = count_trips(store, monkeypatch)
    stored, created = await store.append_message(builders.message("spc_a"))
    assert (stored.seq, created, len(trips)) == (1, True, 0)
    assert set(ran_on) == {threading.get_ident()}
    await asyncio.gather(*(store.append_message(builders.message("spc_a")) for _ in range(10)))
    assert len(trips) == 0 and await store.last_seq("spc_a") == 11


async def test_small_work_waits_behind_what_the_writer_has_queued_or_open(writer: SqliteWriter) -> None:
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow(conn: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)
        order.append("queued first")

    queued = asyncio.create_task(writer.run(slow))
    assert await asyncio.to_thread(started.wait, 10)
    small = asyncio.create_task(writer.run_transaction_here(lambda conn: order.append("small")))
    await asyncio.sleep(0)
    assert order == []  # not run by the loop while the thread holds the connection
    release.set()
    await asyncio.wait_for(asyncio.gather(queued, small), 10)
    assert order == ["queued first", "small"]

    with pytest.raises(RuntimeError):  # an open statement-by-statement transaction, rolled back
        async with writer.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1, 'rolled back')")
            inside = asyncio.create_task(
                writer.run_transaction_here(lambda conn: conn.execute("INSERT INTO t VALUES (2, 'kept')")))
            await asyncio.sleep(0)
            assert not inside.done()
            raise RuntimeError("roll back")
    await asyncio.wait_for(inside, 10)
    assert await writer.run(rows) == [(2, "kept")]


async def test_reads_use_the_write_connection_only_while_the_writer_is_idle(writer: SqliteWriter) -> None:
    await writer.run_transaction_here(lambda conn: conn.execute("INSERT INTO t VALUES (1, 'one')"))
    assert writer.read_here("SELECT v FROM t WHERE k = ?", (1,)) == [("one",)]
    started, release = threading.Event(), threading.Event()
    busy = asyncio.create_task(writer.run(lambda conn: (started.set(), release.wait(10))))
    assert await asyncio.to_thread(started.wait, 10)
    assert writer.read_here("SELECT v FROM t", ()) is None  # the thread holds it: read elsewhere
    release.set()
    await asyncio.wait_for(busy, 10)
    async with writer.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (2, 'uncommitted')")
        assert writer.read_here("SELECT v FROM t", ()) is None  # never inside another caller's transaction
    assert writer.read_here("SELECT COUNT(*) FROM t", ()) == [(2,)]


async def test_the_loop_does_not_wait_for_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.db"

    def connect() -> sqlite3.Connection:
        conn = connector(path)()
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    writer = SqliteWriter(connect, name="writer")
    await writer.start()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write, under way
    try:
        ran_on: list[int] = []

        def work(conn: sqlite3.Connection) -> None:
            ran_on.append(threading.get_ident())
            conn.execute("INSERT INTO t VALUES (1, 'after the other')")

        send = asyncio.create_task(writer.run_transaction_here(work))
        await asyncio.sleep(0.2)  # the loop goes on meanwhile: the thread is the one that waits
        assert not send.done() and ran_on == []
        other.execute("COMMIT")
        await asyncio.wait_for(send, 10)
        assert ran_on != [threading.get_ident()]
        assert await writer.run(lambda conn: conn.execute("PRAGMA busy_timeout").fetchone()[0]) == 5000
        assert await writer.run(rows) == [(1, "after the other")]
    finally:
        other.close()
        await writer.aclose()


async def test_commits_on_the_loops_thread_leave_checkpoints_to_the_writers_thread(
        store: SqliteDocumentStore) -> None:
    checkpoints: list[int] = []

    def trace(conn: sqlite3.Connection) -> tuple[int, int]:
        conn.set_trace_callback(lambda sql: checkpoints.append(threading.get_ident()) if "checkpoint" in sql else None)
        return threading.get_ident(), conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    thread, auto = await store._writer.run(trace)
    assert auto == 0  # no commit checkpoints by itself, wherever it runs
    for _ in range(sqlite_writer.CHECKPOINT_EVERY_COMMITS + 1):
        await store.append_message(builders.message("spc_a"))
    async with asyncio.timeout(10):
        while not checkpoints:
            await store._writer.run(lambda conn: None)
    assert set(checkpoints) == {thread} and thread != threading.get_ident()


async def test_a_statement_transaction_is_one_trip_per_statement_and_one_to_commit(
        store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    trips = count_trips(store, monkeypatch)
    assert await store.mark_read("spc_a", "u1", 4) == 4  # an upsert and a read
    assert len(trips) == 3


async def test_database_errors_leave_the_store_as_unavailable(store: SqliteDocumentStore) -> None:
    with pytest.raises(Unavailable) as caught:
        async with store._transaction() as conn:
            await conn.execute("INSERT INTO nowhere VALUES (1)")
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    with pytest.raises(Unavailable):
        await store._in_one_call(lambda raw: raw.execute("INSERT INTO nowhere VALUES (1)"))
    assert await store.mark_read("spc_a", "u1", 1) == 1  # the writer goes on

    await store.aclose()
    await store.aclose()
    with pytest.raises(Unavailable):
        await store.append_message(builders.message("spc_a"))
    with pytest.raises(Unavailable):
        await store.mark_read("spc_a", "u1", 2)
