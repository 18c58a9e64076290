"""The async engine and transactions.

SQLite (aiosqlite): WAL so readers never wait for the writer, a busy timeout so writers queue instead of failing,
foreign keys on, and write transactions opened with ``BEGIN IMMEDIATE`` so two writers never both start reading
and then deadlock on the upgrade to a write lock. PostgreSQL (asyncpg): a plain pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from asyncio.trsock import TransportSocket
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from dialer.logging import get_logger
from dialer.private_files import create_private_file
from dialer.store.errors import NoDatabaseError
from dialer.store.sqlite_onetrip import one_trip_statements
from dialer.tasks import cancel_and_wait
from dialer.tcp_keepalive import keep_alive

SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLite copies the WAL back into the database ("checkpoint") inside whichever commit crosses this many pages; at
# the default 1 000 that is every few claims and adds 15-30 ms to that claim. With `checkpoints()` running (the
# daemon does), checkpoints happen off the hot path and this threshold is only a safety net.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
_BEGIN_MODE = "dialer_sqlite_begin"
log = get_logger(__name__)


class WriterQueue:
    """SQLite's one writer of this process, handed over in arrival order, except that urgent writers (the pacing
    step, whose claim an agent waits for) go ahead of every writer not urgent still waiting. Not re-entrant."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._normal)

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[Callable[[], None]]:
        """Hold the writer for the block; the function given hands it on earlier (once: the block's end does then
        nothing more)."""
        await self._acquire(urgent)
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._release()

        try:
            yield release
        finally:
            release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._busy and not self.waiting:
            self._busy = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed over just as the waiter was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):  # a release may already have skipped it
                    queue.remove(turn)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the writer stays busy: handed straight to the next one
                    return
        self._busy = False


