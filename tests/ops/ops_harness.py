"""Ops harness: several daemons (Dialer instances, each with its own engine and owner id) on one database and one
simulated PBX, all on one ManualClock; failures injected between steps (kill a daemon, cut AMI, lose the DB)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from dialer.agents.registry import AgentStatus
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.provision import provision_campaign
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.model import parse_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.truth import OriginateRecord
from dialer.store.engine import Database, create_database
from dialer.store.migrate import upgrade
from dialer.store.tables import leads_t

# 2026-11-23 16:00 UTC = 11:00 in New York.
START_EPOCH = 1_795_449_600.0

CAMPAIGN: dict[str, Any] = {
    "name": "ops",
    "dial_mode": "predictive",
    "queue": "outbound-agents",
    "trunk": "Local/{number}@sim-pstn",
    "caller_id": {"number": "+12025550100", "name": "Ops Test"},
    "regime": "US",
    "ring_timeout_seconds": 20,
    "max_attempts": 3,
    "wrap_up_seconds": 30,
    "lease_seconds": 60,
    "retry": {
        "busy": {"delay": "60s"},
        "no_answer": {"delay": "120s"},
        "congestion": {"delay": "60s"},
        "failed": {"delay": "60s"},
        "abandoned": {"delay": "90s"},
    },
}


@dataclass
class DbSpec:
    """One database several daemons open with engines of their own."""

    url: str
    pg_schema: str | None = None

    def open(self) -> Database:
        return create_database(self.url, pg_schema=self.pg_schema)


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[DbSpec]:
    """A fresh schema in the test PostgreSQL, dropped afterwards (skipped locally without one, failed in CI)."""
    url = os.environ.get("DIALER_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail('DIALER_TEST_PG_URL is not set in CI: run `eval "$(bash tests/pg.sh start)"` first')
        pytest.skip('DIALER_TEST_PG_URL not set (run: eval "$(bash tests/pg.sh start)")')
    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield DbSpec(url, schema)
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


def scenario(
    agents: int, talk_mean: float = 30.0, talk_sd: float = 15.0, outbound: dict[str, Any] | None = None
) -> Any:
    return parse_scenario(
        {
            "scenario": {"name": "ops"},
            "agents": {"count": agents, "connect_delay_seconds": 0.3},
            "outbound": {
                "answer_probability": 0.35,
                "ring_mean_seconds": 6.0,
                "ring_sd_seconds": 3.0,
                **(outbound or {}),
            },
            "handle": {"talk_mean_seconds": talk_mean, "talk_sd_seconds": talk_sd, "wrap_mean_seconds": 3.0},
        }
    )


def clock_dt(clock: ManualClock) -> datetime:
    return datetime.fromtimestamp(clock.now(), UTC)


class Crew:
    """Agents who disposition their call of a given daemon a couple of simulated seconds into wrap-up."""

    def __init__(self, dialer: Dialer, campaign: str, clock: ManualClock) -> None:
        self.dialer, self.campaign, self.clock = dialer, campaign, clock
        self.rng = random.Random(5)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.work())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def work(self) -> None:
        runner = self.dialer.runner(self.campaign)
        seen: dict[str, float] = {}
        while True:
            await self.clock.sleep(1.0)
            now = self.clock.now()
            for agent in self.dialer.agents.registry.agents():
                if agent.status is not AgentStatus.WRAPUP:
                    seen.pop(agent.agent_id, None)
                    continue
                if now - seen.setdefault(agent.agent_id, now) < 2.0:
                    continue
                seen.pop(agent.agent_id, None)
                with contextlib.suppress(Exception):
                    if runner.attempt_of_agent(agent.agent_id) is None:
                        await self.dialer.agents.finish_wrapup(agent.agent_id)
                    else:
                        await runner.disposition(agent.agent_id, self.rng.choice(("sale", "not_interested")))


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
        await dialer.start_connections()
        for _ in range(300):
            if dialer.pool.any_up():
                break
            await asyncio.sleep(0.01)
        assert dialer.pool.any_up(), "the daemon did not log in to the simulated PBX"
        await dialer.load_campaigns()
        for agent in self.agent_ids if login_agents else []:
            dialer.agents.register(agent, f"Local/{agent}@sim-agents")
            await dialer.agents.login(agent, [self.config.queue])
            await dialer.agents.ready(agent)
        crew = Crew(dialer, self.config.name, self.clock)
        crew.start()
        daemon = Daemon(dialer, db, crew)
        self.daemons.append(daemon)
        return daemon

    @property
    def alive(self) -> list[Daemon]:
        return [d for d in self.daemons if d.alive]

    async def run(self, seconds: float, *, step: float = 0.5, until: Callable[[], bool] | None = None) -> float:
        spent = 0.0
        while spent < seconds:
            await self.clock.advance(step)
            spent += step
            await self.quiesce()
            if until is not None and until():
                break
        return spent

    async def run_until(self, condition: Callable[[], bool], *, rounds: int, step: float = 1.0) -> bool:
        """Until ``condition()``, at most ``rounds`` times: a short real-time pause (the daemon's maintenance and
        database work run in real time while the manual clock races ahead), then ``step`` simulated seconds."""
        for _ in range(rounds):
            if condition():
                return True
            await asyncio.sleep(0.05)
            await self.run(step, step=step)
        return condition()

    async def quiesce(self) -> None:
        for _ in range(200):
            busy = False
            for d in self.alive:
                runners_idle = all(r.idle for r in d.dialer.runners.values()) and d.dialer.inbound.idle
                events_idle = all(c.client._events.empty() for c in d.dialer.connections)
                busy = busy or not (runners_idle and events_idle)
            if not busy:
                return
            for d in self.alive:
                for runner in d.dialer.runners.values():
                    # Bounded: while the database is away a runner holds its updates until it is back.
                    try:
                        await asyncio.wait_for(runner.settle(), 0.2)
                    except TimeoutError:
                        return
            await asyncio.sleep(0.001)

    def _quiet(self) -> bool:
        for d in self.alive:
            dialer = d.dialer
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
        arrived). Unlike :meth:`quiesce`, which gives up quickly so a stalled database cannot hang a run, this is
        for taking exact samples of a healthy daemon."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        calm = 0
        while loop.time() < deadline:
            if self._quiet():
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


def write_leads(path: Path, count: int) -> None:
    lines = ["first_name,last_name,phone,company"]
    lines += [f"Lead{i},Test,+1212555{1000 + i:04d},Acme {i}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    world_scenario = scenario(agents, talk_mean, talk_sd, outbound)
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
        now = clock_dt(clock)
        await provision_campaign(setup, config, csv, now, region="US")
    finally:
        await setup.dispose()
    world = OpsWorld(clock, pbx, spec, config, settings, agents)
    try:
        yield world
    finally:
        for daemon in world.alive:
            await daemon.kill()
        await pbx.stop()


class TcpCut:
    """A TCP relay between a daemon and its database that can cut the line (every connection reset, new ones
    refused) and restore it: the database becomes unreachable without touching the shared server."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.cut_off = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.transport.abort()
        self._writers.discard(dst)

    def cut(self) -> None:
        self.cut_off = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.cut_off = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spec_through(self, spec: DbSpec) -> DbSpec:
        url = make_url(spec.url).set(host="127.0.0.1", port=self.port)
        return DbSpec(url.render_as_string(hide_password=False), spec.pg_schema)
