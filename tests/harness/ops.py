"""Several daemons (Dialer instances, each with its own engine and owner id) on one database and one simulated
PBX, all on one ManualClock; failures injected between steps (kill a daemon, cut AMI, lose the DB)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.provision import provision_campaign
from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerState
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.truth import OriginateRecord
from dialer.store.engine import Database
from dialer.store.migrate import upgrade
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS
from dialer.store.tables import leads_t
from harness.campaign import campaign as test_campaign
from harness.campaign import scenario, write_leads
from harness.clock import START_EPOCH, clock_dt
from harness.crew import Crew
from harness.daemon import agents_ready, connect
from harness.databases import DbSpec
from harness.stepping import advance

CAMPAIGN: dict[str, Any] = test_campaign("ops", "Ops Test", lease_seconds=60)


@dataclass
class Daemon:
    dialer: Dialer
    db: Database
    crew: Crew
    alive: bool = True

    async def kill(self) -> None:
        """Like kill -9: tasks cancelled, nothing drained, no lease released (the engine just goes away)."""
        self.crew.stop()
        self.alive = False
        await self.dialer.stop()
        await self.crew.stopped()  # (before the database goes: a disposition it was writing must end first)
        await self.db.dispose()


@dataclass
class OpsWorld:
    clock: ManualClock
    pbx: SimulatedPbx
    spec: DbSpec
    config: CampaignConfig
    settings: Settings
    agents: int
    daemons: list[Daemon] = field(default_factory=list)

    @property
    def agent_ids(self) -> list[str]:
        return [f"agent{n:02d}" for n in range(1, self.agents + 1)]

    async def start_daemon(self, owner: str, spec: DbSpec | None = None, *, login_agents: bool = True) -> Daemon:
        """A daemon up on AMI with the campaigns loaded; with ``login_agents`` its agents log in and go ready (else
        it has only the agents it takes back from stored sessions)."""
        db = (spec or self.spec).open()
        dialer = Dialer(self.settings, db, clock=self.clock, owner=owner)
        await connect(dialer)
        if login_agents:
            await agents_ready(dialer, self.agent_ids, [self.config.queue])
        crew = Crew(dialer, self.config.name, self.clock)
        crew.start()
        daemon = Daemon(dialer, db, crew)
        self.daemons.append(daemon)
        return daemon

    @property
    def alive(self) -> list[Daemon]:
        return [d for d in self.daemons if d.alive]

    def _dialers(self) -> list[Dialer]:
        return [d.dialer for d in self.alive]

    async def run(self, seconds: float, *, step: float = 0.5, until: Callable[[], bool] | None = None) -> float:
        """Advance simulated time; each step waits for the daemons only briefly (a runner whose database is away
        holds its updates until it is back)."""
        return await advance(self.clock, self._dialers, seconds, step=step, until=until, settle_timeout=0.2)

    async def run_until(self, condition: Callable[[], bool], *, rounds: int, step: float = 1.0) -> bool:
        """Until ``condition()``, at most ``rounds`` times: a short real-time pause (the daemon's maintenance and
        database work run in real time while the manual clock races ahead), then ``step`` simulated seconds."""
        for _ in range(rounds):
            if condition():
                return True
            await asyncio.sleep(0.05)
            await self.run(step, step=step)
        return condition()

    async def crash_with_calls_up(self, daemon: Daemon, seconds: float, stage: str | None = None) -> None:
        """Run ``seconds`` (then, with ``stage``, until a call is at that stage), check ``daemon`` has calls up, and
        kill it like kill -9."""
        await self.run(seconds, step=1.0)
        if stage is not None:
            assert await self.until_a_call_is(stage), f"no call reached {stage}"
        assert daemon.dialer.runner(self.config.name).in_flight, "calls should be up at the crash"
        await daemon.kill()

    async def until_a_call_is(self, stage: str) -> bool:
        """Run until a call the PBX has up is at ``stage`` (a key of CALL_STAGES); False if none got there."""
        in_stage = CALL_STAGES[stage]
        return await self.run_until(lambda: any(in_stage(r) for r in self.pbx.truth.originates), rounds=200, step=0.5)

    def quiet(self) -> bool:
        """No pacing step, update, screen-pop lookup, event, action or AMI response under way in any daemon."""
        for dialer in self._dialers():
            if not (all(r.idle for r in dialer.runners.values()) and dialer.inbound.idle):
                return False
            if dialer.agents._outbox.qsize() or any(c.client._events.qsize() for c in dialer.connections):
                return False
            if any(c.client._pending for c in dialer.connections):
                return False
        return True

    async def settled(self, max_seconds: float = 10.0) -> bool:
        """Wait (real time, bounded) until every daemon is quiet: no pacing step or update under way, no event,
        action or AMI response pending, and still so a few loop turns later (bytes already on the socket have
        arrived). Unlike :meth:`run`, whose steps give up quickly so a stalled database cannot hang a run, this is
        for taking exact samples of a healthy daemon."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        calm = 0
        while loop.time() < deadline:
            if self.quiet():
                calm += 1
                if calm >= 3:
                    return True
            else:
                calm = 0
            await asyncio.sleep(0.01)
        return False

    async def lead_rows(self) -> list[dict[str, Any]]:
        db = self.alive[0].db if self.alive else self.spec.open()
        async with db.read() as conn:
            rows = (await conn.execute(select(leads_t))).mappings().all()
        return [dict(r) for r in rows]

    def overlapping_calls(self) -> dict[str, int]:
        """Numbers the PBX saw dialled again while an earlier call to them was still up."""
        by_number: dict[str, list[tuple[float, float]]] = {}
        for record in self.pbx.truth.originates:
            end = record.ended_at if record.ended_at is not None else float("inf")
            by_number.setdefault(record.number, []).append((record.received_at, end))
        overlaps: dict[str, int] = {}
        for number, calls in by_number.items():
            calls.sort()
            for (_, ended), (started, _) in itertools.pairwise(calls):
                if started < ended:
                    overlaps[number] = overlaps.get(number, 0) + 1
        return overlaps


