"""Fixtures of the report tests: the synthetic history (reports_history.py) on SQLite and on the real PostgreSQL
(each test its own schema), like the store's tests. The CLI tests use the SQLite copy (a URL is enough)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness.databases import BOTH_DATABASES, database_spec, migrated
from reports_history import History, build_history


@contextlib.asynccontextmanager
async def _history(kind: str, tmp_path: Path) -> AsyncIterator[History]:
    async with database_spec(kind, tmp_path / "reports.db") as spec, migrated(spec) as db:
        yield await build_history(db, spec.url)


@pytest.fixture(params=BOTH_DATABASES)
async def history(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[History]:
    async with _history(request.param, tmp_path) as h:
        yield h


@pytest.fixture
async def sqlite_history(tmp_path: Path) -> AsyncIterator[History]:
    async with _history("sqlite", tmp_path) as h:
        yield h
