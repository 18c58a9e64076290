"""`dialer demo`: the whole dialer on the embedded defaults, against the simulated PBX.

A fresh SQLite database under ``var/``, the demo campaign (``campaigns/demo.toml``) with its sample leads and the
agentless reminder (``campaigns/reminder.toml``: its flow runs over the daemon's FastAGI server), an inbound IVR whose
account lookup reads the demo's accounts (``campaigns/ivr/demo-accounts.csv``) and which offers a callback in the demo
campaign when the wait is long (virtual hold), the
simulated PBX in-process (speaking Asterisk 22's AMI over real TCP on loopback), and simulated agents who log in,
go ready, take calls, wrap up and disposition through the same agent service and disposition path the web console
uses. The daemon itself is the production one (:func:`dialer.app.build_app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import random
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import SecretStr

from dialer.agents.registry import AgentStatus
from dialer.app import CleanupCtx, build_app
from dialer.appkeys import DIALER, SHUTDOWN
from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig, load_campaign_file
from dialer.clock import Clock
from dialer.daemon import Dialer
from dialer.daemon.agentless import IVR_ROLE
from dialer.ivr.actions import TableActions
from dialer.ivr.campaign import campaign_flow
from dialer.logging import get_logger
from dialer.private_files import make_private_dir
from dialer.provision import provision_campaign
from dialer.settings import AmiServerSettings, Settings, sqlite_url_in
from dialer.sim.ivr import INVALID, SILENCE, CallerBehaviour
from dialer.sim.model import Scenario, WorldModel, load_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.ivr import IvrCallers, call_in_to_ivr, configure_ivr_callers, route_inbound_ivr
from dialer.store.engine import delete_sqlite_files, open_database
from dialer.store.migrate import upgrade
from dialer.tasks import cancel_and_wait

log = get_logger(__name__)

DEMO_SCENARIO = "demo"
DEMO_CAMPAIGN = "demo"  # campaigns/demo.toml's name
DEMO_CAMPAIGNS = frozenset({"demo", "demo-ja", "demo-zh-cn", "reminder"})  # the campaigns the demo may reset
INBOUND_IVR_FLOW = Path("campaigns/ivr/inbound.toml")  # the inbound IVR the demo's callers dial (dialer-inbound,ivr)
# The accounts its lookup (find_account) reads: the demo's customers, as a manager loads them ([fastagi] accounts)
DEMO_ACCOUNTS = Path("campaigns/ivr/demo-accounts.csv")
UNKNOWN_ACCOUNT_SHARE = 0.2  # of the demo's inbound callers, those who key a number the table does not hold
# The simulated callers of the agentless reminder: most confirm, some cancel, ask for someone (3), say nothing,
# press a wrong key, opt out (9) or hang up.
DEMO_IVR_CALLERS = IvrCallers(
    behaviour=CallerBehaviour(
        keys={"1": 0.55, "2": 0.15, "3": 0.1, SILENCE: 0.1, INVALID: 0.1},
        opt_out_during_prompt=0.03,
        hangup_per_step=0.03,
    ),
    prompt_seconds=3.0,
)


# Of the demo's inbound callers offered a callback (the wait is long), those who take it (1); the others hold (2).
CALLBACK_SHARE = 0.5


def demo_ivr_callers(accounts: Path | None) -> IvrCallers:
    """The demo's callers: the reminder's (:data:`DEMO_IVR_CALLERS`); inbound callers key an account number -- one of
    the table's, or (:data:`UNKNOWN_ACCOUNT_SHARE`) one it does not hold -- then ask for the balance or a person, and
    when the wait is long, half of them (:data:`CALLBACK_SHARE`) ask to be called back instead of holding."""
    offer = {"inbound/wait-offer": CallerBehaviour(keys={"1": CALLBACK_SHARE, "2": 1 - CALLBACK_SHARE})}
    known = sorted(TableActions.from_csv(accounts).accounts) if accounts is not None and accounts.is_file() else []
    if not known:
        return replace(DEMO_IVR_CALLERS, by_prompt=offer)
    unknown = next(n for n in (f"{9000 + i}" for i in range(1000)) if n not in known)
    entries = {account: (1 - UNKNOWN_ACCOUNT_SHARE) / len(known) for account in known}
    entries[unknown] = UNKNOWN_ACCOUNT_SHARE
    return replace(
        DEMO_IVR_CALLERS,
        by_prompt={
            "inbound/welcome": CallerBehaviour(keys=entries, think_seconds=(1.0, 4.0)),
            "inbound/menu": CallerBehaviour(keys={"1": 0.4, "0": 0.6}),
            **offer,
        },
    )


@dataclass(frozen=True, slots=True)
class DemoPlan:
    campaign_file: Path
    leads_file: Path
    agents: int = 10
    seed: int = 1
    speed: float = 1.0
    scenario: str = DEMO_SCENARIO
    # agentless campaigns run next to the predictive one: (campaign file, lead list), e.g. the reminder
    agentless: tuple[tuple[Path, Path], ...] = ()


# The demo's agentless campaign aims to finish this long after the demo starts (its file's fixed HH:MM would be behind
# from the start whenever the demo runs after it, and say nothing about pacing then).
DEMO_FINISH_AFTER = timedelta(hours=2)


def agentless_config(campaign_file: Path, now: datetime | None = None) -> CampaignConfig:
    """An agentless campaign file with its flow checked and embedded (what ``dialer campaign apply`` stores); with
    ``now``, for the demo: a target finish :data:`DEMO_FINISH_AFTER` later (in the campaign's zone; 23:59 at the
    latest: the target is a time of the day)."""
    config = load_campaign_file(campaign_file)
    found = campaign_flow(config, campaign_file)
    if found is None:
        raise ValueError(f'{campaign_file}: not an agentless campaign (kind = "agentless")')
    _flow, table = found
    update: dict[str, object] = {"ivr": table}
    if now is not None and config.agentless.target_finish is not None:
        local = now.astimezone(ZoneInfo(config.timezone))
        finish = local + DEMO_FINISH_AFTER
        target = "23:59" if finish.date() != local.date() else finish.strftime("%H:%M")
        update["agentless"] = config.agentless.model_copy(update={"target_finish": target})
    return config.model_copy(update=update)


async def prepare_database(settings: Settings, plan: DemoPlan, now: datetime) -> dict[str, Any]:
    """Migrate, apply the demo campaign, import its leads and mark it running. Returns the import summary."""
    config = load_campaign_file(plan.campaign_file)
    async with open_database(settings.database_url) as db:
        await upgrade(db)
        summary = await provision_campaign(db, config, plan.leads_file, now)
        for campaign_file, leads_file in plan.agentless:
            await provision_campaign(db, agentless_config(campaign_file, now), leads_file, now)
    return dict(summary.as_json(None))


@dataclass
class DemoCrew:
    """Simulated agents: they act only through the agent service and the runner's disposition, like people."""

    dialer: Dialer
    config: CampaignConfig
    world: WorldModel
    clock: Clock
    agents: int
    rng: random.Random
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    dispositions: int = 0
    reclaimed: int = 0  # queue memberships a previous (crashed) demo's crew left, removed at start

    def agent_ids(self) -> list[str]:
        return [f"agent{n:02d}" for n in range(1, self.agents + 1)]

    def is_crew(self, agent_id: str) -> bool:
        """Only the simulated agents: a human signed in to the demo (``you``) is never acted for."""
        return agent_id in self._crew

    @property
    def _crew(self) -> frozenset[str]:
        return frozenset(self.agent_ids())

    async def start(self) -> None:
        service = self.dialer.agents
        queues = [self.config.queue, *sorted(self.dialer.inbound_queues)]
        for agent_id in self.agent_ids():
            # The simulated PBX's agent phones answer automatically, like a PJSIP phone with answer-after=0.
            agent = service.register(agent_id, f"Local/{agent_id}@sim-agents", agent_id)
            # Every way out (drain, a second signal) takes the crew out of the queues; a demo that crashed left
            # them in: reclaim those memberships first (on a real Asterisk they outlive the process).
            service.leave_queues_on_stop(agent_id)
            left = await service.leave_queues(agent.interface, queues)
            self.reclaimed += left
            if left:
                log.info("demo_crew_reclaimed", agent=agent_id, memberships=left)
        for agent_id in self.agent_ids():
            await service.login(agent_id, queues)
            await service.ready(agent_id)
        self.tasks.append(asyncio.create_task(self._work(), name="demo-crew"))

    async def stop(self) -> None:
        await cancel_and_wait(*self.tasks)

    async def _work(self) -> None:
        """Disposition each call after a wrap-up drawn from the world model; now and then take a short break."""
        pending: dict[str, float] = {}
        # Every call is a person to the demo's agents: no callback to schedule, no machine to mark.
        codes = [d.code for d in self.config.dispositions if not d.schedules_callback and not d.is_machine]
        runner = self.dialer.runner(self.config.name)
        while True:
            await self.clock.sleep(0.5)
            now = self.clock.now()
            for agent in self.dialer.agents.registry.agents():
                if not self.is_crew(agent.agent_id):
                    continue
                if agent.status is AgentStatus.WRAPUP and agent.agent_id not in pending:
                    pending[agent.agent_id] = now + self.world.draw_wrap(self.rng)
                elif agent.status is AgentStatus.PAUSED and agent.pause_reason == "break" and self.rng.random() < 0.05:
                    await self.dialer.agents.ready(agent.agent_id)
            for agent_id, due in list(pending.items()):
                if now < due:
                    continue
                del pending[agent_id]
                current = self.dialer.agents.registry.get(agent_id)
                if current is None or current.status is not AgentStatus.WRAPUP:
                    continue
                try:
                    if runner.attempt_of_agent(agent_id) is not None:
                        await runner.disposition(agent_id, self.rng.choice(codes), notes="demo agent")
                        self.dispositions += 1
                    else:
                        await self.dialer.agents.finish_wrapup(agent_id)
                    if self.rng.random() < 0.03:
                        await self.dialer.agents.pause(agent_id, "break")
                except Exception:
                    log.exception("demo_agent_failed", agent=agent_id)


