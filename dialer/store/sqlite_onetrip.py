"""SQLite statements in one trip to the driver's thread, not three or four.

SQLAlchemy's aiosqlite adapter runs each statement as separate calls on aiosqlite's worker thread: open a cursor,
execute, fetch the rows, close the cursor -- each a hand-over to the thread and back to the event loop. Each
hand-over waits for the loop's turn (and for the GIL), so on a loaded daemon a write transaction of five statements
cost some twenty of them: the pacing step's claim spent most of its time there, and every writer held SQLite's one
write lock that much longer (``docs/benchmarks.md`` §2).

:class:`OneTripCursor` does the same four calls in one function on the worker thread: the same SQL on the same
``sqlite3`` connection, in the same order, with the same rows, row count, last row id and description; errors are
translated by the adapter as before. :func:`one_trip_statements` swaps it in on a new aiosqlite connection.

It leans on SQLAlchemy's aiosqlite adapter classes and on aiosqlite's ``Connection._execute`` (run a function on the
connection's thread) and ``_conn``: both packages are pinned (pyproject.toml); tests/store/test_sqlite_onetrip.py
says whether a new version still fits.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


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
            await_(self._statement(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            await_(self._statement(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(_run, driver._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        """sqlite3 has one result set per statement."""


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


def one_trip_statements(dbapi_connection: Any) -> None:
    """Make a new aiosqlite connection of SQLAlchemy's adapter run each statement in one trip (other drivers'
    connections are left as they are)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
