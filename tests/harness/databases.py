"""The databases tests run on: a SQLite file, or a fresh schema in the test PostgreSQL (dropped afterwards), each
openable several times (separate engines on one database, as several daemons or processes have).

PostgreSQL comes from DIALER_TEST_PG_URL (`eval "$(bash tests/pg.sh start)"`). Without it the PostgreSQL cases are
skipped locally and FAIL in CI (CI=true), so a misconfigured pipeline cannot pass silently.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from dialer.store import Database, create_database, upgrade

# Fixture parameters: every case on SQLite and on the real PostgreSQL.
BOTH_DATABASES: list[Any] = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class DbSpec:
    """Where a test's database lives; ``open()`` may be called several times (separate engines, one database)."""

    url: str
    pg_schema: str | None = None

    def open(self) -> Database:
        return create_database(self.url, pg_schema=self.pg_schema)


def sqlite_spec(path: Path) -> DbSpec:
    return DbSpec(f"sqlite+aiosqlite:///{path}")


def pg_url_or_skip() -> str:
    url = os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail('DIALER_TEST_PG_URL is not set in CI: run `eval "$(bash tests/pg.sh start)"` first')
        pytest.skip('DIALER_TEST_PG_URL not set (run: eval "$(bash tests/pg.sh start)")')
    return url


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[DbSpec]:
    """A fresh schema in the test PostgreSQL, dropped afterwards."""
    url = pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield DbSpec(url, schema)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@contextlib.asynccontextmanager
async def database_spec(kind: str, sqlite_path: Path) -> AsyncIterator[DbSpec]:
    """``kind`` one of BOTH_DATABASES: a SQLite file at ``sqlite_path``, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield sqlite_spec(sqlite_path)
        return
    async with pg_schema() as spec:
        yield spec


@contextlib.asynccontextmanager
async def migrated(spec: DbSpec) -> AsyncIterator[Database]:
    """An engine on ``spec``'s database, migrated to the head revision, disposed afterwards."""
    database = spec.open()
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()
