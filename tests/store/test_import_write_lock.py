"""A large import next to the daemon: the pacing claim gets the write lock within a bounded number of import
batches and never sees leads of an import still running; start-up migration next to a writer waits and says so."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from harness.campaign import imported_lead, minimal_campaign, stored_campaign
from sqlalchemy import func, select

from dialer.campaign.leadimport import ImportedLead, RowError
from dialer.store import Database, create_database, schema_version, upgrade
from dialer.store.imports import CHUNK, import_leads
from dialer.store.lifecycle import claim_dialable_in
from dialer.store.tables import leads_t

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # noon in New York


async def count_list(db: Database, list_id: int | None = None) -> int:
    async with db.read() as conn:
        query = select(func.count()).select_from(leads_t)
        if list_id is not None:
            query = query.where(leads_t.c.list_id == list_id)
        return int((await conn.execute(query)).scalar_one())


async def test_the_pacing_claim_is_not_held_up_by_an_import(db: Database) -> None:
    config = minimal_campaign("c1", queue="q")
    campaign_id = await stored_campaign(db, config, NOW)
    ready = await import_leads(
        db,
        campaign_id=campaign_id,
        rows=[imported_lead(i + 1, f"+1212555{i:04d}") for i in range(10)],
        list_name="ready",
        source_file="ready.csv",
        now=NOW,
    )
    first_batch_written = asyncio.Event()
    batches = 15

    def big() -> Iterator[ImportedLead | RowError]:
        for i in range(CHUNK * batches):
            if i == CHUNK + 1:
                first_batch_written.set()  # the import has flushed (and committed) its first batch
            yield imported_lead(i + 1, f"+1646{i:07d}")

    big_import = asyncio.create_task(
        import_leads(db, campaign_id=campaign_id, rows=big(), list_name="big", source_file="big.csv", now=NOW)
    )
    await first_batch_written.wait()
    async with db.write(urgent=True) as conn:  # the pacing step's write path
        batch = await claim_dialable_in(conn, config, campaign_id=campaign_id, owner="d1", limit=50, now=NOW)
        import_running = not big_import.done()
        written = int((await conn.execute(select(func.count()).select_from(leads_t))).scalar_one()) - 10
    summary = await big_import
    assert import_running
    assert written <= 2 * CHUNK  # the claim waited for one import batch at most, not for the whole file
    assert {lead.list_id for lead in batch.leads} == {ready.list_id}  # staged leads are never claimed
    assert len(batch.leads) == 10
    assert summary.imported == CHUNK * batches
    assert await count_list(db, summary.list_id) == CHUNK * batches


def hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")  # as every database the dialer has opened
    conn.execute("BEGIN IMMEDIATE")
    return conn


async def test_startup_at_head_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    db = create_database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db)
        other = hold_write_lock(path)  # e.g. an import in another process
        try:
            async with asyncio.timeout(10):
                version = await upgrade(db, notice_after=0.05)
        finally:
            other.rollback()
            other.close()
        assert version.up_to_date
    finally:
        await db.dispose()


async def test_migration_waits_for_a_busy_database_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    other = hold_write_lock(path)
    db = create_database(f"sqlite+aiosqlite:///{path}")
    said: list[str] = []
    try:
        migrating = asyncio.create_task(upgrade(db, on_wait=said.append, notice_after=0.05))
        for _ in range(400):
            if said:
                break
            await asyncio.sleep(0.025)
        assert said
        assert "waiting" in said[0]
        assert not migrating.done()
        other.rollback()
        async with asyncio.timeout(30):
            version = await migrating
        assert version.up_to_date
        assert (await schema_version(db)).up_to_date
    finally:
        other.close()
        await db.dispose()