def build_demo_app(settings: Settings, plan: DemoPlan, clock: Clock, *, real_pbx: bool = False) -> web.Application:
    """The daemon with the demo's agents; with ``real_pbx`` it dials through the Asterisk in ``settings.ami``
    (e.g. one running asterisk/lab/) instead of starting the simulated PBX."""
    scenario: Scenario = load_scenario(plan.scenario)
    config = load_campaign_file(plan.campaign_file)
    pbx = SimulatedPbx(
        # A raw bought list: one number in ten is dead, so archiving shows within the first minute.
        # It writes recordings where the daemon reads them (a campaign with recording = "all" plays them back).
        PbxConfig(
            scenario=scenario,
            seed=plan.seed,
            unallocated_share=0.08,
            invalid_share=0.02,
            monitor_dir=str(settings.recording.directory),
        ),
        clock=clock,
        host=settings.simulation.listen_host,
        port=settings.simulation.listen_port,
    )

    async def pbx_ctx(app: web.Application) -> AsyncIterator[None]:
        configure_ivr_callers(pbx.core.engine, demo_ivr_callers(settings.fastagi.accounts))
        async with pbx:
            yield

    async def crew_ctx(app: web.Application) -> AsyncIterator[None]:
        crew = DemoCrew(app[DIALER], config, WorldModel(scenario), clock, plan.agents, random.Random(plan.seed))
        await app[DIALER].pool.servers[0].client.wait_up(30)  # type: ignore[attr-defined]
        await crew.start()
        try:
            yield
        finally:
            await crew.stop()

    async def inbound_ivr_ctx(app: web.Application) -> AsyncIterator[None]:
        # callers of the inbound IVR (campaigns/ivr/inbound.toml), one a minute on average, over the daemon's FastAGI
        address = app[IVR_ROLE].address
        if address is not None and settings.fastagi.inbound_flows:
            route_inbound_ivr(pbx.core.engine, address)
            call_in_to_ivr(pbx.core, mean_gap_seconds=60.0, seed=plan.seed)
        yield

    after: list[CleanupCtx] = [crew_ctx] if real_pbx else [crew_ctx, inbound_ivr_ctx]
    return build_app(settings, clock=clock, before=[] if real_pbx else [pbx_ctx], after=after)


