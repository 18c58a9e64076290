"""`dialer bench pacing` run in a process pool, its shared tuning runs and `make bench`'s worst windows: the
same decisions as the sequential path, run for run (docs/benchmarks.md §1.5)."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dialer.bench.pacing import (
    SPECIAL_SCENARIOS_DIR,
    TUNED,
    RunPlan,
    format_worst_windows,
    make_policy,
    tune,
    tune_knobs,
)
from dialer.cli import app
from dialer.sim.des import policies as P
from dialer.sim.des import simulate
from dialer.sim.model import load_scenario, parse_scenario

TINY = '[scenario]\nname = "tiny"\n[agents]\ncount = 4\n[run]\nhours = 0.3\nwarmup_minutes = 2\n'


def test_a_short_run_of_the_baselines_is_pinned() -> None:
    """The simulator's event loop and metrics, pinned on two baselines (their decisions are the bench's own
    code, not the pacer's): a speed-up of the loop must give these exact figures."""
    scenario = load_scenario("n10-p020")
    pinned = (
        (
            P.fixed_ratio(2.5),
            {
                "live_answers": 592,
                "abandons": 386,
                "occupancy": 0.9651514080319462,
                "dials_per_agent_hour": 288.1,
                "idle_gap_mean": 6.090045198300658,
                "worst_start_abandon": 0.6424418604651163,
            },
        ),
        (
            P.expected_value(0.6),
            {
                "live_answers": 258,
                "abandons": 53,
                "occupancy": 0.9199206418472032,
                "idle_gap_mean": 16.407277642202757,
                "worst_start_abandon": 0.18661971830985916,
            },
        ),
    )
    for policy, figures in pinned:
        run = simulate(scenario, policy, seed=11, hours=1.0, warmup_minutes=10.0)
        assert {name: getattr(run, name) for name in figures} == figures, policy.name


