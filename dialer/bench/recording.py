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
- **pairs** of adjacent runs, alternating off/all then all/off (ABBA, so a drift of the shared machine's load
  cancels); each pair gives the throughput recording lost in it (from the relative change of CPU per call). A
  shared, loaded machine makes single runs differ by ±20 %, so one median says little: the bench reports the
  **median** of the pairs and a **bootstrap percentile confidence interval** of that median (the pairs resampled
  with replacement, seeded), and the verdict is the interval's: PASS when its upper end is within the target,
  FAIL when its lower end is beyond it, INCONCLUSIVE (more pairs needed) when it straddles the target.

At saturation the daemon's throughput is inversely proportional to its CPU per call, so "throughput lost" =
``1 - cost_off / cost_on``. Dials/s is kept as a secondary figure (it is bounded by the pacing and the world).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
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
CONFIDENCE = 0.95  # of the interval the verdict is read from
RESAMPLES = 10_000  # bootstrap resamples of the pairs
POLL_SECONDS = 0.1
SLACK_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class RecordingBenchPlan:
    calls: int = 600  # the fixed call set: the calls completed after the warm-up ones
    warmup_calls: int = 100  # completed before the measured window opens (agents logged in, first burst)
    agents: int = 150
    pairs: int = 12
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


@dataclass(frozen=True, slots=True)
class Interval:
    """The median of per-pair values and its bootstrap percentile confidence interval."""

    median: float
    low: float
    high: float
    confidence: float
    pairs: int