def parse_ami_target(text: str) -> AmiServerSettings:
    """``host:port:user:secret`` (the DIALER_TEST_AMI format) as the settings of one AMI server."""
    host, sep1, rest = text.partition(":")
    port, sep2, rest = rest.partition(":")
    user, sep3, secret = rest.partition(":")
    if not (sep1 and sep2 and sep3 and host and port.isdigit() and user and secret):
        raise ValueError(f"expected host:port:user:secret, got {text!r}")
    return AmiServerSettings(name="pbx", host=host, port=int(port), username=user, secret=SecretStr(secret))


class DemoDatabaseInUse(Exception):
    """The database the demo would reset holds campaigns other than the demo's, or another demo runs on it."""


@contextlib.contextmanager
def demo_database_held(database_url: str) -> Iterator[None]:
    """Hold the demo's SQLite database for as long as this demo runs: a second ``dialer demo`` on it is refused
    (DemoDatabaseInUse) instead of resetting it under the first. An exclusive ``flock`` on ``<database>.demo-lock``,
    which the system releases when the process ends, however it ends."""
    path = _sqlite_path(database_url)
    make_private_dir(path.parent)
    with path.with_name(path.name + ".demo-lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoDatabaseInUse(
                f"{path} is in use by another `dialer demo`: stop it first (Ctrl-C), or run this one with another "
                "database (DIALER_DATABASE_URL=sqlite+aiosqlite:///var/demo2.db dialer demo)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def demo_database_url(base: Settings) -> str:
    """The database of the demo: the one every other ``dialer`` command finds (``database_url`` of the same
    settings), so ``dialer report compliance --campaign demo`` works as printed after the demo. A PostgreSQL
    database is never reset by the demo: then it runs on ``var/demo.db`` and prints the commands with
    ``DIALER_DATABASE_URL`` set."""
    if base.database_url.startswith("sqlite"):
        return base.database_url
    return sqlite_url_in(base.var_dir, "demo.db")


def check_disposable(database_url: str) -> None:
    """Refuse to reset a SQLite database that holds anything but the demo campaign. Raises DemoDatabaseInUse."""
    path = _sqlite_path(database_url)
    if not path.is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM campaigns")}
    except sqlite3.Error:  # not a dialer database yet (no campaigns table)
        return
    others = sorted(names - DEMO_CAMPAIGNS)
    if others:
        raise DemoDatabaseInUse(
            f"{path} holds campaigns {', '.join(others)}: the demo starts from a fresh database and would erase "
            "them; run it with another database (DIALER_DATABASE_URL=sqlite+aiosqlite:///var/demo.db dialer demo)"
        )


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.split("///", 1)[1])


