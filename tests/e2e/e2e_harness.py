"""End-to-end harness: the production daemon (Dialer) against the simulated PBX over real TCP, both on one
ManualClock, so a simulated hour runs in seconds and every run is reproducible."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from dialer.agents.registry import AgentStatus
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.provision import provision_campaign
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.model import parse_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.store.engine import Database, open_database
from dialer.store.migrate import upgrade

# 2026-11-23 16:00 UTC = 11:00 in New York, 01:00 in Tokyo.
START_EPOCH = 1_795_449_600.0


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
        spent = 0.0
        while spent < seconds:
            await self.clock.advance(step)
            spent += step
            await self.quiesce()
            if until is not None and spent % 30 < step and until():
                break
        return spent

    async def quiesce(self) -> None:
        for _ in range(200):
            runners_idle = all(r.idle for r in self.dialer.runners.values()) and self.dialer.inbound.idle
            events_idle = all(c.client._events.empty() for c in self.dialer.connections)
            if runners_idle and events_idle:
                return
            for runner in self.dialer.runners.values():
                await runner.settle()
            await asyncio.sleep(0.001)


class Crew:
    """Agents who disposition each call a couple of simulated seconds into wrap-up (always a final code)."""

    def __init__(self, world: World, codes: tuple[str, ...] = ("sale", "not_interested")) -> None:
        self.world = world
        self.codes = codes
        self.rng = random.Random(5)
        self.task: asyncio.Task[None] | None = None

    async def work(self) -> None:
        dialer = self.world.dialer
        runner = dialer.runner(self.world.config.name)
        seen: dict[str, float] = {}
        while True:
            await self.world.clock.sleep(1.0)
            now = self.world.clock.now()
            for agent in dialer.agents.registry.agents():
                if agent.status is not AgentStatus.WRAPUP:
                    seen.pop(agent.agent_id, None)
                    continue
                first = seen.setdefault(agent.agent_id, now)
                if now - first >= 2.0:
                    attempt = runner.attempt_of_agent(agent.agent_id)
                    if attempt is None:
                        await dialer.agents.finish_wrapup(agent.agent_id)
                    else:
                        code = self.rng.choice(self.codes)
                        self.world.dispositions[str(attempt)] = code
                        await runner.disposition(agent.agent_id, code)
                    seen.pop(agent.agent_id, None)


def scenario(agents: int, overrides: dict[str, dict[str, Any]] | None = None) -> Any:
    """The e2e world; ``overrides`` replace keys section by section (e.g. ``{"outbound": {"machine_share": 0.2}}``)."""
    sections: dict[str, dict[str, Any]] = {
        "scenario": {"name": "e2e"},
        "agents": {"count": agents, "connect_delay_seconds": 0.3},
        "outbound": {"answer_probability": 0.35, "ring_mean_seconds": 6.0, "ring_sd_seconds": 3.0},
        "handle": {"talk_mean_seconds": 30.0, "talk_sd_seconds": 15.0, "wrap_mean_seconds": 3.0},
    }
    for section, values in (overrides or {}).items():
        sections[section] = {**sections.get(section, {}), **values}
    return parse_scenario(sections)


CAMPAIGN: dict[str, Any] = {
    "name": "e2e",
    "dial_mode": "predictive",
    "queue": "outbound-agents",
    "trunk": "Local/{number}@sim-pstn",
    "caller_id": {"number": "+12025550100", "name": "E2E Test"},
    "regime": "US",
    "ring_timeout_seconds": 20,
    "max_attempts": 3,
    "wrap_up_seconds": 30,
    "retry": {
        "busy": {"delay": "60s"},
        "no_answer": {"delay": "120s"},
        "congestion": {"delay": "60s"},
        "failed": {"delay": "60s"},
        "abandoned": {"delay": "90s"},
    },
}


def write_leads(path: Path, us: int, japan: int) -> None:
    lines = ["first_name,last_name,phone,company"]
    lines += [f"Lead{i},Test,+1212555{1000 + i:04d},Acme {i}" for i in range(us)]
    lines += [f"Tanaka{i},Test,+8131234{5000 + i:04d},Nihon {i}" for i in range(japan)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def clock_dt(clock: ManualClock) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock.now(), UTC)


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
) -> AsyncIterator[World]:
    """``world`` overrides scenario sections, ``leads`` writes the lead CSV, ``ami_port`` gives the port the daemon
    connects to (e.g. a recording proxy in front of the started PBX)."""
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
    settings = Settings(
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
    )
    config = load_campaign({**CAMPAIGN, **(campaign or {})}, "e2e")
    leads_file = tmp_path / "leads.csv"
    if leads is None:
        write_leads(leads_file, us=us_leads, japan=japan_leads)
    else:
        leads(leads_file)
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        now = clock_dt(clock)
        await provision_campaign(db, config, leads_file, now, region="US", state=state)
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
