"""`dialer bench daemon`: the production daemon under ~2 000 calls in flight (issue 5, part 8).

The simulated PBX runs as a separate process (``dialer sim-pbx``), so the CPU and memory figures are the daemon's
alone. The daemon is the production :class:`dialer.daemon.Dialer` on a fresh SQLite file, one power-mode campaign
with tens of thousands of leads spread over time zones, and simulated agents who log in, take calls and disposition
them through the agent service and the runner's disposition path (:class:`dialer.demo.DemoCrew`).

The world is sized so that about half the agents are busy while ``--calls`` calls are in flight: with power ratio
``r`` the runner keeps ``r × ready`` calls dialling; each dial lives ``L`` seconds on average (most ring out at the
timeout), so it places ``λ = calls / L`` calls a second, and ``λ × p × handle`` agents are busy. Solving for the
answer probability ``p`` with ``busy = ready = agents / 2`` gives ``p = (agents / 2) × L / (calls × handle)``.

Figures: a wake-up of the pacing loop (an agent became free, a call ended or reached an agent) → the first
Originate of the step that answered it written, for every step that placed calls (ms, p50/p90/p99/max, and the
stages: waiting for the step, the decision, the claim transaction, the send); the subset of those steps that
answered an agent becoming free (the agent's return → that Originate); calls in
flight (peak and mean over the steady part), AMI events/s through the pumps, dials/s, the daemon's CPU % and RSS
(series + slope), and event-loop lag. Targets: p99 < 20 ms, RSS flat.

Why one module (over 500 lines): one benchmark end to end (plan, world files, the child PBX process, sampling,
report); no part of it is used by anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psutil  # type: ignore[import-untyped]  # no stubs pinned
import typer

from dialer.ami.client import AmiClient
from dialer.bench.processes import stop_process
from dialer.campaign.config import CampaignConfig
from dialer.campaign.samples import write_sample_csv
from dialer.clock import RealTimeClock
from dialer.contract import OUTBOUND_CONTEXT
from dialer.daemon import Dialer
from dialer.demo import DemoCrew
from dialer.logging import configure_logging
from dialer.ops.heap import freeze_startup_heap, thaw_heap
from dialer.provision import provision_campaign
from dialer.runner.pacing_loop import StepLatency
from dialer.runner.runner import CampaignRunner
from dialer.settings import AmiServerSettings, Settings
from dialer.sim.model import WorldModel, parse_scenario
from dialer.store.benchdata import DialHistory, write_dial_history
from dialer.store.campaigns import get_campaign
from dialer.store.engine import open_database
from dialer.store.migrate import upgrade

CAMPAIGN = "bench-daemon"
QUEUE = "outbound-agents"  # a queue the simulated PBX has (asterisk/queues.conf as shipped)
RING_TIMEOUT = 60  # the Originate's timeout (campaign ring_timeout_seconds)
WORLD_RING_OUT = 58.0  # the callee who never answers: the network gives up just before our timeout
RING_MEAN = 25.0
BUSY_SHARE = 0.03
BUSY_RELEASE = 3.0
TALK_MEAN = 60.0
WRAP_MEAN = 5.0
MAX_POWER_RATIO = 20.0  # CampaignConfig's ceiling
SAMPLE_SECONDS = 1.0
RSS_EVERY = 3  # samples
HEADROOM = 0.9  # see DaemonBenchPlan.power_ratio
HISTORY_HOURS = 2.0  # the morning the campaign has behind it (see DaemonBenchPlan.history)
HISTORY_ABANDON_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class DaemonBenchPlan:
    calls: int = 2000
    agents: int = 200
    seconds: float = 120.0
    warmup_seconds: float | None = None  # default: past the first wave of ring-outs (see warmup)
    leads: int = 60_000
    seed: int = 1
    pg_url: str | None = None  # None: a fresh SQLite file; else a fresh schema in this PostgreSQL database
    recording: str = "none"  # the campaign's recording mode (dialer bench recording compares none and all)
    answer_share: float | None = None  # the callees' answer probability; None: sized for the calls target

    @property
    def warmup(self) -> float:
        """Every agent is ready at the start, so the first burst fills the trunk; its calls ring out together
        ~WORLD_RING_OUT s later (a dip). The steady part starts after that wave, when the run is long enough."""
        if self.warmup_seconds is not None:
            return self.warmup_seconds
        return min(max(self.seconds / 3.0, WORLD_RING_OUT + 15.0), self.seconds * 0.6)

    @property
    def power_ratio(self) -> float:
        """Calls dialling per ready agent, so that ~``calls`` are dialling with half the agents ready.

        Power mode never takes a call back: dials placed while more agents were ready keep ringing for up to a
        minute, so the calls dialling follow the recent *peak* of ready agents, not the mean. Aim 10 % low.
        """
        return min(MAX_POWER_RATIO, max(1.0, HEADROOM * self.calls / (self.agents / 2.0)))

    def dial_life_seconds(self, p: float) -> float:
        """Mean life of a dial until it ends or reaches an agent: ring-outs dominate."""
        return (1.0 - p - BUSY_SHARE) * WORLD_RING_OUT + BUSY_SHARE * BUSY_RELEASE + p * RING_MEAN

    def answer_probability(self) -> float:
        """p with (calls dialling ÷ mean dial life) × p × handle = agents / 2 busy (fixed point; converges fast)."""
        if self.answer_share is not None:
            return self.answer_share
        dialling = self.power_ratio * self.agents / 2.0
        p = 0.05
        for _ in range(20):
            p = (self.agents / 2.0) * self.dial_life_seconds(p) / (dialling * (TALK_MEAN + WRAP_MEAN))
            p = min(0.5, max(0.001, p))
        return p

    def history(self, until: datetime) -> DialHistory:
        """The dials the campaign made in the ``HISTORY_HOURS`` before the run, at the run's own rate of live
        answers (half the agents busy), 1 % of them abandoned, and at its answer probability: the daemon is measured
        as it runs mid-day, loading a campaign whose legal window is mature and whose pacer learns the world's answer
        rate from the records (``dialer.runner.learning``). A fresh campaign's empty window holds a power campaign
        to progressive until enough people have answered (one abandon in a young window breaks the cap;
        ``dialer.pacing.pacer``), which at this answer rate takes longer than a run."""
        live = round(self.agents / 2.0 / (TALK_MEAN + WRAP_MEAN) * HISTORY_HOURS * 3600.0)
        return DialHistory(
            live_answers=live,
            abandons=round(live * HISTORY_ABANDON_SHARE),
            answer_share=self.answer_probability(),
            hours=HISTORY_HOURS,
            until=until,
            ring_seconds=RING_MEAN,
            ring_out_seconds=WORLD_RING_OUT,
            talk_seconds=TALK_MEAN,
        )


def scenario_toml(plan: DaemonBenchPlan) -> dict[str, Any]:
    return {
        "scenario": {"name": "bench-daemon", "description": f"~{plan.calls} calls in flight, {plan.agents} agents"},
        "run": {"hours": 1.0, "warmup_minutes": 0.0},
        "agents": {"count": plan.agents},
        "outbound": {
            "answer_probability": round(plan.answer_probability(), 4),
            "busy_share": BUSY_SHARE,
            "busy_release_seconds": BUSY_RELEASE,
            "ring_mean_seconds": RING_MEAN,
            "ring_sd_seconds": 12.0,
            "ring_timeout_seconds": WORLD_RING_OUT,
        },
        "amd": {"enabled": False},
        "handle": {"talk_mean_seconds": TALK_MEAN, "talk_sd_seconds": 30.0, "wrap_mean_seconds": WRAP_MEAN},
    }


def write_toml(data: dict[str, Any], path: Path) -> None:
    lines: list[str] = []
    for table, values in data.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def campaign_config(plan: DaemonBenchPlan) -> CampaignConfig:
    return CampaignConfig.model_validate(
        {
            "name": CAMPAIGN,
            "description": "dialer bench daemon",
            "dial_mode": "power",
            "queue": QUEUE,
            "trunk": "Local/{number}@sim-pstn",
            "dial_context": OUTBOUND_CONTEXT,
            "regime": "US",
            "timezone": "America/New_York",
            "ring_timeout_seconds": RING_TIMEOUT,
            "max_attempts": 5,
            "wrap_up_seconds": 30,
            "caller_id": {"number": "+1 202 555 0100", "name": "Bench Dialer"},
            "amd": {"enabled": False},
            "pacing": {"power_ratio": plan.power_ratio, "max_lines_per_agent": 50},
            "recording": plan.recording,
        }
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulated PBX exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the simulated PBX did not listen on port {port} within {seconds:g} s")


def start_pbx(scenario: Path, port: int, seed: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "dialer",
        "sim-pbx",
        "--listen",
        f"127.0.0.1:{port}",
        "--scenario",
        str(scenario),
        "--seed",
        str(seed),
        "--no-newexten",
        "--read",
        "system,call,agent,user",
    ]
    with open(log_path, "wb") as log:
        # Our own interpreter and module, arguments built here: nothing untrusted reaches the command line.
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603


@dataclass
class Sample:
    t: float  # seconds since the crew started
    in_flight: int  # calls placed and not ended (connected ones included)
    dialling: int  # calls still needing an agent (what the power ratio keeps at ratio × ready)
    channels: int  # the trunk gate's channels in use
    ready: int
    busy: int  # talking or wrap-up
    events: int  # cumulative AMI events through the pumps
    attempts: int  # cumulative Originates sent
    cpu: float  # cumulative process CPU seconds
    rss_mb: float | None


@dataclass
class BenchRecorder:
    latencies: list[float] = field(default_factory=list)  # agent free -> Originate written
    steps: list[StepLatency] = field(default_factory=list)  # every step answering a wake-up with calls
    lags: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    # SQLite: how long `BEGIN IMMEDIATE` waited for the write lock, and every other statement's time (seconds).
    sql_begin_waits: list[float] = field(default_factory=list)
    sql_statements: list[float] = field(default_factory=list)

    def on_sql_statement(self, statement: str, seconds: float) -> None:
        """One statement the daemon ran (``Database.time_statements``): what its own queries cost."""
        target = self.sql_begin_waits if statement.startswith("BEGIN IMMEDIATE") else self.sql_statements
        target.append(seconds)

    def on_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def on_step(self, step: StepLatency) -> None:
        self.steps.append(step)


STAGES = ("since_wake", "waited", "decided", "claimed", "sent")


def _in_ms(seconds: list[float], *quantiles: float) -> dict[str, float]:
    """Durations in milliseconds: their ``quantiles`` (``p50`` ... ) and their ``max`` (NaN when there are none)."""
    ms = [v * 1000 for v in seconds]
    return {
        **{f"p{round(q * 100)}": percentile(ms, q) for q in quantiles},
        "max": max(ms) if ms else float("nan"),
    }


def latency_ms(seconds: list[float]) -> dict[str, float]:
    return {"samples": len(seconds), **_in_ms(seconds, 0.50, 0.90, 0.99)}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ms_summary(seconds: list[float]) -> dict[str, float]:
    return {"count": len(seconds), **_in_ms(seconds, 0.5, 0.99), "total_s": sum(seconds)}


async def lag_sampler(recorder: BenchRecorder, interval: float = 0.1) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(interval)
        recorder.lags.append(max(0.0, time.perf_counter() - started - interval))


async def sampler(dialer: Dialer, recorder: BenchRecorder, started: float, steady_from: float) -> None:
    process = psutil.Process()
    n = 0
    while True:
        runner = dialer.runner(CAMPAIGN)
        agents = dialer.agents.registry.agents()
        cpu = process.cpu_times()
        status = [a.status.value for a in agents]
        recorder.samples.append(
            Sample(
                t=time.perf_counter() - started,
                in_flight=len(runner.in_flight),
                dialling=runner.in_flight.needing_agent(),
                channels=sum(c.server.gate.channels_in_use for c in dialer.connections),
                ready=status.count("ready"),
                busy=status.count("talking") + status.count("wrapup"),
                events=sum(c.pump.events_seen for c in dialer.connections),
                attempts=runner.counters.attempts,
                cpu=cpu.user + cpu.system,
                rss_mb=process.memory_info().rss / 2**20 if n % RSS_EVERY == 0 else None,
            )
        )
        n += 1
        await asyncio.sleep(SAMPLE_SECONDS)


def summarise(plan: DaemonBenchPlan, recorder: BenchRecorder, dialer: Dialer, extra: dict[str, Any]) -> dict[str, Any]:
    samples = recorder.samples
    steady = [s for s in samples if s.t >= plan.warmup] or samples
    first, last = steady[0], steady[-1]
    span = max(1e-9, last.t - first.t)
    rss = [(s.t, s.rss_mb) for s in samples if s.rss_mb is not None]
    rss_steady = [(t, m) for t, m in rss if t >= plan.warmup]
    slope = 0.0
    if len(rss_steady) >= 3:
        ts = [t / 60.0 for t, _ in rss_steady]
        ms = [m for _, m in rss_steady]
        slope = statistics.linear_regression(ts, ms).slope
    runner = dialer.runner(CAMPAIGN)
    return {
        "plan": {
            "calls": plan.calls,
            "agents": plan.agents,
            "seconds": plan.seconds,
            "warmup_seconds": plan.warmup,
            "leads": plan.leads,
            "database": "postgresql" if plan.pg_url else "sqlite",
            "power_ratio": plan.power_ratio,
            "answer_probability": round(plan.answer_probability(), 4),
            "recording": plan.recording,
        },
        "free_to_originate_ms": latency_ms(recorder.latencies),
        "wake_to_originate_ms": {stage: latency_ms([getattr(s, stage) for s in recorder.steps]) for stage in STAGES},
        "calls_in_flight": {
            "peak": max(s.in_flight for s in samples),
            "steady_mean": statistics.fmean(s.in_flight for s in steady),
            "steady_min": min(s.in_flight for s in steady),
            "dialling_steady_mean": statistics.fmean(s.dialling for s in steady),
            "channels_peak": max(s.channels for s in samples),
            "series": [s.in_flight for s in samples[:: max(1, len(samples) // 20)]],
        },
        "agents": {
            "ready_steady_mean": statistics.fmean(s.ready for s in steady),
            "busy_steady_mean": statistics.fmean(s.busy for s in steady),
        },
        "events_per_second": (last.events - first.events) / span,
        "dials_per_second": (last.attempts - first.attempts) / span,
        "cpu_percent": 100.0 * (last.cpu - first.cpu) / span,
        "rss_mb": {
            "start": rss[0][1] if rss else None,
            "min": min(m for _, m in rss) if rss else None,
            "max": max(m for _, m in rss) if rss else None,
            "end": rss[-1][1] if rss else None,
            "steady_slope_mb_per_min": slope,
        },
        "event_loop_lag_ms": _in_ms(recorder.lags, 0.5, 0.99),
        "sqlite_begin_immediate_wait_ms": ms_summary(recorder.sql_begin_waits),
        "sql_statement_ms": ms_summary(recorder.sql_statements),
        "counters": {k: v for k, v in runner.counters.as_dict().items() if k not in ("outcomes", "dispositions")},
        "outcomes": dict(runner.counters.outcomes),
        "why_not_dialing_at_end": runner.why_not.code if runner.why_not is not None else None,
        **extra,
    }


@contextlib.asynccontextmanager
async def bench_database(plan: DaemonBenchPlan, workdir: Path) -> AsyncIterator[tuple[str, str | None]]:
    """``(database url, PostgreSQL schema or None)`` of a fresh database for one run (a schema dropped after it)."""
    if plan.pg_url is None:
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}", None
        return
    schema = f"bench_daemon_{uuid.uuid4().hex[:10]}"
    async with open_database(plan.pg_url) as admin:
        async with admin.write() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            yield plan.pg_url, schema
        finally:
            async with admin.write() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def prepare(
    settings: Settings, plan: DaemonBenchPlan, leads_csv: Path, now: datetime, pg_schema: str | None
) -> dict[str, Any]:
    """The bench database: migrated, the campaign applied and started with the leads of ``leads_csv``, and the
    morning it has behind it (:meth:`DaemonBenchPlan.history`)."""
    async with open_database(settings.database_url, pg_schema=pg_schema) as db:
        await upgrade(db)
        summary = await provision_campaign(db, campaign_config(plan), leads_csv, now)
        campaign = await get_campaign(db, CAMPAIGN)
        history = await write_dial_history(db, campaign.id, plan.history(now))
    return {**summary.as_json(None), "history_calls": history}


def bench_settings(workdir: Path, port: int, database_url: str, *, max_channels: int) -> Settings:
    """The daemon's settings for one bench run: its files in ``workdir``, the simulated PBX on ``port`` its one
    server (``max_channels``, a call rate that is never the limit), no inbound queues."""
    return Settings().model_copy(
        update={
            "database_url": database_url,
            "var_dir": workdir,
            "inbound_queues": [],
            "ami": [
                AmiServerSettings(
                    name="sim",
                    host="127.0.0.1",
                    port=port,
                    username="dialer",
                    max_channels=max_channels,
                    max_calls_per_second=400.0,
                )
            ],
        }
    )


async def bench_runner(dialer: Dialer) -> CampaignRunner:
    """The bench campaign's runner, once the daemon is logged in to the simulated PBX and has loaded it."""
    client = dialer.pool.servers[0].client
    assert isinstance(client, AmiClient)
    await client.wait_up(30)
    await dialer.load_campaigns()
    return dialer.runner(CAMPAIGN)


