"""An import killed mid-file (``kill -9``: no cleanup runs) on SQLite and PostgreSQL: while it runs its leads count
as "importing"; afterwards recovery deletes its staged leads, the list says interrupted, and importing the same
file again imports everything."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.campaign import imported_lead, minimal_campaign, stored_campaign
from sqlalchemy import func, select

from dialer.campaign.config import CampaignConfig
from dialer.campaign.leadimport import ImportedLead
from dialer.store import Database, upgrade
from dialer.store.imports import (
    CHUNK,
    IMPORT_TTL,
    ImportLeaseLost,
    import_leads,
    lead_imports,
    recover_interrupted_imports,
)
from dialer.store.reports import lead_totals
from dialer.store.status import lead_status
from dialer.store.tables import leads_t

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ROWS = CHUNK * 3 + 17
HANG_AT = CHUNK * 2 + 5  # two batches written, then the importer hangs until it is killed

# The importing process: reads ROWS leads, but hangs (blocking, as a stuck read would) after HANG_AT of them.
CHILD = """
import asyncio, sys, time
from datetime import UTC, datetime
sys.path.insert(0, sys.argv[6])
from harness.campaign import imported_lead
from dialer.store import create_database
from dialer.store.imports import import_leads

url, schema, campaign_id, marker, owner = sys.argv[1:6]
rows, hang_at = int(sys.argv[7]), int(sys.argv[8])

def file():
    for i in range(rows):
        if i == hang_at:
            open(marker, "w").close()
            time.sleep(3600)
        yield imported_lead(i + 1, f"+1646{i:07d}")

async def main():
    db = create_database(url, pg_schema=schema or None)
    await import_leads(db, campaign_id=int(campaign_id), rows=file(), list_name="big", source_file="big.csv",
                       now=datetime(2026, 3, 2, 17, 0, tzinfo=UTC), owner=owner or None)

asyncio.run(main())
"""


def the_file() -> Iterator[ImportedLead]:
    for i in range(ROWS):
        yield imported_lead(i + 1, f"+1646{i:07d}")


@asynccontextmanager
async def c1_database(db_target: Any) -> AsyncIterator[tuple[Database, CampaignConfig, int]]:
    """The target database, upgraded, with campaign "c1": (database, its config, its id); disposed of after."""
    db = db_target.open()
    await upgrade(db)
    try:
        config = minimal_campaign("c1", queue="q")
        campaign_id = await stored_campaign(db, config, NOW)
        yield db, config, campaign_id
    finally:
        await db.dispose()


async def count_leads(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        rows = await conn.execute(select(leads_t.c.status, func.count()).group_by(leads_t.c.status))
        return {status: int(n) for status, n in rows.all()}


@pytest.mark.parametrize("owner", ["", "import:another-host:4242:cafe"], ids=["this-host", "another-host"])
async def test_a_killed_import_is_recovered_and_can_be_imported_again(
    db_target: Any, tmp_path: Path, owner: str
) -> None:
    async with c1_database(db_target) as (db, config, campaign_id):
        marker = tmp_path / "hanging"
        args = [db_target.url, db_target.pg_schema or "", str(campaign_id), str(marker), owner]
        args += [str(Path(__file__).parents[1]), str(ROWS), str(HANG_AT)]
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, *args)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():
                assert child.returncode is None, "the importer exited early"
                assert time.monotonic() < deadline, "the importer never got half-way"
                await asyncio.sleep(0.05)
            # While it runs: its leads are "importing" (not archived, not dialable), its list is importing.
            staged = CHUNK * 2
            assert await count_leads(db) == {"archived": staged}
            status = await lead_status(db, config, campaign_id, NOW)
            assert status.by_status == {"importing": staged}
            assert status.not_dialable == {"importing": staged}
            totals = await lead_totals(db, campaign_id)
            assert totals.by_status == {"importing": staged}
            (running,) = await lead_imports(db, campaign_id)
            assert (running.state, running.staged) == ("importing", staged)
            assert await recover_interrupted_imports(db, datetime.now(UTC)) == []  # alive: left alone
        finally:
            os.kill(child.pid, signal.SIGKILL)
            await child.wait()
        assert child.returncode == -signal.SIGKILL
        assert (await count_leads(db)) == {"archived": CHUNK * 2}  # nothing cleaned up after kill -9

        now = datetime.now(UTC)
        if owner:  # a process on another host: dead once its lease has run out
            assert await recover_interrupted_imports(db, now) == []
            now += IMPORT_TTL
        assert await recover_interrupted_imports(db, now) == [running.list_id]
        assert await count_leads(db) == {}
        (failed,) = await lead_imports(db, campaign_id)
        assert (failed.state, failed.failure, failed.staged, failed.owner) == ("failed", "interrupted", 0, None)
        assert await recover_interrupted_imports(db, now) == []  # done once

        again = await import_leads(
            db, campaign_id=campaign_id, rows=the_file(), list_name="big", source_file="big.csv", now=NOW
        )
        assert (again.imported, again.duplicates) == (ROWS, 0)
        assert await count_leads(db) == {"new": ROWS}
        states = [(i.state, i.imported) for i in await lead_imports(db, campaign_id)]
        assert states == [("imported", ROWS), ("failed", 0)]


async def test_an_import_judged_dead_stops_and_keeps_nothing(db_target: Any) -> None:
    """A stalled import whose lease ran out is recovered by another process; when it wakes up it stops at its next
    write (ImportLeaseLost) instead of publishing leads of a list that says interrupted."""
    async with c1_database(db_target) as (db, _, campaign_id):
        later = datetime.now(UTC) + IMPORT_TTL * 2
        recovered: list[int] = []

        async def other_process() -> list[int]:
            other = db_target.open()  # its own engine, as another process has
            try:
                return await recover_interrupted_imports(other, later)
            finally:
                await other.dispose()

        def stalls() -> Iterator[ImportedLead]:
            for i in range(ROWS):
                if i == CHUNK + 3:  # the import stalls past its lease; meanwhile another process recovers it
                    with ThreadPoolExecutor(1) as pool:
                        recovered.extend(pool.submit(asyncio.run, other_process()).result())
                yield imported_lead(i + 1, f"+1646{i:07d}")

        with pytest.raises(ImportLeaseLost):
            await import_leads(db, campaign_id=campaign_id, rows=stalls(), list_name="big", source_file="b", now=NOW)
        assert len(recovered) == 1
        assert await count_leads(db) == {}
        (failed,) = await lead_imports(db, campaign_id)
        assert (failed.state, failed.failure) == ("failed", "interrupted")
