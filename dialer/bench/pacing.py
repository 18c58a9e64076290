"""`dialer bench pacing`: pacing quality in the discrete-event simulator (docs/benchmarks.md §1).

For each scenario, every policy runs on the same seed (common random numbers): progressive, fixed ratio and
the Issabel-like rule with their knob tuned to 3 % abandons on the tuning seed, our pacer with its online
controller (one configuration for every scenario, never tuned), and the clairvoyant bound. The drifting
scenario adds our rule with its level frozen at the best static tuning. Figures exclude the warm-up.
The expected-value rival runs tuned two ways: ``ev-tuned`` (its whole measured period at 3 %) and ``ev-legal`` (no
legal window of the tuning run above 3 %, the windows holding the campaign's start included: what ours holds).

Why one module (over 500 lines): one command's parts -- the policies it compares, their tuning, the grid, the
seeds' pooling and the tables it prints; the simulation itself lives in :mod:`dialer.sim.des`.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from dialer.bench.pacing_cache import DEFAULT_CACHE_DIR, RunCache, simulate_cached
from dialer.sim.des import Policy, RunResult
from dialer.sim.des import policies as P
from dialer.sim.model import Profile, Scenario, ScenarioError, load_scenario

GRID = tuple(f"n{n}-p0{p}" for n in (10, 20, 50, 100) for p in (10, 20, 30))
DEFAULT_SCENARIOS = (*GRID, "blended", "drifting")
FULL_LIVE_ANSWERS = 15_000  # ±0.14 points on a 3 % abandon rate
DEFAULT_LIVE_ANSWERS = 5_000  # what `run_default` (and `bench all`) measures per cell, to finish on 2 cores
FULL_SEEDS = 5  # `--full`: seeds per cell; FULL_LIVE_ANSWERS are pooled over them
FULL_POLICIES = ("ev-tuned", "ev-legal", "ours", "ours-ready", "clairvoyant")
FULL_MIN_HOURS = 24.0  # `--full`: every run measures at least one full 24 h window
# The worlds issue 14 adds to the grid (AMD false positives under UK rules, a 3-agent team, an agent schedule):
# shipped with the repository next to the campaigns, read by `--full`.
SPECIAL_SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "campaigns" / "scenarios"
# Occupancy goals at p = 0.20 (docs/benchmarks.md §1), by team size.
OCCUPANCY_GOALS = {10: 0.86, 20: 0.90, 100: 0.965}
TUNE_TARGET = 0.03
DEFAULT_JOBS = os.cpu_count() or 1
TUNE_STEPS = 6

POLICY_ORDER = (
    "progressive",
    "fixed-ratio",
    "power",
    "issabel",
    "ev-tuned",
    "ev-legal",  # the same rule tuned so that no legal window (24 h or from the start) exceeds 3 %
    "ours-pooled",  # ours without the predictions learnt per agent, hour and lead history
    "ours-agent",
    "ours-hour",
    "ours-history",
    "ours",
    "ours-ready",  # ours told the agents' "ready in N s" (the console's announcement from wrap-up)
    "ours-static",
    "clairvoyant",
)
DEFAULT_POLICIES = (
    "progressive",
    "fixed-ratio",
    "issabel",
    "ev-tuned",
    "ours",
    "clairvoyant",
)  # + ours-static when drifting


@dataclass(frozen=True, slots=True)
class RunPlan:
    hours: float
    warmup_minutes: float
    seed: int
    tuning_seed: int


def hours_for(scenario: Scenario, live_answers: int) -> float:
    """Simulated hours that yield about ``live_answers`` outbound live answers at ~88 % occupancy."""
    handle = scenario.handle.mean_handle_seconds
    inbound_erlangs = scenario.inbound.rate_per_hour.at(0) / 3600.0 * handle
    outbound_agents = max(1.0, scenario.agents.count * 0.88 - inbound_erlangs)
    per_hour = outbound_agents * 3600.0 / handle
    return max(2.0, math.ceil(live_answers / per_hour * 2) / 2)


def legal_worst(result: RunResult) -> float:
    """The worst legal window of a run: its worst 24 h window (the whole measured period when shorter) and the
    windows holding the campaign's start (``worst_start_abandon``, warm-up included)."""
    return max(result.worst_24h_abandon, result.worst_start_abandon or 0.0)


def _whole_rate(result: RunResult) -> float:
    return result.abandon_rate


@dataclass(frozen=True, slots=True)
class Tuned:
    """A baseline whose one knob the bench tunes to 3 % on the tuning seed: its rule, the knob's range, which
    rate is held at 3 % and how the knob is printed."""

    make: Callable[[float], Policy]
    low: float
    high: float
    measure: Callable[[RunResult], float]
    label: str  # format of the knob, e.g. "×{:.3f}"


