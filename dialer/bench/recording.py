"""`dialer bench recording`: the daemon's own cost per call with every call recorded against none (issue 16).

Recording is Asterisk's work (MixMonitor writes the file); the daemon only adds ``DIALER_RECORDING`` to each
Originate and writes one row per recording from the PBX's ``MixMonitorStart`` and the call's ``Hangup``. The target
("recording on for every call lowers the daemon's throughput by at most 5 %") is about the daemon's work, so the
bench measures that work directly rather than a pacing-bound dials/s:

- a **fixed call set**: the same leads (same seed), the same simulated-PBX seed, a fresh database per run; the
  production daemon (:mod:`dialer.bench.daemon`'s world files and child ``dialer sim-pbx`` process) dials them in
  the same order; the measured window is the ``--calls`` calls completed after the first ``warmup_calls`` (agents
  logged in, the first burst over), so neither start-up nor a draining tail's idle time is in it;
- a **fast world** (short rings, talks and wrap-ups, many agents, channels above the target) so the calls are
  placed as fast as the pacer asks, not as fast as agents free up;
- the **daemon's process CPU seconds** (user + system) over that window, divided by the calls
  completed and by the AMI events it handled; the simulated PBX runs in another process and its CPU is reported
  apart. The simulated agents (:class:`dialer.demo.DemoCrew`) run inside the daemon's process, as in every daemon
  bench: their small, recording-independent cost is in both sides alike;
- **pairs** alternating off/all then all/off (ABBA, so a drift of the shared machine's load cancels), at least 3;
  each pair gives the relative change of CPU per call; the verdict is on the **median** change, with its spread.

At saturation the daemon's throughput is inversely proportional to its CPU per call, so "throughput lost" =
``1 - cost_off / cost_on``. Dials/s is kept as a secondary figure (it is bounded by the pacing and the world).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psutil  # type: ignore[import-untyped]  # no stubs pinned
import typer

from dialer.bench.daemon import (
    CAMPAIGN,
    DaemonBenchPlan,
    bench_database,
    bench_runner,
    bench_settings,
    campaign_config,
    pbx_workdir,
    prepare,
    wait_listening,
)
from dialer.campaign.samples import write_sample_csv
from dialer.clock import RealTimeClock
from dialer.daemon import Dialer
from dialer.demo import DemoCrew
from dialer.sim.model import WorldModel, parse_scenario
from dialer.store.engine import open_database

TARGET = 0.05  # recording may cost at most 5 % of the daemon's throughput
POLL_SECONDS = 0.1
SLACK_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class RecordingBenchPlan:
    calls: int = 600  # the fixed call set: the calls completed after the warm-up ones
    warmup_calls: int = 100  # completed before the measured window opens (agents logged in, first burst)
    agents: int = 150
    pairs: int = 3
    seed: int = 1
    answer: float = 0.6
    power_ratio: float = 8.0

    @property
    def leads(self) -> int:
        """Room for the calls (some leads are outside their calling window at a given hour)."""
        return max(1000, 3 * (self.calls + self.warmup_calls))

    def daemon_plan(self, recording: str) -> DaemonBenchPlan:
        calls_target = int(self.power_ratio * self.agents / 2 / 0.9)  # so DaemonBenchPlan.power_ratio = ours
        return DaemonBenchPlan(
            calls=calls_target, agents=self.agents, seed=self.seed, leads=self.leads, recording=recording
        )


def scenario(plan: RecordingBenchPlan) -> dict[str, Any]:
    """A fast world: the daemon, not the callees or the agents, sets the pace."""
    return {
        "scenario": {"name": "bench-recording", "description": f"{plan.calls} calls, {plan.agents} agents"},
        "run": {"hours": 1.0, "warmup_minutes": 0.0},
        "agents": {"count": plan.agents},
        "outbound": {
            "answer_probability": plan.answer,
            "busy_share": 0.03,
            "busy_release_seconds": 1.0,
            "ring_mean_seconds": 3.0,
            "ring_sd_seconds": 1.0,
            "ring_timeout_seconds": 8.0,
        },
        "amd": {"enabled": False},
        "handle": {"talk_mean_seconds": 6.0, "talk_sd_seconds": 2.0, "wrap_mean_seconds": 1.0},
    }


# ---------------------------------------------------------------------------------------------- pure statistics
@dataclass(frozen=True, slots=True)
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values")
        return cls(statistics.median(values), min(values), max(values))


def relative_changes(off: Sequence[float], on: Sequence[float]) -> list[float]:
    """Per pair, ``on / off - 1`` (the extra cost recording adds, as a share of the cost without it)."""
    if len(off) != len(on):
        raise ValueError("off and on must pair up")
    if any(v <= 0 for v in off):
        raise ValueError("a cost without recording must be positive")
    return [b / a - 1.0 for a, b in zip(off, on, strict=True)]


def throughput_lost(cost_change: float) -> float:
    """At saturation throughput ∝ 1 / cost: a cost ``(1 + c)`` times higher loses ``1 - 1 / (1 + c)``."""
    return 1.0 - 1.0 / (1.0 + cost_change)


def verdict(changes: Sequence[float], target: float = TARGET) -> str:
    """One line: the median throughput lost to recording against the target, with the pairs' spread."""
    spread = Spread.of([throughput_lost(c) for c in changes])
    ok = spread.median <= target
    return (
        f"{'PASS' if ok else 'FAIL'}: recording all costs the daemon {100 * spread.median:+.1f} % of its throughput"
        f" (median of {len(changes)} pairs, range {100 * spread.low:+.1f} .. {100 * spread.high:+.1f} %;"
        f" target <= {100 * target:g} %)"
    )