# The call stages a kill -9 is aimed at (issue 12 §2), read from the simulated PBX's truth.
CALL_STAGES: dict[str, Callable[[OriginateRecord], bool]] = {
    "ringing": lambda r: r.ended_at is None and r.uniqueid != "" and r.answered_at is None,
    "amd": lambda r: r.ended_at is None and r.answered_at is not None and r.queued_at is None,
    "agent_connect": lambda r: r.ended_at is None and r.queued_at is not None and r.connected_at is None,
    "talking": lambda r: r.ended_at is None and r.connected_at is not None,
}


async def overlapping_attempts(world: OpsWorld) -> int:
    """Attempts of one lead that overlap in time (an open attempt overlaps every later one of its lead)."""
    async with world.alive[0].db.read() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT a.id FROM attempts a JOIN attempts b ON a.lead_id = b.lead_id"
                    " AND a.id < b.id AND (a.ended_at IS NULL OR b.started_at < a.ended_at)"
                )
            )
        ).all()
    return len(rows)


async def attempt_rows(world: OpsWorld) -> dict[str, dict[str, object]]:
    """Every attempt row by id (as the PBX's truth names them: the DIALER_ATTEMPT)."""
    async with world.alive[0].db.read() as conn:
        rows = (await conn.execute(text("SELECT * FROM attempts"))).mappings().all()
    return {str(r["id"]): dict(r) for r in rows}


