"""Fixtures of the end-to-end tier (see e2e_harness.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from e2e_harness import CAMPAIGN, START_EPOCH, Crew, World, clock_dt, scenario, write_leads

from dialer.campaign.config import load_campaign
from dialer.campaign.leadimport import LeadCsvReader
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.store.campaigns import apply_campaign, set_campaign_state
from dialer.store.engine import open_database
from dialer.store.imports import import_leads
from dialer.store.migrate import upgrade


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock(START_EPOCH)
    pbx = SimulatedPbx(
        PbxConfig(scenario=scenario(20), seed=7, newexten=False, unallocated_share=0.03, invalid_share=0.01),
        clock=clock,
    )
    await pbx.start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        var_dir=tmp_path,
        ami=[AmiServerSettings(name="sim", port=pbx.port, action_timeout_seconds=5.0)],
        pacing_tick_seconds=1.0,
    )
    config = load_campaign(CAMPAIGN, "e2e")
    leads = tmp_path / "leads.csv"
    write_leads(leads, us=500, japan=20)
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        now = clock_dt(clock)
        applied = await apply_campaign(db, config.name, config.model_dump(mode="json"), now)
        with LeadCsvReader(leads, default_region="US") as reader:
            await import_leads(
                db,
                campaign_id=applied.campaign.id,
                rows=reader,
                list_name="e2e",
                source_file=str(leads),
                now=now,
                on_error=lambda e: None,
            )
        await set_campaign_state(db, config.name, "running", now)
        dialer = Dialer(settings, db, clock=clock)
        await dialer.start_connections()
        w = World(clock, pbx, dialer, db, config)
        for _ in range(100):
            if dialer.pool.any_up():
                break
            await asyncio.sleep(0.01)
        assert dialer.pool.any_up(), "the daemon did not log in to the simulated PBX"
        await dialer.load_campaigns()
        for n in range(1, 21):
            dialer.agents.register(f"agent{n:02d}", f"Local/agent{n:02d}@sim-agents")
            await dialer.agents.login(f"agent{n:02d}", [config.queue])
            await dialer.agents.ready(f"agent{n:02d}")
        crew = Crew(w)
        crew.task = asyncio.create_task(crew.work())
        try:
            yield w
        finally:
            crew.task.cancel()
            await dialer.stop()
            await pbx.stop()
