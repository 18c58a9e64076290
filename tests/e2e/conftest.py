"""Fixtures of the end-to-end tier (see e2e_harness.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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


@contextlib.asynccontextmanager
async def make_world(
    tmp_path: Path,
    *,
    campaign: dict[str, Any] | None = None,
    us_leads: int = 500,
    japan_leads: int = 20,
    agents: int = 20,
    inbound_queues: tuple[str, ...] = (),
    crew: bool = True,
    seed: int = 7,
) -> AsyncIterator[World]:
    clock = ManualClock(START_EPOCH)
    pbx = SimulatedPbx(
        PbxConfig(scenario=scenario(agents), seed=seed, newexten=False, unallocated_share=0.03, invalid_share=0.01),
        clock=clock,
    )
    await pbx.start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        var_dir=tmp_path,
        ami=[AmiServerSettings(name="sim", port=pbx.port, action_timeout_seconds=5.0)],
        pacing_tick_seconds=1.0,
        inbound_queues=list(inbound_queues),
    )
    config = load_campaign({**CAMPAIGN, **(campaign or {})}, "e2e")
    leads = tmp_path / "leads.csv"
    write_leads(leads, us=us_leads, japan=japan_leads)
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
        for _ in range(200):
            if dialer.pool.any_up():
                break
            await asyncio.sleep(0.01)
        assert dialer.pool.any_up(), "the daemon did not log in to the simulated PBX"
        await dialer.load_campaigns()
        for n in range(1, agents + 1):
            dialer.agents.register(f"agent{n:02d}", f"Local/agent{n:02d}@sim-agents")
            await dialer.agents.login(f"agent{n:02d}", [config.queue, *inbound_queues])
            await dialer.agents.ready(f"agent{n:02d}")
        team = Crew(w) if crew else None
        if team is not None:
            team.task = asyncio.create_task(team.work())
        try:
            yield w
        finally:
            if team is not None and team.task is not None:
                team.task.cancel()
            await dialer.stop()
            await pbx.stop()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with make_world(tmp_path) as w:
        yield w
