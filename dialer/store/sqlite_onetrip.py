"""SQLite statements in one trip to the driver's thread, not three or four.

SQLAlchemy's aiosqlite adapter runs each statement as separate calls on aiosqlite's worker thread: open a cursor,
execute, fetch the rows, close the cursor -- each a hand-over to the thread and back to the event loop. Each
hand-over waits for the loop's turn (and for the GIL), so on a loaded daemon a write transaction of five statements
cost some twenty of them: the pacing step's claim spent most of its time there, and every writer held SQLite's one
write lock that much longer (``docs/benchmarks.md`` §2).

:class:`OneTripCursor` does the same four calls in one function on the worker thread: the same SQL on the same
``sqlite3`` connection, in the same order, with the same rows, row count, last row id and description; errors are
translated by the adapter as before. :func:`one_trip_statements` swaps it in on a new aiosqlite connection.

A *brief* transaction (:func:`brief_transaction`: the daemon's hot writers -- the pacing step's claim, a call's
outcome, a call's progress) makes no trip at all once it holds SQLite's write lock: its statements and its COMMIT
run on the calling (event loop's) thread. Each trip returns to the loop only when the loop next gets to it, behind
whatever else is ready there (the previous writer's own continuation first: a claim's Originates), so a write lock
held across trips was held through that work too: ~7 ms p50 for 0.3 ms of SQLite work (``docs/benchmarks.md``
§2.1.1). Held, the lock has nothing left to wait for (WAL: readers never block the writer; ``synchronous=NORMAL``:
COMMIT appends to the WAL without an fsync, as before), so these statements cost the loop only their own work. Its
``BEGIN IMMEDIATE`` is tried there too without waiting (a busy timeout of 0); if another connection holds the lock
(another process, or a writer outside :class:`dialer.store.engine.WriterQueue`) it waits on the driver's thread as
any other. The durability is the same: COMMIT returns before the caller goes on.

It leans on SQLAlchemy's aiosqlite adapter classes and on aiosqlite's ``Connection._execute`` (run a function on the
connection's thread) and ``_conn``: both packages are pinned (pyproject.toml); tests/store/test_sqlite_onetrip.py
says whether a new version still fits.
"""

from __future__ import annotations

import collections
import sqlite3
import weakref
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")
Outcome = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid

# A connection's brief transaction: its BEGIN next, or begun (the write lock held); absent: none.
_Brief = Literal["begin next", "held"]
_brief: weakref.WeakKeyDictionary[aiosqlite.Connection, _Brief] = weakref.WeakKeyDictionary()


def _run(connection: sqlite3.Connection, operation: Any, parameters: Any, many: bool) -> Outcome:
    """On the driver's thread: what aiosqlite's cursor would do in its four calls."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


async def _here(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on the event loop's thread, as an awaitable that never suspends: SQLAlchemy's async layer
    wants each statement to await something, and this hands nothing to another thread nor the turn to the loop."""
    return function(*args)


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose execute is one trip to aiosqlite's thread (rows fetched there, cursor closed)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No driver cursor is opened here (the base class opens one: a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before any insert, as sqlite3 says

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing is left open on the driver (the rows are here already)."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            match _brief.get(self._connection):
                case None:
                    await_(self._statement(operation, parameters, many=False))
                case "begin next" if str(operation).startswith("BEGIN"):
                    self._begin_brief(operation, parameters)
                case "begin next":  # (not the BEGIN it was marked for: an ordinary transaction after all)
                    del _brief[self._connection]
                    await_(self._statement(operation, parameters, many=False))
                case "held":
                    self._keep(await_(_here(_run, self._connection._conn, operation, parameters, False)))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            if _brief.get(self._connection) == "held":
                self._keep(await_(_here(_run, self._connection._conn, operation, seq_of_parameters, True)))
            else:
                await_(self._statement(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def _begin_brief(self, operation: Any, parameters: Any) -> None:
        """A brief transaction's BEGIN: here if the write lock is free, else on the driver's thread (waiting for it
        there as any statement does). Either way its statements then run here."""
        driver = self._connection
        del _brief[driver]  # if BEGIN fails, the connection's next transaction is an ordinary one
        conn: sqlite3.Connection = driver._conn
        (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA busy_timeout=0")
        try:
            self._keep(await_(_here(_run, conn, operation, parameters, False)))
            free = True
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # (extended codes: SQLITE_BUSY_*)
                raise
            free = False
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(timeout)}")
        if not free:
            await_(self._statement(operation, parameters, many=False))
        _brief[driver] = "held"

    def _keep(self, outcome: Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(_run, driver._conn, operation, parameters, many)
        self._keep(outcome)

    def nextset(self) -> None:
        """sqlite3 has one result set per statement."""


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def commit(self) -> None:
        if _brief.pop(self._connection, None) == "held":
            try:
                await_(_here(self._connection._conn.commit))
            except Exception as error:
                self._handle_exception(error)
        else:
            super().commit()

    def rollback(self) -> None:
        if _brief.pop(self._connection, None) == "held":
            try:
                await_(_here(self._connection._conn.rollback))
            except Exception as error:
                self._handle_exception(error)
        else:
            super().rollback()


def brief_transaction(dbapi_connection: Any) -> None:
    """The next transaction on this connection (its BEGIN is the next statement) is brief: a few small statements,
    run on the caller's thread once it holds the write lock (module docstring). The connection must have been
    opened with ``check_same_thread=False``. Other drivers' connections are left as they are."""
    if isinstance(dbapi_connection, OneTripConnection):
        _brief[dbapi_connection._connection] = "begin next"


def one_trip_statements(dbapi_connection: Any) -> None:
    """Make a new aiosqlite connection of SQLAlchemy's adapter run each statement in one trip (other drivers'
    connections are left as they are)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
