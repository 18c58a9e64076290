"""Schema migrations, run from inside the package (no alembic.ini needed): `dialer db upgrade|current`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from dialer.store.engine import Database
from dialer.store.tables import include_in_comparison, metadata


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


async def upgrade(db: Database, revision: str = "head") -> SchemaVersion:
    """Bring the schema to ``revision`` (default: the newest). Safe to run again: it does nothing then."""
    async with db.write() as conn:
        await conn.run_sync(_upgrade, revision)
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
    return list(compare_metadata(context, metadata))


async def schema_differences(db: Database) -> list[object]:
    """Differences between the migrated database and the table models (empty when they agree)."""
    async with db.read() as conn:
        return await conn.run_sync(_diff)
