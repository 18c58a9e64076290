"""End-to-end world: the production daemon (Dialer) against the simulated PBX over real TCP, both on one
ManualClock, so a simulated hour runs in seconds and every run is reproducible."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.demo import DEMO_CAMPAIGN, demo_settings
from dialer.provision import provision_campaign
from dialer.runner.bus import Notification
from dialer.scheduler import CampaignScheduler
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.ivr import agi_sessions_awaiting_daemon
from dialer.store.engine import Database, open_database
from dialer.store.migrate import upgrade
from harness.bus import taken
from harness.campaign import campaign as test_campaign
from harness.campaign import scenario, write_leads
from harness.clock import START_EPOCH, clock_dt
from harness.crew import Crew
from harness.daemon import agents_ready, connect
from harness.paths import REPO
from harness.stepping import advance, quiesce, wait_real

CAMPAIGN: dict[str, Any] = test_campaign("e2e", "E2E Test")


def demo_run_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int, *, campaign: str = DEMO_CAMPAIGN
) -> Settings:
    """The demo's settings (:func:`dialer.demo.demo_settings`, its var dir ``tmp_path``, its simulated PBX on
    ``port``, its campaign ``campaign``), the test moved into the checkout: the demo names its files relative to
    it, as `make run` runs it."""
    monkeypatch.chdir(REPO)
    return demo_settings(Settings().model_copy(update={"var_dir": tmp_path}), port, campaign=campaign)


@dataclass
class World:
    clock: ManualClock
    pbx: SimulatedPbx
    dialer: Dialer
    db: Database
    config: CampaignConfig
    dispositions: dict[str, str] = field(default_factory=dict)

    async def run(self, seconds: float, *, step: float = 0.5, until: Callable[[], bool] | None = None) -> float:
        """Advance simulated time in steps, letting the daemon catch up after each; returns the time spent."""
        return await advance(self.clock, lambda: [self.dialer], seconds, step=step, until=until)

    async def quiesce(self) -> None:
        await quiesce([self.dialer])

    def scheduler_with(self, job_id: str) -> CampaignScheduler:
        """The daemon's scheduler, once seen to register the job ``job_id`` with the real APScheduler (started, then
        shut down at once: the test runs the job itself, on the dialer clock)."""
        scheduler = CampaignScheduler(self.dialer)
        scheduler.start()
        try:
            assert scheduler.scheduler.get_job(job_id) is not None, f"no job {job_id!r}"
        finally:
            scheduler.shutdown()
        return scheduler

    async def rows(self, table: Any) -> list[dict[str, Any]]:
        """Every row of ``table`` in the daemon's database, as dicts."""
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(select(table))).mappings().all()]

    async def run_serving_agi(self, seconds: float, each_step: Callable[[], None] | None = None) -> None:
        """Advance in half seconds; after each, let the daemon and its FastAGI exchanges (real TCP) catch up: no
        simulated caller moves on while the daemon is still answering one (however loaded the machine). Bounded: a
        daemon that never answers fails the test's assertions. ``each_step`` runs after every step."""
        spent = 0.0
        engine = self.pbx.core.engine
        while spent < seconds:
            await self.run(0.5)
            spent += 0.5
            for _ in range(5):
                await asyncio.sleep(0)
            await self.quiesce()
            await wait_real(lambda: not agi_sessions_awaiting_daemon(engine), 10.0, every=0.005)
            if each_step is not None:
                each_step()

    async def run_taking_pops(
        self, seconds: float, pops: list[Notification], notes: asyncio.Queue[Notification]
    ) -> None:
        """:meth:`run_serving_agi`, the screen pops waiting on the bus subscription ``notes`` appended to ``pops``
        after every step (the other notes taken off)."""
        await self.run_serving_agi(seconds, lambda: pops.extend(taken(notes, "screen_pop")))


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
    world: dict[str, dict[str, Any]] | None = None,
    leads: Callable[[Path], None] | None = None,
    ami_port: Callable[[SimulatedPbx], Awaitable[int]] | None = None,
    ami_secret: str = "dialer",
    state: str = "running",
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[World]:
    """``world`` overrides scenario sections, ``leads`` writes the lead CSV, ``ami_port`` gives the port the daemon
    connects to (e.g. a recording proxy in front of the started PBX); ``settings``: more daemon settings."""
    clock = ManualClock(START_EPOCH)
    pbx = SimulatedPbx(
        PbxConfig(
            scenario=scenario(agents, world),
            seed=seed,
            newexten=False,
            unallocated_share=0.03,
            invalid_share=0.01,
            users=(("dialer", ami_secret),),
        ),
        clock=clock,
    )
    await pbx.start()
    daemon_settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        var_dir=tmp_path,
        ami=[
            AmiServerSettings(
                name="sim",
                port=await ami_port(pbx) if ami_port else pbx.port,
                secret=SecretStr(ami_secret),
                action_timeout_seconds=5.0,
            )
        ],
        pacing_tick_seconds=1.0,
        inbound_queues=list(inbound_queues),
        **(settings or {}),
    )
    config = load_campaign({**CAMPAIGN, **(campaign or {})}, "e2e")
    leads_file: Path | None = tmp_path / "leads.csv"
    if leads is not None:
        leads(leads_file)
    elif us_leads or japan_leads:
        write_leads(leads_file, us=us_leads, japan=japan_leads)
    else:  # a campaign with no leads at all (a lead file with no rows is refused)
        leads_file = None
    async with open_database(daemon_settings.database_url) as db:
        await upgrade(db)
        await provision_campaign(db, config, leads_file, clock_dt(clock), region="US", state=state)
        dialer = Dialer(daemon_settings, db, clock=clock)
        w = World(clock, pbx, dialer, db, config)
        await connect(dialer)
        agent_ids = [f"agent{n:02d}" for n in range(1, agents + 1)]
        await agents_ready(dialer, agent_ids, [config.queue, *inbound_queues])
        team = Crew(dialer, config.name, clock, dispositions=w.dispositions) if crew else None
        if team is not None:
            team.start()
        try:
            yield w
        finally:
            if team is not None:
                team.stop()
            await dialer.stop()
            await pbx.stop()
