"""Fixtures of the report tests: the synthetic history (reports_history.py) on a temporary SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from reports_history import History, build_history

from dialer.store import create_database, upgrade


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[History]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reports.db'}"
    db = create_database(url)
    await upgrade(db)
    try:
        yield await build_history(db, url)
    finally:
        await db.dispose()


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    # CliRunner closes the stream configure_logging bound structlog to; keep later tests logging to a live one.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