TUNED: dict[str, Tuned] = {
    "fixed-ratio": Tuned(P.fixed_ratio, 1.0, 12.0, _whole_rate, "level {:.2f}"),
    "power": Tuned(P.power, 1.0, 15.0, _whole_rate, "ratio {:.2f}"),
    "issabel": Tuned(P.IssabelLike, 0.05, 3.0, _whole_rate, "×{:.3f}"),
    "ev-tuned": Tuned(P.expected_value, 0.05, 3.0, _whole_rate, "×{:.3f}"),
    "ev-legal": Tuned(P.expected_value, 0.05, 3.0, legal_worst, "×{:.3f}"),
    "ours-static": Tuned(P.ours_static, 0.0005, 0.5, _whole_rate, "level {:.4f}"),
}
UNTUNED: dict[str, Callable[[], Policy]] = {
    "progressive": P.progressive,
    "ours-pooled": P.ours_pooled,
    "ours-agent": P.ours_agent,
    "ours-hour": P.ours_hour,
    "ours-history": P.ours_history,
    "ours": P.ours,
    "ours-ready": P.ours_ready,
    "clairvoyant": P.clairvoyant,
}
assert set(TUNED) | set(UNTUNED) == set(POLICY_ORDER)

# The tuning runs of one rule on one scenario and plan, by knob: ev-tuned and ev-legal tune the same rule, so
# the runs their bisections share (both ends of the range, the first midpoints) are simulated once.
TuningMemo = dict[tuple[str, float], RunResult]


def make_policy(name: str, knob: float | None = None) -> Policy:
    """The policy ``name`` (a tuned baseline with its ``knob``)."""
    if name in TUNED:
        if knob is None:
            raise ValueError(f"{name} needs its tuned knob")
        return TUNED[name].make(knob)
    return UNTUNED[name]()


def knob_label(name: str, knob: float | None) -> str:
    return TUNED[name].label.format(knob) if name in TUNED and knob is not None else ""


def tune(
    scenario: Scenario,
    make: Callable[[float], Policy],
    low: float,
    high: float,
    plan: RunPlan,
    steps: int = TUNE_STEPS,
    measure: Callable[[RunResult], float] = _whole_rate,
    memo: TuningMemo | None = None,
    cache: RunCache | None = None,
    counts: list[int] | None = None,
) -> float:
    """The largest knob (log-scale bisection) whose abandon rate on the tuning seed stays at most 3 % (``measure``:
    which rate; by default the whole measured period's). ``memo`` keeps the tuning runs by (rule, knob) for
    another tuning of the same rule on the same scenario and plan; ``cache``, across commands (``counts``: runs
    taken from it and runs made, added to)."""
    rule = getattr(make, "__qualname__", repr(make))

    def rate(knob: float) -> float:
        key = (rule, knob)
        result = memo.get(key) if memo is not None else None
        if result is None:
            result, cached = simulate_cached(
                cache,
                scenario,
                f"rule:{rule}",
                knob,
                lambda: make(knob),
                seed=plan.tuning_seed,
                hours=plan.hours,
                warmup_minutes=plan.warmup_minutes,
            )
            if counts is not None:
                counts[0 if cached else 1] += 1
            if memo is not None:
                memo[key] = result
        return measure(result)

    if rate(high) <= TUNE_TARGET:
        return high
    if rate(low) > TUNE_TARGET:
        return low
    lo, hi = math.log(low), math.log(high)
    for _ in range(steps):
        mid = (lo + hi) / 2.0
        if rate(math.exp(mid)) <= TUNE_TARGET:
            lo = mid
        else:
            hi = mid
    return math.exp(lo)


def tune_knobs(
    scenario: Scenario,
    plan: RunPlan,
    names: Sequence[str],
    note: Callable[[str], None] = lambda _: None,
    memo: TuningMemo | None = None,
    cache: RunCache | None = None,
    counts: list[int] | None = None,
) -> dict[str, float]:
    """The tuned knob of each of ``names`` that has one (in POLICY_ORDER), sharing tuning runs through ``memo``
    (and ``cache``; ``counts``: [runs from the cache, runs made], added to)."""
    memo = {} if memo is None else memo
    knobs = {}
    for name in POLICY_ORDER:
        if name in names and name in TUNED:
            note(f"tuning {name}")
            t = TUNED[name]
            knobs[name] = tune(
                scenario, t.make, t.low, t.high, plan, measure=t.measure, memo=memo, cache=cache, counts=counts
            )
    return knobs


def policy_key(name: str) -> str:
    """What a run of policy ``name`` is cached under: a tuned policy by its rule (ev-tuned and ev-legal, the same
    rule, share their runs at the same knob), the others by name."""
    if name in TUNED:
        make = TUNED[name].make
        return f"rule:{getattr(make, '__qualname__', repr(make))}"
    return f"policy:{name}"


def run_one(
    scenario: Scenario,
    plan: RunPlan,
    name: str,
    knob: float | None,
    seed: int,
    cache: RunCache | None = None,
    counts: list[int] | None = None,
) -> RunResult:
    """One report run of one policy on one seed, labelled as the bench prints it (from ``cache`` when it holds
    it; ``counts``: [runs from the cache, runs made], added to)."""
    result, cached = simulate_cached(
        cache,
        scenario,
        policy_key(name),
        knob if name in TUNED else None,
        lambda: make_policy(name, knob),
        seed=seed,
        hours=plan.hours,
        warmup_minutes=plan.warmup_minutes,
    )
    if counts is not None:
        counts[0 if cached else 1] += 1
    return replace(result, policy=name, knob=knob_label(name, knob), seed=seed)


