"""The daemon recovers imports killed mid-file when it starts: their staged leads go, the list says interrupted."""

from __future__ import annotations

import asyncio
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.stepping import eventually
from harness.web import web_world
from sqlalchemy import func, select

from dialer.store import open_database
from dialer.store.imports import STAGED_REASON, lead_imports
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import lead_lists_t, leads_t


async def test_the_daemon_recovers_a_killed_import_at_start_up(tmp_path: Path, aiohttp_client: Any) -> None:
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # a process of this host that no longer exists: the killed importer
    now = datetime.now(UTC)
    async with web_world(tmp_path, campaign_running=False) as world:
        async with open_database(world.settings.database_url) as db, db.write() as conn:
            campaign_id = 1
            list_id = (
                await conn.execute(
                    lead_lists_t.insert()
                    .values(
                        campaign_id=campaign_id,
                        name="big.csv",
                        source_file="big.csv",
                        imported_at=now,
                        state="importing",
                        owner=f"import:{socket.gethostname()}:{gone.pid}:dead",
                        expires_at=now + timedelta(minutes=2),  # lease still running: the pid says it died
                    )
                    .returning(lead_lists_t.c.id)
                )
            ).scalar_one()
            staged = [
                NewLead(phone=f"+1646555{i:04d}", status="archived", next_dialable_at=now, archive_reason=STAGED_REASON)
                for i in range(30)
            ]
            assert await insert_new_leads(conn, campaign_id, list_id, staged, now) == 30
        await aiohttp_client(world.app)  # the daemon starts

        async def recovered() -> Any:
            lists = {i.list_id: i for i in await lead_imports(world.dialer.db)}
            return lists[list_id] if lists[list_id].state == "failed" else None

        done = await eventually(recovered)
        assert done.failure == "interrupted"
        async with world.dialer.db.read() as conn:
            left = await conn.execute(select(func.count()).select_from(leads_t).where(leads_t.c.list_id == list_id))
            assert left.scalar_one() == 0
