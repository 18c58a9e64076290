"""The migrations create exactly the schema the table models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from dialer.store import Database, schema_differences, schema_version, upgrade
from dialer.store.tables import campaigns_t


async def test_migrated_schema_equals_models(db: Database) -> None:
    assert await schema_differences(db) == []


async def test_upgrade_is_idempotent_and_reports_head(db: Database) -> None:
    again = await upgrade(db)
    assert again.up_to_date
    assert again.current == (await schema_version(db)).head


async def test_empty_database_has_no_revision(db_target: Any) -> None:
    fresh = db_target.open()
    try:
        version = await schema_version(fresh)
        assert version.current is None
        assert not version.up_to_date
    finally:
        await fresh.dispose()


async def test_datetimes_are_stored_utc_and_come_back_aware(db: Database) -> None:
    paris_summer = timezone(timedelta(hours=2))
    at = datetime(2026, 7, 1, 12, 30, tzinfo=paris_summer)
    async with db.write() as conn:
        await conn.execute(
            campaigns_t.insert().values(name="c", config={}, state="stopped", created_at=at, updated_at=at)
        )
    async with db.read() as conn:
        stored = (await conn.execute(select(campaigns_t.c.created_at))).scalar_one()
    assert stored == at
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 10


async def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 7, 1, 12, 30)
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as conn:
            await conn.execute(
                campaigns_t.insert().values(name="c", config={}, state="stopped", created_at=naive, updated_at=naive)
            )
    async with db.read() as conn:
        assert (await conn.execute(select(campaigns_t.c.id))).first() is None


async def test_background_checkpoints_run_and_stop_cleanly(db: Database) -> None:
    now = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    async with db.checkpoints(interval_seconds=0.01):
        for i in range(5):
            async with db.write() as conn:
                await conn.execute(
                    campaigns_t.insert().values(
                        name=f"c{i}", config={}, state="stopped", created_at=now, updated_at=now
                    )
                )
            await asyncio.sleep(0.01)
    await db.checkpoint()
    async with db.read() as conn:
        assert len((await conn.execute(select(campaigns_t.c.id))).all()) == 5