async def run_daemon(plan: DaemonBenchPlan, workdir: Path, port: int, recorder: BenchRecorder) -> dict[str, Any]:
    async with bench_database(plan, workdir) as (url, pg_schema):
        return await run_daemon_on(plan, workdir, port, recorder, url, pg_schema)


async def run_daemon_on(
    plan: DaemonBenchPlan, workdir: Path, port: int, recorder: BenchRecorder, url: str, pg_schema: str | None
) -> dict[str, Any]:
    config = campaign_config(plan)
    # Room above the target so the pacer, not the trunk cap, sets the calls in flight.
    settings = bench_settings(workdir, port, url, max_channels=int(plan.calls * 1.25) + plan.agents)
    leads_csv = workdir / "leads.csv"
    write_sample_csv(leads_csv, plan.leads, seed=plan.seed, bad_rows=False)
    t0 = time.perf_counter()
    imported = await prepare(settings, plan, leads_csv, datetime.now(UTC), pg_schema)
    import_seconds = time.perf_counter() - t0
    scenario = parse_scenario(scenario_toml(plan), "bench-daemon")
    clock = RealTimeClock()
    async with open_database(settings.database_url, pg_schema=pg_schema) as db, db.checkpoints():
        db.time_statements(recorder.on_sql_statement)
        dialer = Dialer(settings, db, clock=clock)
        await dialer.start_connections()
        crew: DemoCrew | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            runner = await bench_runner(dialer)

            def on_latency(seconds: float) -> None:
                recorder.on_latency(seconds)
                dialer.metrics.originate_latency.observe(seconds)

            runner.on_originate_latency = on_latency
            runner.on_step_latency = recorder.on_step
            crew = DemoCrew(dialer, config, WorldModel(scenario), clock, plan.agents, random.Random(plan.seed))
            await crew.start()
            freeze_startup_heap()  # as `dialer run` does once its runners are up
            started = time.perf_counter()
            tasks = [
                asyncio.create_task(sampler(dialer, recorder, started, plan.warmup), name="bench-sampler"),
                asyncio.create_task(lag_sampler(recorder), name="bench-lag"),
            ]
            await asyncio.sleep(plan.seconds)
            result = summarise(
                plan,
                recorder,
                dialer,
                {
                    "leads_imported": imported.get("imported", imported),
                    "import_seconds": round(import_seconds, 1),
                    "history_calls": imported["history_calls"],
                },
            )
            # Drain briefly: stop dialling, let calls end for a few seconds, then close what is left.
            drained = await dialer.drain(5.0)
            if not drained:
                await runner.settle_quietly(2.0)
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(20):
                        await runner.interrupt()
            return result
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if crew is not None:
                await crew.stop()
            await dialer.stop()
            thaw_heap()