def run_order(pairs: int) -> list[str]:
    """ABBA: off, all, all, off, off, all, ... so a steady drift of the machine's load cancels out."""
    order: list[str] = []
    for i in range(pairs):
        order += ["none", "all"] if i % 2 == 0 else ["all", "none"]
    return order


# ---------------------------------------------------------------------------------------------- one run
async def run_once(plan: RecordingBenchPlan, recording: str, workdir: Path, port: int) -> dict[str, Any]:
    dplan = plan.daemon_plan(recording)
    config = campaign_config(dplan)
    leads_csv = workdir / "leads.csv"
    write_sample_csv(leads_csv, plan.leads, seed=plan.seed, bad_rows=False)
    async with bench_database(dplan, workdir) as (url, pg_schema):
        # Channels are never the limit.
        settings = bench_settings(workdir, port, url, max_channels=4 * plan.calls + plan.agents)
        await prepare(settings, config, leads_csv, datetime.now(UTC), pg_schema)
        clock = RealTimeClock()
        async with open_database(url, pg_schema=pg_schema) as db, db.checkpoints():
            dialer = Dialer(settings, db, clock=clock)
            await dialer.start_connections()
            crew: DemoCrew | None = None
            try:
                runner = await bench_runner(dialer)
                world = WorldModel(parse_scenario(scenario(plan), "bench-recording"))
                crew = DemoCrew(dialer, config, world, clock, plan.agents, random.Random(plan.seed))
                process = psutil.Process()

                def cpu() -> float:
                    times = process.cpu_times()
                    return float(times.user + times.system)

                def events() -> int:
                    return sum(c.pump.events_seen for c in dialer.connections)

                def completed() -> int:
                    return sum(runner.counters.outcomes.values())

                async def until_completed(n: int) -> None:
                    while completed() < n:  # noqa: ASYNC110  # the counters have no event to wait on
                        await asyncio.sleep(POLL_SECONDS)

                await crew.start()
                async with asyncio.timeout(SLACK_SECONDS + 10 * plan.calls):
                    await until_completed(plan.warmup_calls)  # past the first burst: the steady part
                    done0, attempts0, connected0 = completed(), runner.counters.attempts, runner.counters.connected
                    cpu0, events0, t0 = cpu(), events(), time.perf_counter()
                    await until_completed(done0 + plan.calls)
                cpu_s, n_events, wall = cpu() - cpu0, events() - events0, time.perf_counter() - t0
                done = completed() - done0
                return {
                    "recording": recording,
                    "completed": done,
                    "attempts": runner.counters.attempts - attempts0,
                    "connected": runner.counters.connected - connected0,
                    "ami_events": n_events,
                    "cpu_seconds": cpu_s,
                    "wall_seconds": wall,
                    "cpu_ms_per_call": 1000.0 * cpu_s / done,
                    "cpu_us_per_event": 1e6 * cpu_s / max(1, n_events),
                    "dials_per_second": (runner.counters.attempts - attempts0) / wall,
                    "cpu_percent": 100.0 * cpu_s / wall,
                }
            finally:
                if crew is not None:
                    await crew.stop()
                with contextlib.suppress(Exception):
                    if not await dialer.drain(2.0):
                        async with asyncio.timeout(20):
                            await dialer.runner(CAMPAIGN).interrupt()
                await dialer.stop()