def run_scenario(
    scenario: Scenario,
    plan: RunPlan,
    policies: Sequence[str] = POLICY_ORDER,
    progress: bool = False,
    seeds: Sequence[int] = (),
    cache: RunCache | None = None,
    counts: list[int] | None = None,
) -> list[RunResult]:
    """Every requested policy on one scenario, baselines tuned first (once); rows in POLICY_ORDER, for
    ``plan.seed`` or, when given, for each of ``seeds`` in turn; runs from ``cache`` where it holds them
    (``counts``: [runs from the cache, runs made], added to)."""
    counts = [0, 0] if counts is None else counts

    def note(name: str) -> None:
        if progress:
            typer.echo(f"  {scenario.name}: {name} …", err=True)

    knobs = tune_knobs(scenario, plan, policies, note, cache=cache, counts=counts)
    rows = []
    for seed in seeds or (plan.seed,):
        for name in POLICY_ORDER:
            if name not in policies:
                continue
            before = counts[0]
            rows.append(run_one(scenario, plan, name, knobs.get(name), seed, cache, counts))
            note(f"{name} (seed {seed}) {'cached' if counts[0] > before else 'run'}")
    return rows


def worst_24h(rows: Sequence[RunResult]) -> str:
    """The worst full 24 h window over ``rows`` in percent; runs shorter than 24 h have none, their whole run's
    rate is shown as ``partial`` (not a 24 h figure: neither a breach nor a pass of the 24 h rule)."""
    full = [r.worst_24h_abandon for r in rows if not r.window_partial]
    if full:
        return f"{100 * max(full):.2f}"
    if rows:
        return f"{100 * max(r.worst_24h_abandon for r in rows):.2f} partial"
    return "—"


def worst_start(rows: Sequence[RunResult]) -> str:
    """The worst window holding the campaign's start over ``rows`` (percent), or — when no run reached its first
    hour."""
    seen = [r.worst_start_abandon for r in rows if r.worst_start_abandon is not None]
    return f"{100 * max(seen):.2f}" if seen else "—"


def format_seed_summary(rows: Sequence[RunResult]) -> str:
    """Per policy over the seeds: mean and lowest occupancy, the worst 24 h window anywhere, mean abandons."""
    lines = [f"  over seeds {sorted({r.seed for r in rows})}:"]
    lines.append(
        f"  {'policy':<12} {'occup% mean':>11} {'min':>6} {'aband% mean':>11} {'worst24h% max':>13} {'start% max':>10}"
        f" {'held% mean':>10} {'level med':>9}"
    )
    for name in POLICY_ORDER:
        mine = [r for r in rows if r.policy == name]
        if not mine:
            continue
        occupancy = [r.occupancy for r in mine]
        lines.append(
            f"  {name:<12} {100 * sum(occupancy) / len(occupancy):>11.2f} {100 * min(occupancy):>6.2f} "
            f"{100 * sum(r.abandon_rate for r in mine) / len(mine):>11.2f} "
            f"{worst_24h(mine):>13} {worst_start(mine):>10} {_mean_pct([r.guard_held_share for r in mine]):>10}"
            f" {_median_level(mine):>9}"
        )
    return "\n".join(lines)


def _mean_pct(values: Sequence[float | None]) -> str:
    """The mean of the known values in percent, or — (baselines: the pacer's guards never held them)."""
    known = [v for v in values if v is not None]
    return f"{100 * sum(known) / len(known):.2f}" if known else "—"


def _median_level(rows: Sequence[RunResult]) -> str:
    """The median over runs of each run's median applied abandon-risk level (percent), or —."""
    known = sorted(r.applied_level_median for r in rows if r.applied_level_median is not None)
    return f"{100 * known[len(known) // 2]:.2f}" if known else "—"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f}"


def describe(scenario: Scenario) -> str:
    p = scenario.outbound.answer_probability
    answer = f"p={p.points[0][1]:.2f}" if p.is_constant else f"p={p.maximum:.2f}→{p.minimum:.2f}"
    extra = ""
    if scenario.inbound.enabled:
        erlangs = scenario.inbound.rate_per_hour.at(0) / 3600.0 * scenario.handle.mean_handle_seconds
        extra = f", inbound {erlangs:.1f} Erl (patience {scenario.inbound.patience_mean_seconds:.0f} s)"
    return f"{scenario.agents.count} agents, {answer}{extra}"


def format_table(scenario: Scenario, plan: RunPlan, rows: Sequence[RunResult]) -> str:
    blended = scenario.inbound.enabled
    head = (
        f"{'policy':<12} {'knob':<13} {'occup%':>7} {'talk m/ah':>9} {'aband%':>7} {'worst24h%':>9} "
        f"{'worst1h%':>8} {'start%':>6} {'dials/ah':>8} {'idle s mean/p90':>15} {'live':>6}"
    )
    if blended:
        head += f" {'in SL20%':>8} {'in aband%':>9}"
    lines = [
        f"{scenario.name}: {describe(scenario)} — {plan.hours:g} h after {plan.warmup_minutes:g} min warm-up, "
        f"seed {plan.seed} (baselines tuned to 3 % on seed {plan.tuning_seed})",
        head,
    ]
    for r in rows:
        line = (
            f"{r.policy:<12} {r.knob:<13} {100 * r.occupancy:>7.2f} {r.talk_minutes_per_agent_hour:>9.1f} "
            f"{_pct(r.abandon_rate):>7} {worst_24h([r]):>9} {_pct(r.worst_1h_abandon):>8} "
            f"{_pct(r.worst_start_abandon):>6} "
            f"{r.dials_per_agent_hour:>8.1f} {f'{r.idle_gap_mean:.1f}/{r.idle_gap_p90:.1f}':>15} {r.live_answers:>6}"
        )
        if blended:
            line += f" {_pct(r.inbound_service_level):>8} {_pct(r.inbound_abandon_rate):>9}"
        lines.append(line)
    return "\n".join(lines)