@contextlib.contextmanager
def pbx_workdir(
    scenario: dict[str, Any], seed: int, prefix: str
) -> Iterator[tuple[Path, int, subprocess.Popen[bytes]]]:
    """``(working directory, port, PBX process)`` of one bench run: a temporary directory, the simulated PBX
    started there from ``scenario`` on a free port, and the daemon logging as in production (JSON lines at INFO)
    into ``daemon.log`` there rather than over the figures; the PBX stopped after it."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        scenario_path = workdir / "scenario.toml"
        write_toml(scenario, scenario_path)
        port = free_port()
        pbx = start_pbx(scenario_path, port, seed, workdir / "sim-pbx.log")
        with open(workdir / "daemon.log", "w", encoding="utf-8") as log_stream:
            configure_logging("INFO", stream=log_stream)
            try:
                yield workdir, port, pbx
            finally:
                configure_logging("WARNING")
                stop_process(pbx, grace=5, reap=5)


def bench_daemon_at(plan: DaemonBenchPlan, *, as_json: bool = False) -> dict[str, Any]:
    recorder = BenchRecorder()
    with pbx_workdir(scenario_toml(plan), plan.seed, "dialer-bench-daemon-") as (workdir, port, pbx):

        async def main() -> dict[str, Any]:
            await wait_listening(port, pbx, 30)
            async with asyncio.timeout(plan.seconds + 240):
                return await run_daemon(plan, workdir, port, recorder)

        result = asyncio.run(main())
        pbx_cpu = None
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pbx.pid).cpu_times()
            pbx_cpu = times.user + times.system
        result["sim_pbx_cpu_seconds"] = pbx_cpu
        with open(workdir / "daemon.log", encoding="utf-8") as written:
            result["daemon_log_lines"] = sum(1 for _ in written)
    if as_json:
        print(json.dumps(result, default=str))
    else:
        print_table(result)
    return result


def print_table(r: dict[str, Any]) -> None:
    p, lat, wake, cif, rss, lag = (
        r["plan"],
        r["free_to_originate_ms"],
        r["wake_to_originate_ms"],
        r["calls_in_flight"],
        r["rss_mb"],
        r["event_loop_lag_ms"],
    )
    print(
        f"daemon bench ({p['database']}): {p['calls']} calls target, {p['agents']} agents, {p['seconds']:g} s"
        f" (steady after {p['warmup_seconds']:g} s), power {p['power_ratio']:g}:1, p(answer) {p['answer_probability']}"
    )
    print(f"  leads imported                 {r['leads_imported']} in {r['import_seconds']} s")
    print(
        f"  history before the run         {r['history_calls']} dials in {HISTORY_HOURS:g} h (of the live answers"
        f" {HISTORY_ABANDON_SHARE:.0%} abandoned): a mature legal window and learnt answer rate"
    )
    w = wake["since_wake"]
    print(
        f"  wake-up -> Originate (ms)      p50 {w['p50']:.2f}  p90 {w['p90']:.2f}  p99 {w['p99']:.2f}"
        f"  max {w['max']:.2f}  (n={w['samples']}: every step that answered a wake-up with calls; target p99 < 20)"
    )
    for stage, label in (
        ("waited", "waiting for the step"),
        ("decided", "pacing decision"),
        ("claimed", "claim transaction"),
        ("sent", "claim -> first write"),
    ):
        m = wake[stage]
        print(f"    {label:<29}p50 {m['p50']:.2f}  p90 {m['p90']:.2f}  p99 {m['p99']:.2f}  max {m['max']:.2f}")
    print(
        f"  agent free -> Originate (ms)   p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}"
        f"  max {lat['max']:.2f}  (n={lat['samples']}: the steps that answered an agent's return)"
    )
    print(
        f"  calls in flight                peak {cif['peak']}  steady mean {cif['steady_mean']:.0f}"
        f"  steady min {cif['steady_min']}  (still dialling: {cif['dialling_steady_mean']:.0f})"
    )
    print(f"  calls in flight, over time     {' '.join(str(v) for v in cif['series'])}")
    print(
        f"  agents (steady mean)           ready {r['agents']['ready_steady_mean']:.0f}"
        f"  talking/wrap-up {r['agents']['busy_steady_mean']:.0f}"
    )
    print(f"  AMI events handled             {r['events_per_second']:.0f}/s")
    print(f"  dials                          {r['dials_per_second']:.1f}/s")
    print(f"  daemon CPU                     {r['cpu_percent']:.0f} % of one core")
    print(
        f"  daemon RSS (MB)                start {rss['start']:.0f}  min {rss['min']:.0f}  max {rss['max']:.0f}"
        f"  end {rss['end']:.0f}  steady slope {rss['steady_slope_mb_per_min']:+.2f} MB/min"
    )
    print(f"  event-loop lag (ms)            p50 {lag['p50']:.2f}  p99 {lag['p99']:.2f}  max {lag['max']:.2f}")
    for key, label in (
        ("sqlite_begin_immediate_wait_ms", "SQLite write-lock wait (ms)"),
        ("sql_statement_ms", "SQL statement (ms)"),
    ):
        m = r[key]
        print(
            f"  {label:<31}p50 {m['p50']:.2f}  p99 {m['p99']:.2f}  max {m['max']:.2f}"
            f"  (n={m['count']}, {m['total_s']:.1f} s in all)"
        )
    print(f"  counters                       {r['counters']}")
    print(f"  outcomes                       {r['outcomes']}")
    if r.get("sim_pbx_cpu_seconds") is not None:
        print(f"  (simulated PBX process CPU     {r['sim_pbx_cpu_seconds']:.0f} s)")


def register(app: typer.Typer) -> None:
    """Add `dialer bench daemon`."""

    @app.command("daemon")
    def bench_daemon(
        calls: Annotated[int, typer.Option("--calls", min=10, help="calls in flight to sustain")] = 2000,
        agents: Annotated[int, typer.Option("--agents", min=2, help="simulated agents")] = 200,
        seconds: Annotated[float, typer.Option("--seconds", min=10, help="measured run time")] = 120.0,
        warmup: Annotated[float | None, typer.Option("--warmup", help="seconds before the steady part")] = None,
        leads: Annotated[int, typer.Option("--leads", min=1000, help="leads imported")] = 60_000,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        backend: Annotated[str, typer.Option("--backend", help="sqlite or postgres")] = "sqlite",
        pg_url: Annotated[str | None, typer.Option("--pg-url", help="default: $DIALER_TEST_PG_URL")] = None,
    ) -> None:
        """The production daemon against a separate simulated-PBX process at ~2 000 calls in flight."""
        if backend not in ("sqlite", "postgres"):
            raise typer.BadParameter("--backend must be sqlite or postgres")
        url = None
        if backend == "postgres":
            url = pg_url or os.environ.get("DIALER_TEST_PG_URL")
            if not url:
                raise typer.BadParameter("--backend postgres needs --pg-url or DIALER_TEST_PG_URL")
        bench_daemon_at(
            DaemonBenchPlan(
                calls=calls, agents=agents, seconds=seconds, warmup_seconds=warmup, leads=leads, pg_url=url
            ),
            as_json=as_json,
        )


def run_default() -> None:
    """A smaller run for `bench all` (~2.5 minutes): 1 000 calls, 100 agents, 120 s (steady after 73 s)."""
    bench_daemon_at(DaemonBenchPlan(calls=1000, agents=100, seconds=120.0, leads=30_000))


__all__ = ["DaemonBenchPlan", "bench_daemon_at", "register", "run_default"]
