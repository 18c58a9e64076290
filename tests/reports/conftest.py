"""Fixtures of the report tests: the synthetic history (reports_history.py) on SQLite and on the real PostgreSQL
(each test its own schema), like the store's tests. The CLI tests use the SQLite copy (a URL is enough)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import structlog
from reports_history import History, build_history
from sqlalchemy.engine import make_url

from dialer.store import create_database, upgrade


def _pg_url_or_skip() -> str:
    url = os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail('DIALER_TEST_PG_URL is not set in CI: run `eval "$(bash tests/pg.sh start)"` first')
        pytest.skip('DIALER_TEST_PG_URL not set (run: eval "$(bash tests/pg.sh start)")')
    return url


async def _sqlite_history(tmp_path: Path) -> AsyncIterator[History]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reports.db'}"
    db = create_database(url)
    await upgrade(db)
    try:
        yield await build_history(db, url)
    finally:
        await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def history(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[History]:
    if request.param == "sqlite":
        async for h in _sqlite_history(tmp_path):
            yield h
        return
    url = _pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        db = create_database(url, pg_schema=schema)
        await upgrade(db)
        try:
            yield await build_history(db, url)
        finally:
            await db.dispose()
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
async def sqlite_history(tmp_path: Path) -> AsyncIterator[History]:
    async for h in _sqlite_history(tmp_path):
        yield h


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    # CliRunner closes the stream configure_logging bound structlog to; keep later tests logging to a live one.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
