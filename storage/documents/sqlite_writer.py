"""The SQLite write connection on a thread of its own, fed through a queue.

One thread owns the write connection for its whole life (it opens and closes it). The event
loop hands it work items, each a callable that takes the raw ``sqlite3.Connection``; the thread
runs them one after the other, in the order they were queued, and resolves each caller's future
back on the caller's loop (``loop.call_soon_threadsafe``). A commit that flushes the log
therefore never stops the event loop, and one item is one trip to the thread and back,
whatever it does: a chat send's whole transaction is one item (:meth:`SqliteWriter.run_transaction`).

Three ways in, all ordered by one ``asyncio.Lock`` so that nothing lands inside another
caller's open transaction:

- :meth:`SqliteWriter.run`: one item, as it is;
- :meth:`SqliteWriter.run_transaction`: one item inside ``BEGIN IMMEDIATE`` … ``COMMIT``,
  rolled back if it raises;
- :meth:`SqliteWriter.transaction`: a transaction whose statements come from the event loop
  one at a time (:class:`WriteTransaction`), for code that decides between statements. It holds
  the lock until it ends; each statement is one trip, ``BEGIN IMMEDIATE`` rides with the first
  and ``COMMIT`` is one more.

A small transaction that nothing else is waiting for runs on the loop's own thread instead
(:meth:`SqliteWriter.run_transaction_here`, a chat send's): when no item is queued or running and
no statement-by-statement transaction is open, the loop takes the connection (a ``threading.Lock``
the thread holds for each item) and runs it at once. A trip costs the loop about 40 µs and, on
one core, two switches and a hand-over of the interpreter to the thread; the few statements of a
send cost less. The loop never waits for another process's write lock either: its ``BEGIN
IMMEDIATE`` runs with no busy time-out, and if the lock is taken the work goes to the thread,
which waits. In WAL with ``synchronous=NORMAL`` a commit writes to the log and does not flush
it: what flushes is the checkpoint, and the connection runs none of its own
(``wal_autocheckpoint=0`` in the owner's ``connect``). The thread checkpoints instead
(``PRAGMA wal_checkpoint(PASSIVE)``) once ``CHECKPOINT_EVERY_COMMITS`` commits have landed on
either side since its last, so the loop still never waits for a flush. Work that is not small
(retention batches, indexing, imports) goes to the thread as before.

The writer passes on what the work raises (``sqlite3`` errors included: its owner translates
them at the store's edge) and raises :class:`rooms.errors.Unavailable` for work offered before
it is started or once it is closing. :meth:`SqliteWriter.aclose` refuses new work, lets
everything already offered finish, closes the connection and joins the thread; it can be called
more than once. A caller that stops waiting (cancelled) does not withdraw its item: it runs, and
its result is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rooms.errors import Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
CHECKPOINT_EVERY_COMMITS = 256  # a few thousand pages (a send alone writes about 12.6): fewer checkpoints copy a busy index page fewer times

Work = Callable[[sqlite3.Connection], Any]
_Item = tuple[Work, "asyncio.Future[Any]", asyncio.AbstractEventLoop]


class _Stop:
    """The last item: close the connection, then settle ``done``."""

    def __init__(self, done: asyncio.Future[None], loop: asyncio.AbstractEventLoop) -> None:
        self.done, self.loop = done, loop


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """On the loop: hand the outcome to a caller that is still waiting."""
    if future.done():  # the caller was cancelled
        return
    if isinstance(error, StopIteration):  # a future refuses it
        error = RuntimeError(f"the work raised {error!r}")
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], *, begun: bool = False) -> T:
    if not begun:
        conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class FetchedCursor:
    """What a statement of a :class:`WriteTransaction` gives back: its rows, read on the thread.

    The rows are fetched in the statement's own trip, so reading them costs no other trip and
    no statement is left open on the connection; the statements of a transaction are point
    lookups, writes and bounded pages.
    """

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Any]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows


class _Statement:
    """``await tx.execute(...)`` gives the cursor; so does ``async with tx.execute(...) as cur``."""

    def __init__(self, pending: asyncio.Future[FetchedCursor]) -> None:
        self._pending = pending

    def __await__(self) -> Generator[Any, None, FetchedCursor]:
        return self._pending.__await__()

    async def __aenter__(self) -> FetchedCursor:
        return await self._pending

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class WriteTransaction:
    """An open transaction of :meth:`SqliteWriter.transaction`: each statement is one trip to the thread."""

    def __init__(self, writer: SqliteWriter) -> None:
        self._writer = writer
        self.begun = False

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Statement:
        args = tuple(params)
        return self._statement(lambda conn: conn.execute(sql, args))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Statement:
        args = [tuple(row) for row in rows]
        return self._statement(lambda conn: conn.executemany(sql, args))

    def _statement(self, run: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> _Statement:
        begin, self.begun = not self.begun, True

        def work(conn: sqlite3.Connection) -> FetchedCursor:
            if begin:
                conn.execute("BEGIN IMMEDIATE")
            cur = run(conn)
            try:
                return FetchedCursor(cur.fetchall(), cur.rowcount, cur.lastrowid)
            finally:
                cur.close()

        return _Statement(self._writer._submit(work))


class SqliteWriter:
    """The write connection's thread and queue (see the module's notes). ``connect`` opens the connection
    with ``check_same_thread=False``: the loop's thread uses it too, never at the same time."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str = "sqlite-writer") -> None:
        self._connect = connect
        self._name = name
        self._queue: queue.SimpleQueue[_Item | _Stop] = queue.SimpleQueue()
        self._lock = asyncio.Lock()
        self._thread: threading.Thread | None = None
        self._accepting = False  # the public entry points take work
        self._stopped = False  # the stop item is queued: nothing more reaches the thread
        self._closed: asyncio.Future[None] | None = None
        self._conn: sqlite3.Connection | None = None  # the thread's, once open
        self._busy_ms = 0  # the connection's busy time-out, read on the thread as it opens
        self._waits = True  # whether the connection has it now (the loop's side runs with none); under _using
        self._using = threading.Lock()  # held by whoever runs statements on the connection
        self._submitted = 0  # items queued so far (the loop counts)
        self._finished = 0  # items the thread has run so far (the thread counts)
        self._lock_users = 0  # callers holding or waiting for ``_lock``
        self._commits_here = 0  # commits run on the loop's side so far (the loop counts; the thread reads)
        self._asked_at = 0  # ``_commits_here`` when the loop last asked the thread to checkpoint

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the thread and open the connection on it; raises what ``connect`` raises."""
        if self._thread is not None or self._stopped:
            raise RuntimeError("a SqliteWriter starts once")
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()
        self._thread = threading.Thread(target=self._serve, args=(opened, loop), name=self._name, daemon=True)
        self._thread.start()
        try:
            await opened
        except BaseException:  # the connection failed, or we were cancelled while it opened
            self._stopped = True
            self._queue.put(_Stop(loop.create_future(), loop))  # ends the thread if it did open
            raise
        self._accepting = True

    async def aclose(self) -> None:
        """Refuse new work, finish what was offered, close the connection, join the thread. Idempotent."""
        self._accepting = False
        if self._closed is None:
            self._closed = asyncio.get_running_loop().create_future()
            try:
                async with self._locked():  # behind every caller already waiting for it
                    pass
            finally:
                self._stop()
        await asyncio.shield(self._closed)
        if self._thread is not None:
            self._thread.join()  # settling ``_closed`` was the thread's last act

    def _stop(self) -> None:
        assert self._closed is not None
        if self._stopped or self._thread is None:  # never started, or its start failed
            self._stopped = True
            if not self._closed.done():
                self._closed.set_result(None)
            return
        self._stopped = True
        self._queue.put(_Stop(self._closed, asyncio.get_running_loop()))

    # ---- ways in -----------------------------------------------------------------------------

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the thread, in one trip, and return its result or raise its error."""
        self._check_accepting()
        async with self._locked():
            pending = self._submit(work)
        return await pending

    async def run_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Like :meth:`run`, inside ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back if ``work`` raises."""
        return await self.run(lambda conn: _in_transaction(conn, work))

    async def run_transaction_here(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """:meth:`run_transaction` for a few statements: on the loop's thread at once when the writer is
        idle (nothing queued, running or open), else queued behind what is. ``work`` must be quick."""
        done = self.transaction_here(work)
        if done is None:
            return await self.run_transaction(work)
        return done[0]

    def transaction_here(self, work: Callable[[sqlite3.Connection], T]) -> tuple[T] | None:
        """:meth:`run_transaction_here`'s part on the loop's thread: ``(work's result,)``, or ``None``
        when the writer is not idle or another process holds the write lock (offer ``work`` to the
        thread then). Raises what ``work`` or the commit raised, rolled back."""
        self._check_accepting()
        conn = self._take_if_idle()
        if conn is None:
            return None
        try:
            # Another process may hold the write lock (a second instance on the same file, a command):
            # the loop does not wait for it, the thread does (with the connection's own busy time-out,
            # which the thread sets again before its next item: one statement per switch, not per send).
            if self._waits:
                conn.execute("PRAGMA busy_timeout=0")
                self._waits = False
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
                busy = True
            else:
                busy = False
            if not busy:
                result = _in_transaction(conn, work, begun=True)
                self._commits_here += 1
        finally:
            self._using.release()
        if busy:
            return None
        if self._commits_here - self._asked_at >= CHECKPOINT_EVERY_COMMITS:
            # The thread checkpoints after any item once enough commits landed: wake it with one.
            self._asked_at = self._commits_here
            self._submit(_nothing).add_done_callback(_drop_outcome)
        return (result,)

    def read_here(self, sql: str, params: tuple[Any, ...]) -> list[Any] | None:
        """The rows of a read on the write connection, on the loop's thread, when the writer is idle;
        ``None`` when it is not (read elsewhere then). The write connection's page cache outlives its
        own commits, where any other connection drops its cache at each of them: right after a send,
        a read costs a third of what it costs on a reader of its own (docs/performance.md)."""
        conn = self._take_if_idle()
        if conn is None:
            return None
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            self._using.release()

    def _take_if_idle(self) -> sqlite3.Connection | None:
        """The connection, held (``_using``; the caller releases it), when the writer is open and idle:
        nothing queued or running on the thread, no caller holding or waiting for ``_lock``."""
        conn = self._conn
        if (conn is None or not self._accepting or self._lock_users or self._submitted != self._finished
                or not self._using.acquire(blocking=False)):
            return None
        return conn

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """``_lock``, counted: while anyone holds or waits for it, nothing runs on the loop's side."""
        self._lock_users += 1
        try:
            async with self._lock:
                yield
        finally:
            self._lock_users -= 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WriteTransaction]:
        """A transaction fed statement by statement; committed on a clean exit, else rolled back."""
        self._check_accepting()
        async with self._locked():
            tx = WriteTransaction(self)
            try:
                yield tx
            except BaseException:
                if tx.begun:
                    try:
                        await self._submit(_rollback)
                    except Exception:  # the original error says more; closing the connection rolls back too
                        log.warning("sqlite rollback failed", exc_info=True)
                raise
            if tx.begun:
                await self._submit(_commit)

    # ---- plumbing ----------------------------------------------------------------------------

    def _check_accepting(self) -> None:
        if not self._accepting:
            raise Unavailable("backend.unavailable", backend="sqlite", detail="the store is not open")

    def _submit(self, work: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        if self._stopped or self._thread is None:
            raise Unavailable("backend.unavailable", backend="sqlite", detail="the store is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._submitted += 1
        self._queue.put((work, future, loop))
        return future

    def _serve(self, opened: asyncio.Future[None], loop: asyncio.AbstractEventLoop) -> None:
        """The thread: open, run items in order until the stop item, close."""
        try:
            conn = self._connect()
        except BaseException as exc:
            _reply(loop, opened, None, exc)
            return
        self._busy_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        self._conn = conn
        _reply(loop, opened, None, None)
        items = here_at = 0  # items run here and the loop's commits since the last checkpoint
        while not isinstance(item := self._queue.get(), _Stop):
            work, future, caller_loop = item
            with self._using:
                if not self._waits:  # the loop's side ran last, with no busy time-out
                    self._waits = _wait_again(conn, self._busy_ms)
                result, error = _run_one(conn, work)
                self._finished += 1  # before the caller resumes: it finds the writer idle
            _reply(caller_loop, future, result, error)
            items += 1
            if items + self._commits_here - here_at >= CHECKPOINT_EVERY_COMMITS:
                items, here_at = 0, self._commits_here
                with self._using:
                    _checkpoint(conn)
            del item, work, future, result, error  # hold nothing of a finished caller's while waiting
        self._conn = None
        try:
            conn.close()
        except sqlite3.Error:
            log.warning("sqlite writer: closing the connection failed", exc_info=True)
        _reply(item.loop, item.done, None, None)


def _wait_again(conn: sqlite3.Connection, busy_ms: int) -> bool:
    """On the thread: the connection's own busy time-out back; whether it took (else the item runs without)."""
    try:
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    except sqlite3.Error:
        log.warning("sqlite writer: the busy time-out could not be set", exc_info=True)
        return False
    return True


def _nothing(conn: sqlite3.Connection) -> None:
    """An item that only wakes the thread (it checkpoints after it)."""


def _drop_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("sqlite writer: an item failed", exc_info=future.exception())


def _checkpoint(conn: sqlite3.Connection) -> None:
    """On the thread, holding the connection: copy the log into the database (passive: it waits for
    no reader; what a reader still needs is copied by the next)."""
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:  # another connection on the checkpoint or write lock: expected, not a fault
        log.info("sqlite writer: checkpoint not done (%s); the next one copies what this one left", exc)


def _run_one(conn: sqlite3.Connection, work: Work) -> tuple[Any, BaseException | None]:
    """The work's result, or what it raised."""
    try:
        return work(conn), None
    except BaseException as exc:
        return None, exc


def _reply(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: Any,
           error: BaseException | None) -> None:
    """On the thread: have the caller's loop settle its future."""
    try:
        loop.call_soon_threadsafe(_settle, future, result, error)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass
