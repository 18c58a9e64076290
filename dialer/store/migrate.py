"""Schema migrations, run from inside the package (no alembic.ini needed): `dialer db upgrade|current`."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from dialer.logging import get_logger
from dialer.store.engine import Database
from dialer.store.tables import include_in_comparison, metadata
from dialer.tasks import cancel_and_wait

log = get_logger(__name__)
BUSY_NOTICE_SECONDS = 2.0  # say that start-up waits for another writer after this long
MAX_BUSY_WAIT_SECONDS = 600.0


class DatabaseBusyError(RuntimeError):
    """Another process held the database's write lock for longer than the migration would wait."""


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


def _log_wait(message: str) -> None:
    log.warning("database busy", detail=message)


@dataclass(frozen=True)
class SchemaVersion:
    current: str | None  # None: an empty database
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "dialer.store:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration found in dialer/store/migrations/versions")
    return head


def _quiet_alembic() -> None:
    # Alembic logs every step at INFO ("Context impl SQLiteImpl."); our commands report the result themselves.
    logger = logging.getLogger("alembic")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


def _upgrade(connection: Connection, revision: str) -> None:
    _quiet_alembic()
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _current(connection: Connection) -> str | None:
    _quiet_alembic()
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(
    db: Database,
    revision: str = "head",
    *,
    on_wait: Callable[[str], None] = _log_wait,
    notice_after: float = BUSY_NOTICE_SECONDS,
    max_wait: float = MAX_BUSY_WAIT_SECONDS,
) -> SchemaVersion:
    """Bring the schema to ``revision`` (default: the newest). Safe to run again: it does nothing then.

    A schema already at ``revision`` is read, never written (no write lock: start-up next to a running import or
    daemon does not queue behind them). When another process holds the write lock, ``on_wait`` is told after
    ``notice_after`` seconds and again after each busy timeout; after ``max_wait`` seconds DatabaseBusyError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait

    async def announce() -> None:
        await asyncio.sleep(notice_after)
        on_wait("another process holds the database write lock: waiting for it to migrate the schema")

    notice = asyncio.create_task(announce())
    try:
        before = await schema_version(db)  # WAL: never waits for a writer (a rollback-journal file may)
        if before.current is not None and before.current == (before.head if revision == "head" else revision):
            return before
        while True:
            try:
                async with db.write() as conn:
                    notice.cancel()
                    await conn.run_sync(_upgrade, revision)
                break
            except OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if loop.time() >= deadline:
                    raise DatabaseBusyError(
                        f"the database stayed locked by another process for {max_wait:.0f} s; schema not migrated"
                    ) from None
                on_wait("the database is still locked by another process: still waiting to migrate the schema")
    finally:
        await cancel_and_wait(notice)
    return await schema_version(db)


async def schema_version(db: Database) -> SchemaVersion:
    async with db.read() as conn:
        current = await conn.run_sync(_current)
    return SchemaVersion(current=current, head=head_revision())


def _diff(connection: Connection) -> list[object]:
    opts = {
        "compare_type": True,
        "compare_server_default": True,
        "include_object": partial(include_in_comparison, dialect=connection.dialect.name),
    }
    context = MigrationContext.configure(connection, opts=opts)
    with warnings.catch_warnings():  # (SQLite cannot reflect expression indexes: INDEXES_BY_EXPRESSION)
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        return list(compare_metadata(context, metadata))


async def schema_differences(db: Database) -> list[object]:
    """Differences between the migrated database and the table models (empty when they agree)."""
    async with db.read() as conn:
        return await conn.run_sync(_diff)
