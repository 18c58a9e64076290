"""Store fixtures: every repository test runs on SQLite (a temporary file) and on the real PostgreSQL.

PostgreSQL comes from DIALER_TEST_PG_URL (`eval "$(bash tests/pg.sh start)"`); each test gets its own schema,
dropped afterwards, so tests never see each other's rows. Without the variable the PostgreSQL cases are skipped
locally and FAIL in CI (CI=true), so a misconfigured pipeline cannot pass silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import structlog
from sqlalchemy.engine import make_url

from dialer.store import Database, create_database, upgrade


def pg_url_or_skip() -> str:
    url = os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail('DIALER_TEST_PG_URL is not set in CI: run `eval "$(bash tests/pg.sh start)"` first')
        pytest.skip('DIALER_TEST_PG_URL not set (run: eval "$(bash tests/pg.sh start)")')
    return url


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class DbTarget:
    """Where a test's database lives; ``open()`` may be called several times (separate engines, one database)."""

    url: str
    pg_schema: str | None

    def open(self) -> Database:
        return create_database(self.url, pg_schema=self.pg_schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbTarget]:
    if request.param == "sqlite":
        yield DbTarget(f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}", None)
        return
    url = pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield DbTarget(url, schema)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    database = db_target.open()
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Points the CLI at a fresh SQLite database and var dir under tmp_path."""
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DIALER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """The CLI configures structlog to print to the sys.stderr of the moment, which CliRunner swaps for a buffer
    and closes afterwards: reset the configuration so later tests do not write to a closed stream."""
    yield
    structlog.reset_defaults()
