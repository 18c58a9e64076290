"""Store fixtures: every repository test runs on SQLite (a temporary file) and on the real PostgreSQL.

Each PostgreSQL test gets its own schema, dropped afterwards, so tests never see each other's rows (see
harness/databases.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness.databases import BOTH_DATABASES, DbSpec, database_spec, migrated

from dialer.store import Database


@pytest.fixture(params=BOTH_DATABASES)
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbSpec]:
    async with database_spec(request.param, tmp_path / "dialer.db") as spec:
        yield spec


@pytest.fixture
async def db(db_target: DbSpec) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    async with migrated(db_target) as database:
        yield database