def json_rows(scenario: Scenario, plan: RunPlan, rows: Sequence[RunResult]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        row = r.as_dict()
        row.update(
            description=describe(scenario),
            seed=r.seed or plan.seed,
            tuning_seed=plan.tuning_seed,
            warmup_minutes=plan.warmup_minutes,
            answer_probability_max=scenario.outbound.answer_probability.maximum,
            answer_probability_min=scenario.outbound.answer_probability.minimum,
        )
        out.append(row)
    return out


def with_overrides(scenario: Scenario, agents: int | None, answer_rate: float | None) -> Scenario:
    """The scenario with the command line's --agents / --answer-rate applied (and named after them)."""
    if agents is None and answer_rate is None:
        return scenario
    if agents is not None:
        scenario = replace(scenario, agents=replace(scenario.agents, count=agents))
    if answer_rate is not None:
        outbound = replace(scenario.outbound, answer_probability=Profile.constant(answer_rate))
        scenario = replace(scenario, outbound=outbound)
    p = scenario.outbound.answer_probability
    answer = f"{p.points[0][1]:.2f}" if p.is_constant else "drift"
    return replace(scenario, name=f"n{scenario.agents.count}-p{answer}")


def _plan_hours(scenario: Scenario, hours: float | None, live_answers: int, min_hours: float = 0.0) -> float:
    """--hours first, then the scenario's ``[run] hours``, else sized to about ``live_answers``; the latter two
    at least ``min_hours``."""
    if hours is not None:
        return hours
    if scenario.run.hours is not None:
        return max(min_hours, scenario.run.hours)
    return max(min_hours, hours_for(scenario, live_answers))


def full_scenarios() -> list[Scenario]:
    """What `--full` runs: the grid and the shipped special scenarios (``campaigns/scenarios/*.toml``)."""
    chosen = []
    if SPECIAL_SCENARIOS_DIR.is_dir():  # first: the longest runs (with --jobs, the grid fills in around them)
        chosen += [load_scenario(path) for path in sorted(SPECIAL_SCENARIOS_DIR.glob("*.toml"))]
    return chosen + [load_scenario(name) for name in GRID]


@dataclass(frozen=True, slots=True)
class CellJob:
    """One scenario's runs: what a worker process needs (picklable)."""

    scenario: Scenario
    plan: RunPlan
    policies: tuple[str, ...]
    seeds: tuple[int, ...]
    progress: bool
    cache: RunCache | None = None


def run_cell(job: CellJob, counts: list[int] | None = None) -> tuple[list[RunResult], float]:
    started = time.perf_counter()
    rows = run_scenario(
        job.scenario, job.plan, job.policies, progress=job.progress, seeds=job.seeds, cache=job.cache, counts=counts
    )
    return rows, time.perf_counter() - started


def _cell_job(
    scenario: Scenario,
    *,
    hours: float | None,
    seed: int | None,
    live_answers: int,
    policies: Sequence[str] | None,
    progress: bool,
    seeds: int,
    min_hours: float = 0.0,
    cache: RunCache | None = None,
) -> CellJob:
    if policies is not None:
        wanted = tuple(dict.fromkeys(policies))
    else:
        wanted = (*DEFAULT_POLICIES, "ours-static") if scenario.name == "drifting" else DEFAULT_POLICIES
    reported_seed = seed if seed is not None else scenario.run.seed
    tuning_seed = scenario.run.tuning_seed
    if tuning_seed == reported_seed:
        tuning_seed += 1  # report on a fresh seed
    seed_list = tuple(reported_seed + i for i in range(seeds)) if seeds > 1 else ()
    if tuning_seed in seed_list:
        tuning_seed = max(seed_list) + 1
    plan = RunPlan(
        hours=_plan_hours(scenario, hours, live_answers, min_hours),
        warmup_minutes=scenario.run.warmup_minutes,
        seed=reported_seed,
        tuning_seed=tuning_seed,
    )
    return CellJob(scenario, plan, wanted, seed_list, progress, cache)


def run_bench(
    scenarios: Sequence[Scenario],
    *,
    hours: float | None,
    seed: int | None,
    live_answers: int,
    as_json: bool,
    policies: Sequence[str] | None = None,
    progress: bool = True,
    seeds: int = 1,
    jobs: int = 1,
    summary: bool = False,
    min_hours: float = 0.0,
    cache: RunCache | None = None,
) -> None:
    """Run and print each scenario. Without explicit ``policies``: the default set, ``ours-static`` too for
    drifting. ``jobs`` > 1 runs scenarios in that many processes (printed in order); ``summary`` ends with one
    line per scenario: worst 24 h window and mean occupancy of each policy over the seeds. ``cache``: runs are
    taken from it where it holds them, and the runs made are stored in it."""
    cells = [
        _cell_job(
            s,
            hours=hours,
            seed=seed,
            live_answers=live_answers,
            policies=policies,
            progress=progress and not as_json and jobs <= 1,
            seeds=seeds,
            min_hours=min_hours,
            cache=cache,
        )
        for s in scenarios
    ]
    if summary and progress:
        typer.echo(format_projection(project_cpu(cells), jobs), err=True)
    counts = [0, 0]  # runs from the cache, runs made
    if jobs > 1:  # every run of every cell in the pool; each cell printed as soon as its runs are done
        done = _run_pooled(cells, jobs, as_json, progress, counts)
    else:
        done = list(_echo_cells(cells, (run_cell(cell, counts) for cell in cells), as_json))
    if cache is not None and progress:
        typer.echo(f"bench cache {cache.root}: {counts[0]} run(s) from the cache, {counts[1]} run(s) made", err=True)
    if summary and not as_json:
        typer.echo(format_full_summary(done))
        typer.echo(format_worst_windows(done))


# CPU seconds per simulated hour (process time, warm-up included), by the rule a policy runs and team size: measured
# on this repository's code (docs/benchmarks.md §1.5, and §1.8 for ours after its speed-ups). Between sizes,
# linear; above them, in proportion to the team; below, the smallest team's.
CPU_PER_SIMULATED_HOUR: dict[str, dict[int, float]] = {
    "ours": {10: 0.55, 20: 0.78, 50: 1.7, 100: 2.8},  # n50: between; the others measured under load 5-6
    "ours-ready": {10: 0.55, 20: 0.78, 50: 1.7, 100: 2.8},  # as ours (§1.5: within 0.1 s of it)
    "clairvoyant": {10: 0.43, 20: 0.69, 50: 1.62, 100: 3.39},
    "baseline": {10: 0.25, 20: 0.41, 50: 0.90, 100: 1.74},  # the EV rule (and the other tuned baselines)
}


def cpu_per_simulated_hour(policy: str, agents: int) -> float:
    """The measured CPU seconds per simulated hour of ``policy`` with ``agents`` agents (CPU_PER_SIMULATED_HOUR)."""
    if policy.startswith("ours-ready"):
        table = CPU_PER_SIMULATED_HOUR["ours-ready"]
    elif policy.startswith("ours"):
        table = CPU_PER_SIMULATED_HOUR["ours"]
    elif policy == "clairvoyant":
        table = CPU_PER_SIMULATED_HOUR["clairvoyant"]
    else:
        table = CPU_PER_SIMULATED_HOUR["baseline"]
    sizes = sorted(table)
    if agents <= sizes[0]:  # a small team's decisions cost what their fixed part costs: not less
        return table[sizes[0]]
    if agents >= sizes[-1]:
        return table[sizes[-1]] * agents / sizes[-1]
    for low, high in itertools.pairwise(sizes):
        if agents <= high:
            return table[low] + (table[high] - table[low]) * (agents - low) / (high - low)
    raise AssertionError("unreachable")


class _NotCached(Exception):
    """A run the cache does not hold (a projection reads the cache only)."""


def _cache_only(make: Callable[[float], Policy]) -> Callable[[float], Policy]:
    """``make`` for tuning from the cache alone: the same rule (its cache key), any run not cached raises."""

    @functools.wraps(make)
    def missing(knob: float) -> Policy:
        raise _NotCached

    return missing


@dataclass(frozen=True, slots=True)
class CellProjection:
    cell: CellJob
    cached: int  # runs the cache holds (report runs, and tunings it holds whole, counted as one each)
    to_run: int  # runs to make, a tuning counted as TUNE_STEPS + 2 runs
    cpu_seconds: float


def project_cpu(cells: Sequence[CellJob]) -> list[CellProjection]:
    """What each cell will cost: its runs not in the cache × their simulated hours × the measured CPU per
    simulated hour of their policy at the cell's team size. A tuning the cache holds whole gives its knob (and so
    which of the tuned policy's runs are cached); one it does not is counted whole (TUNE_STEPS + 2 runs), with its
    policy's report runs."""
    out = []
    for cell in cells:
        plan, scenario, cache = cell.plan, cell.scenario, cell.cache
        sim_hours = plan.hours + plan.warmup_minutes / 60.0
        agents = scenario.agents.count
        cached = to_run = 0
        cpu = 0.0
        knobs: dict[str, float] = {}
        tuned_rules: dict[str, list[str]] = {}
        for name in cell.policies:
            if name in TUNED:
                tuned_rules.setdefault(policy_key(name), []).append(name)
        for names in tuned_rules.values():
            try:
                if cache is None:
                    raise _NotCached
                for name in names:
                    t = TUNED[name]
                    knobs[name] = tune(
                        scenario, _cache_only(t.make), t.low, t.high, plan, measure=t.measure, cache=cache
                    )
                cached += 1
            except _NotCached:
                to_run += TUNE_STEPS + 2
                cpu += (TUNE_STEPS + 2) * sim_hours * cpu_per_simulated_hour(names[0], agents)
        for seed in _seeds_of(cell):
            for name in cell.policies:
                hit = False
                if cache is not None and (name not in TUNED or name in knobs):
                    key = cache.key(scenario, policy_key(name), knobs.get(name), seed, plan.hours, plan.warmup_minutes)
                    hit = cache.path(key).exists()
                if hit:
                    cached += 1
                else:
                    to_run += 1
                    cpu += sim_hours * cpu_per_simulated_hour(name, agents)
        out.append(CellProjection(cell, cached, to_run, cpu))
    return out


def format_projection(projections: Sequence[CellProjection], jobs: int) -> str:
    """Per cell and in all: the runs cached, the runs to make and their projected CPU time."""
    lines = ["Projected CPU time (measured CPU per simulated hour; runs in the cache cost nothing):"]
    for p in projections:
        lines.append(
            f"  {p.cell.scenario.name:<16} {p.cell.plan.hours:g} h/run: {p.cached} cached, {p.to_run} to run,"
            f" {p.cpu_seconds / 60.0:.1f} CPU-min"
        )
    total = sum(p.cpu_seconds for p in projections)
    lines.append(
        f"  in all: {total / 3600.0:.1f} CPU-hours, at best {total / 3600.0 / max(1, jobs):.1f} h wall on {jobs}"
        f" process(es) with a whole core each"
    )
    return "\n".join(lines)


def _tune_task(
    scenario: Scenario, plan: RunPlan, names: tuple[str, ...], cache: RunCache | None
) -> tuple[dict[str, float], float, list[int]]:
    started = time.perf_counter()
    counts = [0, 0]
    knobs = tune_knobs(scenario, plan, names, cache=cache, counts=counts)
    return knobs, time.perf_counter() - started, counts


def _run_task(
    scenario: Scenario, plan: RunPlan, name: str, knob: float | None, seed: int, cache: RunCache | None
) -> tuple[RunResult, float, bool]:
    started = time.perf_counter()
    counts = [0, 0]
    result = run_one(scenario, plan, name, knob, seed, cache, counts)
    return result, time.perf_counter() - started, counts[0] > 0


def _seeds_of(cell: CellJob) -> tuple[int, ...]:
    return cell.seeds or (cell.plan.seed,)


def _run_pooled(
    cells: Sequence[CellJob], jobs: int, as_json: bool, progress: bool, counts: list[int] | None = None
) -> list[tuple[CellJob, list[RunResult]]]:
    """Every independent run in ``jobs`` processes: each cell's tunings (one task per rule: ev-tuned and ev-legal
    share their runs), its untuned policies' runs at once, a tuned policy's runs when its knob is known. The rows
    are the sequential path's (each run is seeded and alone in its process). Progress on stderr: runs done, the
    wall time per simulated hour (or "cached"), a rough time left; ``counts``: [runs from the cache, runs made],
    added to."""
    counts = [0, 0] if counts is None else counts
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    started = time.perf_counter()
    results: list[dict[tuple[str, int], RunResult]] = [{} for _ in cells]
    walls = [0.0] * len(cells)
    finished: dict[int, tuple[CellJob, list[RunResult]]] = {}

    # Work left, in simulated agent-hours (a tuning counted as TUNE_STEPS + 2 runs), and its measured pace.
    def weight(cell: CellJob) -> float:
        return (cell.plan.hours + cell.plan.warmup_minutes / 60.0) * max(1, cell.scenario.agents.count)

    total_runs = sum(len(_seeds_of(c)) * len(c.policies) for c in cells)
    runs_done, work_done, work_wall = 0, 0.0, 0.0
    work_left = 0.0
    pending: dict[Future[Any], tuple[int, str, tuple[str, ...] | tuple[str, int]]] = {}

    def echo(line: str) -> None:
        if progress:
            typer.echo(line, err=True)

    with ProcessPoolExecutor(max_workers=jobs) as pool:

        def submit_runs(i: int, names: Sequence[str], knobs: dict[str, float]) -> None:
            cell = cells[i]
            for seed in _seeds_of(cell):
                for name in names:
                    future = pool.submit(_run_task, cell.scenario, cell.plan, name, knobs.get(name), seed, cell.cache)
                    pending[future] = (i, "run", (name, seed))

        for i, cell in enumerate(cells):  # the tunings first: each is a chain of runs the report runs wait for
            rules: dict[str, list[str]] = {}
            for name in cell.policies:
                if name in TUNED:
                    rules.setdefault(TUNED[name].make.__qualname__, []).append(name)
            for names in rules.values():
                task = pool.submit(_tune_task, cell.scenario, cell.plan, tuple(names), cell.cache)
                pending[task] = (i, "tune", tuple(names))
                work_left += (TUNE_STEPS + 2) * weight(cell)
            work_left += len(_seeds_of(cell)) * len(cell.policies) * weight(cell)
        for i, cell in enumerate(cells):
            submit_runs(i, [n for n in cell.policies if n not in TUNED], {})
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in ready:
                    i, kind, what = pending.pop(future)
                    cell = cells[i]
                    if kind == "tune":
                        knobs, wall, tuning = future.result()
                        walls[i] += wall
                        counts[0] += tuning[0]
                        counts[1] += tuning[1]
                        names = [str(n) for n in what]
                        echo(
                            f"  {cell.scenario.name}: tuned "
                            + ", ".join(f"{n} {knob_label(n, knobs[n])}" for n in names)
                            + f" ({wall:.0f} s; tuning runs: {tuning[0]} cached, {tuning[1]} run)"
                        )
                        submit_runs(i, names, knobs)
                        work_left -= (TUNE_STEPS + 2) * weight(cell)
                        continue
                    result, wall, cached = future.result()
                    name, seed = str(what[0]), int(what[1])
                    results[i][(name, seed)] = result
                    walls[i] += wall
                    runs_done += 1
                    counts[0 if cached else 1] += 1
                    work_left -= weight(cell)
                    sim_hours = cell.plan.hours + cell.plan.warmup_minutes / 60.0
                    if cached:
                        took = "cached"
                    else:
                        work_done += weight(cell)
                        work_wall += wall
                        took = f"{wall:.0f} s ({wall / sim_hours:.2f} s per simulated hour)"
                    eta = work_wall / work_done * max(0.0, work_left) / jobs / 60.0 if work_done else 0.0
                    echo(
                        f"  [{runs_done}/{total_runs} runs, {(time.perf_counter() - started) / 60.0:.1f} min]"
                        f" {cell.scenario.name} {name} seed {seed}: {took}; about {eta:.0f} min left"
                    )
                    if len(results[i]) == len(_seeds_of(cell)) * len(cell.policies):
                        rows = [results[i][(n, s)] for s in _seeds_of(cell) for n in POLICY_ORDER if n in cell.policies]
                        finished.update((i, d) for d in _echo_cells([cell], [(rows, walls[i])], as_json))
        except BaseException:  # a failed run (or ^C): the queued runs are not started
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [finished[i] for i in sorted(finished)]


def _echo_cells(
    cells: Sequence[CellJob], results: Iterable[tuple[list[RunResult], float]], as_json: bool
) -> Iterator[tuple[CellJob, list[RunResult]]]:
    import json
    import sys

    for cell, (rows, wall) in zip(cells, results, strict=True):
        scenario, plan = cell.scenario, cell.plan
        if as_json:
            for row in json_rows(scenario, plan, rows):
                sys.stdout.write(json.dumps(row) + "\n")
            sys.stdout.flush()
        else:
            for shown in cell.seeds or (plan.seed,):
                typer.echo(format_table(scenario, replace(plan, seed=shown), [r for r in rows if r.seed == shown]))
            if cell.seeds:
                typer.echo(format_seed_summary(rows))
            typer.echo(f"  ({wall:.0f} s of runs)\n")
        yield cell, rows


def format_full_summary(done: Sequence[tuple[CellJob, Sequence[RunResult]]]) -> str:
    """One markdown row per scenario: the worst 24 h window over the seeds and the mean occupancy of each
    policy, the occupancy goal where the grid has one, and whether ours is ahead of the tuned EV rule."""
    names = [n for n in POLICY_ORDER if any(r.policy == n for _, rows in done for r in rows)]
    head = (
        "| cell | seeds | h/seed | "
        + " | ".join(f"worst 24 h % {n}" for n in names)
        + " | "
        + " | ".join(f"occup % {n}" for n in names)
        + " | "
        + " | ".join(f"worst start % {n}" for n in names)
        + " | goal | ours − ev |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for cell, rows in done:
        worst: list[str] = []
        start: list[str] = []
        occupancy: dict[str, float] = {}
        for name in names:
            mine = [r for r in rows if r.policy == name]
            worst.append(worst_24h(mine))
            start.append(worst_start(mine))
            if mine:
                occupancy[name] = sum(r.occupancy for r in mine) / len(mine)
        scenario = cell.scenario
        p = scenario.outbound.answer_probability
        goal = OCCUPANCY_GOALS.get(scenario.agents.count) if p.is_constant and p.maximum == 0.20 else None
        leads = [
            f"{100 * (occupancy['ours'] - occupancy[ev]):+.2f}{'' if ev == 'ev-tuned' else f' ({ev})'}"
            for ev in ("ev-tuned", "ev-legal")
            if "ours" in occupancy and ev in occupancy
        ]
        lead = ", ".join(leads) or "—"
        lines.append(
            f"| {scenario.name} | {len(cell.seeds) or 1} | {cell.plan.hours:g} | "
            + " | ".join(worst)
            + " | "
            + " | ".join(f"{100 * occupancy[n]:.2f}" if n in occupancy else "—" for n in names)
            + " | "
            + " | ".join(start)
            + f" | {'—' if goal is None else f'{100 * goal:g}'} | {lead} |"
        )
    return "\n".join(lines)


def format_worst_windows(done: Sequence[tuple[CellJob, Sequence[RunResult]]]) -> str:
    """Per policy, its worst window over every cell and seed: the worst full 24 h window (and where), else the
    worst whole-run rate of the runs shorter than 24 h (``partial``), and the worst window holding the start."""
    lines = ["Worst window of each policy over every cell and seed:"]
    rows = [r for _, cell_rows in done for r in cell_rows]
    for name in POLICY_ORDER:
        mine = [r for r in rows if r.policy == name]
        if not mine:
            continue
        full = [r for r in mine if not r.window_partial]
        if full:
            w = max(full, key=lambda r: r.worst_24h_abandon)
            worst = f"24 h {100 * w.worst_24h_abandon:.2f} % ({w.scenario}, seed {w.seed}, of {len(full)} runs)"
        else:
            w = max(mine, key=lambda r: r.worst_24h_abandon)
            worst = f"no 24 h run; whole run {100 * w.worst_24h_abandon:.2f} % partial ({w.scenario}, seed {w.seed})"
        starts = [r for r in mine if r.worst_start_abandon is not None]
        if starts:
            s = max(starts, key=lambda r: r.worst_start_abandon or 0.0)
            worst += f"; start {100 * (s.worst_start_abandon or 0.0):.2f} % ({s.scenario}, seed {s.seed})"
        lines.append(f"  {name:<12} {worst}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `dialer bench pacing` to `dialer bench`."""

    @app.command("pacing")
    def pacing(
        scenario: Annotated[
            list[Path] | None, typer.Option("--scenario", help="Scenario TOML file (repeatable); default: the grid.")
        ] = None,
        agents: Annotated[int | None, typer.Option("--agents", min=1, help="Override the number of agents.")] = None,
        answer_rate: Annotated[
            float | None, typer.Option("--answer-rate", min=0.01, max=0.9, help="Override the live answer rate.")
        ] = None,
        hours: Annotated[float | None, typer.Option("--hours", min=0.1, help="Measured simulated hours.")] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Seed of the reported runs.")] = None,
        live_answers: Annotated[
            int | None,
            typer.Option(
                "--live-answers",
                min=100,
                help=f"Size cells to about this many live answers (default {DEFAULT_LIVE_ANSWERS}; with --full,"
                f" pooled over the seeds, default {FULL_LIVE_ANSWERS}).",
            ),
        ] = None,
        full: Annotated[
            bool,
            typer.Option(
                "--full",
                help=f"The grid and campaigns/scenarios/, {FULL_SEEDS} seeds (unless --seeds), policies"
                f" {', '.join(FULL_POLICIES)} (unless --policy), {FULL_LIVE_ANSWERS} live answers per cell pooled"
                f" over the seeds but at least {FULL_MIN_HOURS:g} h per run (unless --hours), and a summary table.",
            ),
        ] = False,
        policy: Annotated[
            list[str] | None, typer.Option("--policy", help=f"Only these policies ({', '.join(POLICY_ORDER)}).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
        seeds: Annotated[
            int, typer.Option("--seeds", min=1, help="Report this many seeds from --seed on, and their worst window.")
        ] = 1,
        jobs: Annotated[
            int,
            typer.Option(
                "--jobs",
                min=1,
                help="Run the independent runs (tunings, seeds, policies, cells) in this many processes"
                " (default: the machine's cores); 1 runs them in order in this process.",
            ),
        ] = DEFAULT_JOBS,
        cache_dir: Annotated[
            Path | None,
            typer.Option(
                "--cache",
                help="Keep each run's result in this directory and reuse the runs it holds (keyed by the scenario,"
                " policy and knob, seed, hours, warm-up and the code's fingerprint); with --full the default is"
                " var/bench-cache/.",
            ),
        ] = None,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Run everything again: no cache, not even --full's.")
        ] = False,
    ) -> None:
        """Pacing quality: occupancy and abandons of each policy in the discrete-event simulator."""
        if policy:
            unknown = sorted(set(policy) - set(POLICY_ORDER))
            if unknown:
                typer.echo(f"error: unknown policy {', '.join(unknown)}", err=True)
                raise typer.Exit(2)
        try:
            if scenario:
                chosen = [load_scenario(p) for p in scenario]
            elif full:
                chosen = full_scenarios()
            elif agents is not None or answer_rate is not None:
                chosen = [load_scenario("n20-p020")]
            else:
                chosen = [load_scenario(name) for name in DEFAULT_SCENARIOS]
        except ScenarioError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        chosen = [with_overrides(s, agents, answer_rate) for s in chosen]
        if full and seeds == 1:
            seeds = FULL_SEEDS
        if no_cache:
            cache_dir = None
        elif cache_dir is None and full:
            cache_dir = DEFAULT_CACHE_DIR
        run_bench(
            chosen,
            hours=hours,
            seed=seed,
            live_answers=math.ceil((live_answers or FULL_LIVE_ANSWERS) / seeds)
            if full
            else (live_answers or DEFAULT_LIVE_ANSWERS),
            as_json=as_json,
            policies=tuple(policy) if policy else (FULL_POLICIES if full else None),
            seeds=seeds,
            jobs=jobs,
            summary=full,
            min_hours=FULL_MIN_HOURS if full else 0.0,
            cache=RunCache.at(cache_dir) if cache_dir is not None else None,
        )


DEFAULT_SEEDS = 5  # `make bench`: seeds per cell, the worst window printed over all of them


def run_default() -> None:
    """The default grid, blended and drifting, over DEFAULT_SEEDS seeds in the machine's cores; prints the tables,
    per cell the worst 24 h window over the seeds, then the summary table and each policy's worst window over
    every cell and seed."""
    typer.echo(
        f"Pacing quality (discrete-event simulation, ~{DEFAULT_LIVE_ANSWERS} live answers per cell,"
        f" {DEFAULT_SEEDS} seeds)\n"
    )
    run_bench(
        [load_scenario(name) for name in DEFAULT_SCENARIOS],
        hours=None,
        seed=None,
        live_answers=DEFAULT_LIVE_ANSWERS,
        as_json=False,
        seeds=DEFAULT_SEEDS,
        jobs=DEFAULT_JOBS,
        summary=True,
    )
