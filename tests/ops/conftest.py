"""Ops tier fixtures: databases several daemons share (the harness lives in ops_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ops_harness import DbSpec, pg_schema


@pytest.fixture
async def pg_spec() -> AsyncIterator[DbSpec]:
    async with pg_schema() as spec:
        yield spec


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_spec(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbSpec]:
    """SQLite (a temporary file) and the real PostgreSQL."""
    if request.param == "sqlite":
        yield DbSpec(f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}")
        return
    async with pg_schema() as spec:
        yield spec


@pytest.fixture
def sqlite_spec(tmp_path: Path) -> DbSpec:
    return DbSpec(f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}")