def bench_one(plan: RecordingBenchPlan, recording: str) -> dict[str, Any]:
    with pbx_workdir(scenario(plan), plan.seed, "dialer-bench-recording-") as (workdir, port, pbx):
        pbx_process = psutil.Process(pbx.pid)

        async def main() -> dict[str, Any]:
            await wait_listening(port, pbx, 30)
            async with asyncio.timeout(SLACK_SECONDS + 600):
                return await run_once(plan, recording, workdir, port)

        pbx_before = pbx_process.cpu_times()
        result = asyncio.run(main())
        with contextlib.suppress(psutil.Error):
            after = pbx_process.cpu_times()
            result["sim_pbx_cpu_seconds"] = after.user + after.system - pbx_before.user - pbx_before.system
    return result


def bench_recording_at(plan: RecordingBenchPlan, *, as_json: bool = False) -> dict[str, Any]:
    load = psutil.getloadavg()
    if not as_json:
        print(
            f"recording bench: {plan.calls} calls per run (same leads, seed {plan.seed}), {plan.agents} agents,"
            f" {plan.pairs} pairs off/all (ABBA); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            f" on {psutil.cpu_count()} CPUs"
        )
    runs: list[dict[str, Any]] = []
    for recording in run_order(plan.pairs):
        run = bench_one(plan, recording)
        runs.append(run)
        if not as_json:
            print(
                f"  {recording:<5} completed {run['completed']:4d} (connected {run['connected']:3d})"
                f"  daemon CPU {run['cpu_seconds']:6.2f} s = {run['cpu_ms_per_call']:6.2f} ms/call"
                f" {run['cpu_us_per_event']:6.1f} us/event ({run['ami_events']} events)"
                f"  {run['dials_per_second']:5.1f} dials/s  {run['cpu_percent']:3.0f} % core"
                f" over {run['wall_seconds']:4.0f} s"
                f"  sim PBX {run.get('sim_pbx_cpu_seconds') or 0.0:5.1f} s"
            )
    off = [r for r in runs if r["recording"] == "none"]
    on = [r for r in runs if r["recording"] == "all"]
    figures: dict[str, dict[str, Any]] = {}
    for key in ("cpu_ms_per_call", "cpu_us_per_event", "dials_per_second"):
        changes = relative_changes([r[key] for r in off], [r[key] for r in on])
        figures[key] = {
            "off": _spread_dict([r[key] for r in off]),
            "all": _spread_dict([r[key] for r in on]),
            "change": _spread_dict(changes),
        }
    line = verdict(relative_changes([r["cpu_ms_per_call"] for r in off], [r["cpu_ms_per_call"] for r in on]))
    load_end = psutil.getloadavg()
    result = {"runs": runs, "figures": figures, "verdict": line, "load_average": [load, load_end]}
    if as_json:
        print(json.dumps(result))
    else:
        labels = {
            "cpu_ms_per_call": "daemon CPU per completed call (ms)",
            "cpu_us_per_event": "daemon CPU per AMI event (us)",
            "dials_per_second": "dials/s (secondary: pacing-bound)",
        }
        for key, label in labels.items():
            f = figures[key]
            print(
                f"  {label:<36} off {f['off']['median']:8.2f}  all {f['all']['median']:8.2f}"
                f"  change median {100 * f['change']['median']:+6.1f} %"
                f" (pairs {100 * f['change']['low']:+.1f} .. {100 * f['change']['high']:+.1f} %)"
            )
        print(f"  load average at the end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
        print(f"  {line}")
    return result


def _spread_dict(values: Sequence[float]) -> dict[str, float]:
    s = Spread.of(values)
    return {"median": s.median, "low": s.low, "high": s.high}


def register(app: typer.Typer) -> None:
    """Add `dialer bench recording`."""

    @app.command("recording")
    def bench_recording(
        calls: Annotated[int, typer.Option("--calls", min=50, help="the fixed call set per run")] = 600,
        agents: Annotated[int, typer.Option("--agents", min=2, help="simulated agents")] = 150,
        pairs: Annotated[int, typer.Option("--pairs", min=1, help="off/all pairs (ABBA)")] = 3,
        seed: Annotated[int, typer.Option("--seed", help="leads and simulated PBX seed")] = 1,
        power: Annotated[float, typer.Option("--power", min=1.0, max=20.0, help="calls per ready agent")] = 8.0,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """The daemon's CPU per call with recording on for every call against off, over the same call set."""
        bench_recording_at(
            RecordingBenchPlan(calls=calls, agents=agents, pairs=pairs, seed=seed, power_ratio=power), as_json=as_json
        )


def run_default() -> None:
    """For `bench all`: 600 calls per run, 150 agents, 3 pairs."""
    bench_recording_at(RecordingBenchPlan())
