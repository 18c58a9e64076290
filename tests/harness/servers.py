"""Several Asterisk servers: one daemon connected to two simulated PBXs on one manual clock, agents 1-3 on ``pbxa``
and 4-6 on ``pbxb`` (``[[ami]] agent_interfaces``), each agent's phone on its own server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.provision import provision_campaign
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.store.engine import Database, create_database
from dialer.store.migrate import upgrade
from harness.campaign import scenario, write_leads
from harness.clock import START_EPOCH, clock_dt
from harness.crew import Crew
from harness.daemon import agents_ready, connect
from harness.ops import CAMPAIGN
from harness.stepping import advance

AGENTS = {"pbxa": ["agent01", "agent02", "agent03"], "pbxb": ["agent04", "agent05", "agent06"]}


@dataclass
class TwoPbxWorld:
    clock: ManualClock
    pbxs: dict[str, SimulatedPbx]
    dialer: Dialer
    db: Database
    config: CampaignConfig
    crew: Crew

    async def run(self, seconds: float, step: float = 0.5) -> None:
        # Until the daemon is idle, at most ~2.5 s of real time a step (a step that never settles must not stretch a
        # 400 s world into hours: it was seen once in a fresh-clone run).
        await advance(self.clock, lambda: [self.dialer], seconds, step=step, rounds=50, settle_timeout=0.05)

    def members(self, server: str) -> set[str]:
        queue = self.pbxs[server].core.queues.queues[self.config.queue]
        return {interface.lower() for interface in queue.members}


@contextlib.asynccontextmanager
async def two_pbx_world(tmp_path: Path, campaign: dict[str, Any] | None = None) -> AsyncIterator[TwoPbxWorld]:
    clock = ManualClock(START_EPOCH)
    pbxs: dict[str, SimulatedPbx] = {}
    for seed, name in enumerate(AGENTS, start=21):
        world = scenario(6, {"outbound": {"answer_probability": 0.45}}, name="ops")
        pbxs[name] = SimulatedPbx(PbxConfig(scenario=world, seed=seed, newexten=False), clock=clock)
        await pbxs[name].start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'servers.db'}",
        var_dir=tmp_path,
        ami=[
            AmiServerSettings(
                name=name,
                port=pbx.port,
                agent_interfaces=[f"Local/{agent}@sim-agents" for agent in AGENTS[name]],
                action_timeout_seconds=5.0,
                reconnect_max_backoff_seconds=0.5,
            )
            for name, pbx in pbxs.items()
        ],
        pacing_tick_seconds=1.0,
    )
    config = load_campaign({**CAMPAIGN, **(campaign or {})}, "servers")
    csv = tmp_path / "leads.csv"
    write_leads(csv, 600)
    db = create_database(settings.database_url)
    await upgrade(db)
    await provision_campaign(db, config, csv, clock_dt(clock), region="US")
    dialer = Dialer(settings, db, clock=clock, owner="servers-test")
    crew: Crew | None = None
    try:
        await connect(dialer, every_server=True)
        for agents in AGENTS.values():
            await agents_ready(dialer, agents, [config.queue])
        crew = Crew(dialer, config.name, clock)
        crew.start()
        await dialer.set_campaign(config.name, "start")
        yield TwoPbxWorld(clock, pbxs, dialer, db, config, crew)
    finally:
        if crew is not None:
            crew.stop()
        await dialer.stop()
        if crew is not None:
            await crew.stopped()
        await db.dispose()
        for pbx in pbxs.values():
            await pbx.stop()


def east_west_settings(tmp_path: Path, inbound_queues: list[str]) -> Settings:
    """A daemon's settings with two servers that are never connected (its pumps are fed by hand): ``east`` holds
    the phones PJSIP/1*, ``west`` PJSIP/2*; SQLite under ``tmp_path``."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
        var_dir=tmp_path,
        ami=[
            AmiServerSettings(name="east", port=1, agent_interfaces=["PJSIP/1*"]),
            AmiServerSettings(name="west", port=2, agent_interfaces=["PJSIP/2*"]),
        ],
        inbound_queues=inbound_queues,
    )