def bootstrap_median(
    values: Sequence[float], *, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = 1
) -> Interval:
    """The median of ``values`` and the percentile interval of the medians of ``resamples`` resamples of them
    (drawn with replacement, as many as there are values; seeded so that the same pairs give the same interval).
    One value gives a zero-width interval: the verdict then trusts a single pair, which :func:`verdict` refuses."""
    if not values:
        raise ValueError("no values")
    if not 0.0 < confidence < 1.0:
        raise ValueError("the confidence is a share between 0 and 1")
    rng = random.Random(seed)
    n = len(values)
    medians = sorted(statistics.median(rng.choices(values, k=n)) for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    low = medians[math.floor(tail * (resamples - 1))]
    high = medians[math.ceil((1.0 - tail) * (resamples - 1))]
    return Interval(statistics.median(values), low, high, confidence, n)


MIN_PAIRS = 5  # below this the resampled medians take a handful of values: no interval worth the name


def verdict(changes: Sequence[float], target: float = TARGET, *, confidence: float = CONFIDENCE) -> str:
    """One line: the median throughput recording lost over the pairs, its confidence interval, and the verdict read
    from the interval (PASS: all of it within ``target``; FAIL: all of it beyond; else INCONCLUSIVE)."""
    interval = bootstrap_median([throughput_lost(c) for c in changes], confidence=confidence)
    if len(changes) < MIN_PAIRS:
        word = "INCONCLUSIVE"
    elif interval.high <= target:
        word = "PASS"
    elif interval.low > target:
        word = "FAIL"
    else:
        word = "INCONCLUSIVE"
    return (
        f"{word}: recording all costs the daemon {100 * interval.median:+.1f} % of its throughput"
        f" (median of {len(changes)} pairs; {100 * confidence:g} % bootstrap interval"
        f" {100 * interval.low:+.1f} .. {100 * interval.high:+.1f} %; target <= {100 * target:g} %)"
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
        await prepare(settings, dplan, leads_csv, datetime.now(UTC), pg_schema)
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


def paired(runs: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The (off, all) pairs of runs made in :func:`run_order`: each two adjacent runs, whichever came first."""
    if len(runs) % 2:
        raise ValueError("the runs must come in pairs")
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for first, second in zip(runs[::2], runs[1::2], strict=True):
        by_mode = {first["recording"]: first, second["recording"]: second}
        if set(by_mode) != {"none", "all"}:
            raise ValueError("each pair is one run without recording and one with")
        pairs.append((by_mode["none"], by_mode["all"]))
    return pairs


def bench_recording_at(plan: RecordingBenchPlan, *, as_json: bool = False) -> dict[str, Any]:
    load = psutil.getloadavg()
    if not as_json:
        print(
            f"recording bench: {plan.calls} calls per run (same leads, seed {plan.seed}), {plan.agents} agents,"
            f" {plan.pairs} pairs of adjacent runs off/all (ABBA); load average"
            f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {psutil.cpu_count()} CPUs"
        )
    runs: list[dict[str, Any]] = []
    for recording in run_order(plan.pairs):
        run = bench_one(plan, recording)
        run["load_average"] = psutil.getloadavg()[0]
        runs.append(run)
        if not as_json:
            print(
                f"  {recording:<5} completed {run['completed']:4d} (connected {run['connected']:3d})"
                f"  daemon CPU {run['cpu_seconds']:6.2f} s = {run['cpu_ms_per_call']:6.2f} ms/call"
                f" {run['cpu_us_per_event']:6.1f} us/event ({run['ami_events']} events)"
                f"  {run['dials_per_second']:5.1f} dials/s  {run['cpu_percent']:3.0f} % core"
                f" over {run['wall_seconds']:4.0f} s"
                f"  sim PBX {run.get('sim_pbx_cpu_seconds') or 0.0:5.1f} s  load {run['load_average']:.2f}"
            )
            if len(runs) % 2 == 0:
                off_run, on_run = paired(runs[-2:])[0]
                change = on_run["cpu_ms_per_call"] / off_run["cpu_ms_per_call"] - 1.0
                print(f"  pair {len(runs) // 2}: throughput lost to recording {100 * throughput_lost(change):+.1f} %")
    pairs = paired(runs)
    figures: dict[str, dict[str, Any]] = {}
    for key in ("cpu_ms_per_call", "cpu_us_per_event", "dials_per_second"):
        off, on = [p[0][key] for p in pairs], [p[1][key] for p in pairs]
        changes = relative_changes(off, on)
        figures[key] = {
            "off": _spread_dict(off),
            "all": _spread_dict(on),
            "change": _spread_dict(changes),
            "change_interval": _interval_dict(bootstrap_median(changes)),
        }
    cost_changes = relative_changes([p[0]["cpu_ms_per_call"] for p in pairs], [p[1]["cpu_ms_per_call"] for p in pairs])
    lost = bootstrap_median([throughput_lost(c) for c in cost_changes])
    line = verdict(cost_changes)
    load_end = psutil.getloadavg()
    result = {
        "runs": runs,
        "figures": figures,
        "throughput_lost": {**_interval_dict(lost), "pairs": [throughput_lost(c) for c in cost_changes]},
        "verdict": line,
        "load_average": [load, load_end],
    }
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
            ci = f["change_interval"]
            print(
                f"  {label:<36} off {f['off']['median']:8.2f}  all {f['all']['median']:8.2f}"
                f"  paired change median {100 * f['change']['median']:+6.1f} %"
                f" ({100 * CONFIDENCE:g} % CI {100 * ci['low']:+.1f} .. {100 * ci['high']:+.1f} %;"
                f" pairs {100 * f['change']['low']:+.1f} .. {100 * f['change']['high']:+.1f} %)"
            )
        print(f"  load average at the end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
        print(f"  {line}")
    return result


def _spread_dict(values: Sequence[float]) -> dict[str, float]:
    s = Spread.of(values)
    return {"median": s.median, "low": s.low, "high": s.high}


def _interval_dict(interval: Interval) -> dict[str, float]:
    return {"median": interval.median, "low": interval.low, "high": interval.high, "confidence": interval.confidence}


def register(app: typer.Typer) -> None:
    """Add `dialer bench recording`."""

    @app.command("recording")
    def bench_recording(
        calls: Annotated[int, typer.Option("--calls", min=50, help="the fixed call set per run")] = 600,
        agents: Annotated[int, typer.Option("--agents", min=2, help="simulated agents")] = 150,
        pairs: Annotated[int, typer.Option("--pairs", min=1, help="off/all pairs (ABBA; >= 5 for a verdict)")] = 12,
        seed: Annotated[int, typer.Option("--seed", help="leads and simulated PBX seed")] = 1,
        power: Annotated[float, typer.Option("--power", min=1.0, max=20.0, help="calls per ready agent")] = 8.0,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """The daemon's CPU per call with recording on for every call against off, over the same call set."""
        bench_recording_at(
            RecordingBenchPlan(calls=calls, agents=agents, pairs=pairs, seed=seed, power_ratio=power), as_json=as_json
        )


def run_default() -> None:
    """For `bench all`: 600 calls per run, 150 agents, 12 pairs."""
    bench_recording_at(RecordingBenchPlan())