def demo_settings(
    base: Settings,
    port: int,
    *,
    drain_seconds: float | None = None,
    ami: AmiServerSettings | None = None,
    campaign: str = DEMO_CAMPAIGN,
) -> Settings:
    """The demo's database (:func:`demo_database_url`) and an AMI connection to the in-process simulated PBX (or
    to ``ami``); the inbound IVR's callbacks (virtual hold) are booked in ``campaign``, the demo's campaign (its
    name differs per language: ``demo``, ``demo-ja`` ...)."""
    var = base.var_dir
    make_private_dir(var)  # the database, import reports: owner-only (dialer.private_files)
    update: dict[str, Any] = {
        "database_url": demo_database_url(base),
        "ami": [ami or AmiServerSettings(name="sim", host="127.0.0.1", port=port, username="dialer")],
        # The demo world sends inbound callers to this queue; the simulated agents are blended.
        "inbound_queues": ["inbound-sales"],
        "simulation": base.simulation.model_copy(update={"enabled": True, "listen_port": port}),
        # the FastAGI server of the agentless campaign's flow and the inbound IVR: any free port (the Originates
        # carry it; the simulated PBX is told)
        "fastagi": base.fastagi.model_copy(
            update={
                "port": 0,
                "inbound_flows": [p for p in (INBOUND_IVR_FLOW,) if p.is_file()],
                "accounts": base.fastagi.accounts or (DEMO_ACCOUNTS if DEMO_ACCOUNTS.is_file() else None),
                "callback_campaign": campaign,  # the demo's database holds no other campaign for them
            }
        ),
    }
    if drain_seconds is not None:
        update["drain_timeout_seconds"] = drain_seconds
    return base.model_copy(update=update)


def reset_database(settings: Settings) -> None:
    delete_sqlite_files(_sqlite_path(settings.database_url))


def summary(dialer: Dialer) -> dict[str, Any]:
    """The same counters as `dialer status --json`, summed over campaigns, plus each campaign's status."""
    status = dialer.status()
    totals = {"attempts": 0, "connected": 0, "abandoned": 0, "requeued": 0, "archived": 0}
    live = abandoned = cut = 0
    for campaign in status["campaigns"]:
        for key in totals:
            totals[key] += campaign["counters"][key]
        live += campaign["abandon_window"]["live_answers"]
        abandoned += campaign["abandon_window"]["abandoned"]
        cut += campaign["counters"]["interrupted"].get(Outcome.ABANDONED.value, 0)
    return {
        **totals,
        "abandoned_at_the_deadline": cut,
        "abandon_rate": abandoned / live if live else 0.0,
        "live_answers": live,
        "campaigns": status["campaigns"],
        "agents": status["agents"],
    }


async def run_demo(app: web.Application, host: str, port: int, seconds: float | None) -> dict[str, Any]:
    """Serve until SIGTERM (or for ``seconds``), drain, and return the summary."""
    from dialer.app import serve

    shutdown = app[SHUTDOWN]
    if seconds is not None:
        asyncio.get_running_loop().call_later(seconds, shutdown.request_stop, "demo time is up")
    holder: dict[str, Dialer] = {}

    async def keep(app: web.Application) -> None:
        holder["dialer"] = app[DIALER]

    app.on_startup.append(keep)
    await serve(app, host, port)
    return summary(holder["dialer"]) if "dialer" in holder else {}