class Database:
    """One database: its engine, read and write transactions, and an ORM session factory."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
        # SQLite has one writer. Writers of this process queue here (see WriterQueue) instead of inside SQLite, whose
        # busy handler sleeps in steps of up to 100 ms and wakes late (seen as 35-80 ms p99 waits and 2 s outliers
        # in the daemon benchmark). Other processes are still covered by busy_timeout. Not re-entrant: a write
        # transaction must not open another one.
        self._sqlite_writer = WriterQueue()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on success, rolled back on any exception. ``urgent``: on SQLite, ahead
        of the other writers of this process still waiting (PostgreSQL has no single writer to queue for)."""
        if not self.is_sqlite:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._sqlite_writer.hold(urgent=urgent) as hand_on, self.engine.connect() as conn:
            await conn.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
            try:
                async with conn.begin():
                    yield conn
            finally:
                # Committed or rolled back: the write lock is free. The next writer does not wait for the
                # connection's return to the pool too, which SQLAlchemy runs in a task of its own on leaving
                # ``engine.connect()`` (a turn or two of the event loop behind whatever else is ready there;
                # docs/benchmarks.md §2.1.1).
                hand_on()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database without blocking readers or writers (no-op elsewhere)."""
        if self.is_sqlite:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    @asynccontextmanager
    async def checkpoints(self, interval_seconds: float = 1.0) -> AsyncIterator[None]:
        """Run ``checkpoint()`` every ``interval_seconds`` while the block runs (for the daemon's lifetime)."""
        if not self.is_sqlite:
            yield
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_seconds)
                try:
                    await self.checkpoint()
                except Exception as exc:  # a failed checkpoint is retried next time; the WAL just grows meanwhile
                    log.warning("sqlite checkpoint failed", error=str(exc))

        task = asyncio.create_task(loop(), name="sqlite-checkpoints")
        try:
            yield
        finally:
            await cancel_and_wait(task)

    async def dispose(self) -> None:
        await self.engine.dispose()

    def time_statements(self, record: Callable[[str, float], None]) -> None:
        """Call ``record(statement, seconds)`` after every statement this database runs (the benchmarks' view of
        what each query costs; on SQLite ``BEGIN IMMEDIATE``'s time is the wait for the write lock)."""

        def before(conn: Connection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            conn.info["dialer_statement_started"] = time.perf_counter()

        def after(conn: Connection, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            started = conn.info.pop("dialer_statement_started", None)
            if started is not None:
                record(statement, time.perf_counter() - started)

        event.listen(self.engine.sync_engine, "before_cursor_execute", before)
        event.listen(self.engine.sync_engine, "after_cursor_execute", after)


def delete_sqlite_files(path: Path) -> None:
    """Delete the SQLite database at ``path`` with its WAL and shared-memory files (``-wal``, ``-shm``): what a
    fresh database replaces. Files already gone are no error."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    one_trip_statements(dbapi_connection)  # each statement one trip to aiosqlite's thread (dialer.store.sqlite_onetrip)
    # Take transaction control away from the driver: SQLAlchemy's "begin" hook below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_database(url: str, *, echo: bool = False, pg_schema: str | None = None, create: bool = True) -> Database:
    """Build the engine for ``url`` (sqlite+aiosqlite:// or postgresql+asyncpg://); nothing is opened yet.

    ``pg_schema`` puts every table in that PostgreSQL schema (it must exist), via the connection's search_path.
    A SQLite file that does not exist is created owner-only (0600, its new folders 0700; SQLite gives its -wal and
    -shm files the database file's mode) -- or, with ``create=False`` (a command that only reads),
    :class:`NoDatabaseError` is raised instead.
    """
    parsed = make_url(url)
    # Every use of a connection ends its transaction explicitly (commit, or rollback on error), so the pool's
    # extra ROLLBACK on check-in -- one more round trip to the driver thread per transaction -- is skipped.
    kwargs: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            if create:
                create_private_file(path)  # people's numbers: owner-only (dialer.private_files)
            elif not path.exists():
                raise NoDatabaseError(str(path))
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        if pg_schema is not None:
            kwargs["connect_args"] = {"server_settings": {"search_path": pg_schema}}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        event.listen(engine.sync_engine, "connect", _postgres_connect)
    return Database(engine)


def _postgres_connect(dbapi_connection: object, record: ConnectionPoolEntry) -> None:
    """Each new PostgreSQL connection is probed when silent (dialer.tcp_keepalive): a database host gone without
    closing its connections (powered off, cut off) fails the queries waiting on them after about two minutes, which
    the callers retry on a fresh connection, instead of holding the daemon's writes for the ~15 minutes the kernel's
    retransmissions take. asyncpg offers no option for it: its connection's transport gives the socket."""
    sock = postgres_socket(record)
    if sock is not None:
        keep_alive(sock)


def postgres_socket(record: ConnectionPoolEntry | PoolProxiedConnection) -> TransportSocket | None:
    """The socket of a pooled asyncpg connection (None for another driver)."""
    transport = getattr(record.driver_connection, "_transport", None)
    if transport is None:
        return None
    sock: TransportSocket | None = transport.get_extra_info("socket")
    return sock


@asynccontextmanager
async def open_database(
    url: str, *, echo: bool = False, pg_schema: str | None = None, create: bool = True
) -> AsyncIterator[Database]:
    """``async with open_database(url) as db:`` -- disposes the pool on exit (``create``: :func:`create_database`)."""
    db = create_database(url, echo=echo, pg_schema=pg_schema, create=create)
    try:
        yield db
    finally:
        await db.dispose()


P = ParamSpec("P")
T = TypeVar("T")


def in_write_transaction(
    work: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
) -> Callable[Concatenate[Database, P], Awaitable[T]]:
    """``work``, written to run inside the caller's write transaction, as a function of the database that runs it
    in a write transaction of its own (same arguments after the first)."""

    async def in_own_transaction(db: Database, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with db.write() as conn:
            return await work(conn, *args, **kwargs)

    in_own_transaction.__doc__ = f"{work.__name__} in a write transaction of its own."
    return in_own_transaction