@contextlib.asynccontextmanager
async def ops_world(
    tmp_path: Path,
    spec: DbSpec,
    *,
    leads: int = 120,
    agents: int = 6,
    campaign: dict[str, Any] | None = None,
    talk_mean: float = 30.0,
    talk_sd: float = 15.0,
    seed: int = 11,
    outbound: dict[str, Any] | None = None,
    pbx_options: dict[str, Any] | None = None,
) -> AsyncIterator[OpsWorld]:
    """``outbound`` overrides the scenario's [outbound] keys, ``pbx_options`` PbxConfig fields (world shaping)."""
    clock = ManualClock(START_EPOCH)
    handle = {"talk_mean_seconds": talk_mean, "talk_sd_seconds": talk_sd}
    world_scenario = scenario(agents, {"handle": handle, "outbound": outbound or {}}, name="ops")
    pbx_config = PbxConfig(scenario=world_scenario, seed=seed, newexten=False, **(pbx_options or {}))
    pbx = SimulatedPbx(pbx_config, clock=clock)
    await pbx.start()
    settings = Settings(
        database_url=spec.url,
        var_dir=tmp_path,
        ami=[
            AmiServerSettings(name="sim", port=pbx.port, action_timeout_seconds=5.0, reconnect_max_backoff_seconds=0.5)
        ],
        pacing_tick_seconds=1.0,
    )
    config = load_campaign({**CAMPAIGN, **(campaign or {})}, "ops")
    csv = tmp_path / "leads.csv"
    write_leads(csv, leads)
    setup = spec.open()
    try:
        await upgrade(setup)
        await provision_campaign(setup, config, csv, clock_dt(clock), region="US")
    finally:
        await setup.dispose()
    world = OpsWorld(clock, pbx, spec, config, settings, agents)
    try:
        yield world
    finally:
        for daemon in world.alive:
            await daemon.kill()
        await pbx.stop()


async def take_over(world: OpsWorld, b: Daemon) -> None:
    """Run until daemon ``b``, standing by, has taken the campaign over (the dead owner's lease expired)."""
    runner_b = b.dialer.runner(world.config.name)
    await world.run(
        OWNERSHIP_TTL.total_seconds() + 3 * RENEW_SECONDS,
        until=lambda: runner_b.state is RunnerState.RUNNING,
    )
    assert runner_b.state is RunnerState.RUNNING


# Lead statuses: finished for good, and claimable again (a lead is otherwise "in_call" while its attempt is open).
FINAL = frozenset({"done", "archived", "dnc", "exhausted"})
CLAIMABLE = frozenset({"new", "retry", "callback"})


def assert_no_number_dialled_twice(world: OpsWorld) -> None:
    """The PBX got no duplicate Originate and no number was dialled again while an earlier call to it was up."""
    assert world.pbx.truth.duplicates() == {}
    assert world.overlapping_calls() == {}


async def assert_no_lead_stranded(world: OpsWorld, dead_owner: str, runner: CampaignRunner) -> None:
    """After ``dead_owner`` died and ``runner`` took its campaign: none of the dead daemon's claims is left, the
    leads in a call are the survivor's calls, and every lead is finished, claimable or in a call."""
    assert await world.settled()  # an exact sample: no update half applied
    leads = await world.lead_rows()
    assert not [r for r in leads if r["claim_owner"] == dead_owner]
    assert len([r for r in leads if r["status"] == "in_call"]) == len(runner.in_flight)
    assert {r["status"] for r in leads} <= FINAL | CLAIMABLE | {"in_call"}


async def assert_outcomes_are_the_pbxs(
    world: OpsWorld, truth: Mapping[str, OriginateRecord], rows: Mapping[str, Mapping[str, object]]
) -> None:
    """After a crash: no number dialled twice, no lead's attempts overlapping, no false abandon (a call the PBX
    connected to an agent recorded abandoned), and whatever outcome is not the PBX's is marked inferred."""
    assert_no_number_dialled_twice(world)
    assert await overlapping_attempts(world) == 0
    false_abandons = [
        a for a, r in truth.items() if r.connected_at is not None and rows.get(a, {}).get("outcome") == "abandoned"
    ]
    assert false_abandons == []
    guessed = [
        a
        for a, r in truth.items()
        if r.outcome is not None
        and rows.get(a, {}).get("outcome") not in (None, r.outcome.value)
        and not rows[a]["outcome_inferred"]
    ]
    assert guessed == []


def crash_world(
    tmp_path: Path, spec: DbSpec, *, talk_mean: float, talk_sd: float, stage: str = ""
) -> contextlib.AbstractAsyncContextManager[OpsWorld]:
    """The world the crash tests kill a daemon in: 80 leads, 5 agents, answering-machine detection on when the
    calls are to be caught in it (``stage == "amd"``, see CALL_STAGES)."""
    return ops_world(
        tmp_path,
        spec,
        leads=80,
        agents=5,
        talk_mean=talk_mean,
        talk_sd=talk_sd,
        campaign={"amd": {"enabled": stage == "amd"}},
    )