def _json_rows(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_the_pool_gives_the_sequential_rows_run_for_run(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    args = [
        "bench", "pacing", "--scenario", str(scenario), "--seeds", "2", "--seed", "3", "--json",
        "--policy", "ev-tuned", "--policy", "ev-legal", "--policy", "ours", "--policy", "progressive",
    ]  # fmt: skip
    sequential = CliRunner().invoke(app, [*args, "--jobs", "1"])
    pooled = CliRunner().invoke(app, [*args, "--jobs", "2"])
    assert sequential.exit_code == 0, sequential.output
    assert pooled.exit_code == 0, pooled.output
    rows = _json_rows(sequential.stdout)
    assert [(r["policy"], r["seed"]) for r in rows] == [
        (p, s) for s in (3, 4) for p in ("progressive", "ev-tuned", "ev-legal", "ours")
    ]
    assert _json_rows(pooled.stdout) == rows


def test_the_pool_prints_its_progress_and_the_cells_in_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(TINY.replace('"tiny"', '"cell-a"'))
    b.write_text(TINY.replace('"tiny"', '"cell-b"'))
    result = CliRunner().invoke(
        app,
        [
            "bench", "pacing", "--full", "--scenario", str(a), "--scenario", str(b), "--seeds", "2",
            "--policy", "ev-tuned", "--policy", "ours", "--jobs", "2", "--hours", "0.3",
            "--cache", str(tmp_path / "cache"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[4/8 runs" in result.output
    assert "[8/8 runs" in result.output
    assert "s per simulated hour" in result.output
    assert "cell-a: tuned ev-tuned ×" in result.output
    summary = [line for line in result.output.splitlines() if line.startswith("| cell-")]
    assert [line.split("|")[1].strip() for line in summary] == ["cell-a", "cell-b"]
    assert "Worst window of each policy over every cell and seed:" in result.output


def test_ev_tuned_and_ev_legal_share_their_tuning_runs_and_find_the_same_knobs() -> None:
    scenario = load_scenario("n10-p020")
    plan = RunPlan(hours=0.5, warmup_minutes=10.0, seed=11, tuning_seed=7)
    memo: dict[tuple[str, float], object] = {}
    knobs = tune_knobs(scenario, plan, ("ev-tuned", "ev-legal"), memo=memo)  # type: ignore[arg-type]
    alone = {
        name: tune(scenario, TUNED[name].make, TUNED[name].low, TUNED[name].high, plan, measure=TUNED[name].measure)
        for name in ("ev-tuned", "ev-legal")
    }
    assert knobs == alone
    # Each bisection takes its two ends and six midpoints; the shared runs (at least the two ends) are run once.
    assert len(memo) <= 2 * 8 - 2


def test_make_bench_prints_each_policys_worst_window_over_every_cell_and_seed() -> None:
    scenario = load_scenario("n10-p020")
    run = simulate(scenario, P.progressive(), seed=3, hours=0.5, warmup_minutes=5.0)
    rows = [
        replace(run, policy="ours", scenario="n10-p020", seed=11, window_partial=False, worst_24h_abandon=0.0281),
        replace(run, policy="ours", scenario="n3-p020", seed=14, window_partial=False, worst_24h_abandon=0.0292),
        replace(run, policy="ours", scenario="n3-p020", seed=12, worst_24h_abandon=0.05),  # partial: not 24 h
        replace(run, policy="ev-tuned", scenario="n10-p020", seed=11, worst_24h_abandon=0.031),
    ]
    text = format_worst_windows([(None, rows)])  # type: ignore[list-item]
    assert "ours         24 h 2.92 % (n3-p020, seed 14, of 2 runs)" in text
    assert "ev-tuned     no 24 h run; whole run 3.10 % partial (n10-p020, seed 11)" in text


def test_each_runs_row_shows_its_worst_window_holding_the_campaigns_start(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY.replace("hours = 0.3", "hours = 1.0"))
    result = CliRunner().invoke(
        app, ["bench", "pacing", "--scenario", str(scenario), "--seed", "3", "--policy", "ours", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    head, row = (line for line in result.output.splitlines() if line.startswith(("policy", "ours")))
    assert "start%" in head.split()
    run = simulate(load_scenario(str(scenario)), P.ours(), seed=3, hours=1.0, warmup_minutes=2.0)
    assert run.worst_start_abandon is not None
    assert f" {100 * run.worst_start_abandon:.2f} " in row


# Every decision of the pacer on the bench's worlds, pinned (docs/benchmarks.md §1.8): the pacer's speed-ups (rows
# memoised per agent, the ringing rows looked up once per decision, the talking rows' CDF reads inlined, the
# simulator's cheaper views) keep every float: the same operations in the same order. Each cell exercises one:
# the team's rows and the calls' own answer rates (n10, learnt), agents of their own speed (their own rows),
# announced wrap-ups (ours-ready), exact free times (clairvoyant), AMD false positives (uk-amd-fp), a large team.
# A change that moves a decision on purpose re-pins these (run this test's cells, print the digests). Re-pinned for
# §1.19: every result gained ``machine_share`` (the grid cells' decisions unchanged, their digests without it equal
# before and after); uk-amd-fp's decisions moved on purpose (AMD paused in its young window).
LEARNT_WORLD = {
    "agents": {"count": 12},
    "handle": {"agent_talk_spread": 0.8, "agent_wrap_spread": 0.5},
    "outbound": {"attempt_shares": [0.6, 0.4], "attempt_answer_factors": [1.4, 0.4], "attempt_batch": 20},
}
DECISION_CELLS = {
    ("n10-p020", "ours", 1.0): "fb2aee36b2f81821d58b446e8315cdea804c095e0d25494e71b0432e27f35bc3",
    ("learnt", "ours", 1.5): "4553fa5cb6ba086ac12e1b56d1c5bd3259ce28b172a5cc080d79f3e55a0b31bc",
    ("learnt", "ours-ready", 0.5): "63f5279a43546bbef18d2a52cff040ef19ec160ac91b75718c6635f90b9ee3c0",
    ("n10-p020", "clairvoyant", 0.5): "dfb43754fe5dd097c05c1e0a6799810657a152605b3bbe6f3cb45c6142e4906f",
    ("uk-amd-fp", "ours", 0.5): "f4d81a2e79ca632ec44cf9a4600f78ddd6d6e02abc32d3bf6b8b19f22514658c",
    ("n100-p020", "ours", 0.15): "96faa17ec1166dfaaf951e4f2ed2384f75ec0315d0896839ed3ce5473d388813",
}


def decisions_digest(world: str, policy: str, hours: float, monkeypatch: pytest.MonkeyPatch) -> str:
    """sha256 of every decision (calls and explanation) and plan of ``policy`` in ``world``, then of its result."""
    digest = hashlib.sha256()
    decide, plan = P.decide, P.predictive_plan

    def spied_decide(*args: Any, **kwargs: Any) -> Any:
        decision = decide(*args, **kwargs)
        digest.update(repr((decision.calls, sorted(decision.explanation.as_dict().items()))).encode())
        return decision

    def spied_plan(*args: Any, **kwargs: Any) -> Any:
        result = plan(*args, **kwargs)
        digest.update(repr(result).encode())
        return result

    monkeypatch.setattr(P, "decide", spied_decide)
    monkeypatch.setattr(P, "predictive_plan", spied_plan)
    if world == "learnt":
        scenario = parse_scenario(LEARNT_WORLD)
    elif world == "uk-amd-fp":
        scenario = load_scenario(str(SPECIAL_SCENARIOS_DIR / "uk-amd-fp.toml"))
    else:
        scenario = load_scenario(world)
    result = simulate(scenario, make_policy(policy), seed=5, hours=hours, warmup_minutes=30.0)
    digest.update(repr(result).encode())
    return digest.hexdigest()


@pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="pinned on CPython 3.11's floats: from 3.12 on sum() adds floats with compensation, so every digest moves",
)
@pytest.mark.parametrize(("world", "policy", "hours"), list(DECISION_CELLS))
def test_the_pacers_decisions_are_pinned(
    world: str, policy: str, hours: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert decisions_digest(world, policy, hours, monkeypatch) == DECISION_CELLS[(world, policy, hours)]
