"""`dialer bench pacing`'s results cache (docs/benchmarks.md §1.8): a run is reused only when everything that
determines it is the same (scenario, policy and knob, seed, hours, warm-up, the code), and an unreadable entry is
reported, kept aside and made again."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialer.bench.pacing_cache import CODE_PATHS, PACKAGE_DIR, RunCache, code_fingerprint, simulate_cached
from dialer.cli import app
from dialer.sim.des import policies as P
from dialer.sim.des import simulate
from dialer.sim.model import load_scenario

TINY = '[scenario]\nname = "tiny"\n[agents]\ncount = 4\n[run]\nhours = 0.3\nwarmup_minutes = 2\n'


def _bench(scenario: Path, cache: Path, *extra: str) -> tuple[list[dict[str, object]], str]:
    args = ["bench", "pacing", "--scenario", str(scenario), "--seed", "3", "--json", "--cache", str(cache)]
    result = CliRunner().invoke(app, [*args, "--policy", "ours", "--policy", "progressive", *extra])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return rows, result.stderr


def test_a_cached_run_is_reused_and_gives_the_runs_rows(tmp_path: Path) -> None:
    scenario, cache = tmp_path / "tiny.toml", tmp_path / "cache"
    scenario.write_text(TINY)
    first, log = _bench(scenario, cache, "--jobs", "1")
    assert "0 run(s) from the cache, 2 run(s) made" in log
    assert len(list(cache.glob("*.json"))) == 2
    again, log = _bench(scenario, cache, "--jobs", "1")
    assert "2 run(s) from the cache, 0 run(s) made" in log
    assert again == first
    pooled, log = _bench(scenario, cache, "--jobs", "2")
    assert "2 run(s) from the cache, 0 run(s) made" in log
    assert "seed 3: cached" in log
    assert pooled == first
    uncached = CliRunner().invoke(
        app, ["bench", "pacing", "--scenario", str(scenario), "--seed", "3", "--json", "--jobs", "1", "--no-cache",
              "--policy", "ours", "--policy", "progressive"],
    )  # fmt: skip
    assert [json.loads(line) for line in uncached.stdout.splitlines() if line.startswith("{")] == first


def test_a_changed_seed_scenario_or_run_length_is_run_again(tmp_path: Path) -> None:
    scenario, cache = tmp_path / "tiny.toml", tmp_path / "cache"
    scenario.write_text(TINY)
    _bench(scenario, cache, "--jobs", "1")
    _, log = _bench(scenario, cache, "--jobs", "1", "--seeds", "2")  # seed 3 cached, seed 4 new
    assert "2 run(s) from the cache, 2 run(s) made" in log
    _, log = _bench(scenario, cache, "--jobs", "1", "--hours", "0.4")
    assert "0 run(s) from the cache, 2 run(s) made" in log
    scenario.write_text(TINY.replace("count = 4", "count = 5"))
    _, log = _bench(scenario, cache, "--jobs", "1")
    assert "0 run(s) from the cache, 2 run(s) made" in log


def test_a_run_of_other_code_is_not_reused(tmp_path: Path) -> None:
    scenario = load_scenario("n10-p020")
    ours = RunCache(tmp_path, "code-a")
    result, cached = simulate_cached(
        ours, scenario, "policy:progressive", None, P.progressive, seed=3, hours=0.2, warmup_minutes=5.0
    )
    assert not cached
    again, cached = simulate_cached(
        ours, scenario, "policy:progressive", None, P.progressive, seed=3, hours=0.2, warmup_minutes=5.0
    )
    assert cached
    assert again == result
    _, cached = simulate_cached(
        RunCache(tmp_path, "code-b"), scenario, "policy:progressive", None, P.progressive, seed=3, hours=0.2,
        warmup_minutes=5.0,
    )  # fmt: skip
    assert not cached
    _, cached = simulate_cached(
        ours, scenario, "rule:expected_value", 0.5, lambda: P.expected_value(0.5), seed=3, hours=0.2, warmup_minutes=5.0
    )
    assert not cached  # another policy (or knob) is another run


def test_the_code_fingerprint_follows_the_pacers_the_simulators_and_the_benchs_files(tmp_path: Path) -> None:
    package = tmp_path / "dialer"
    files = [path if path.endswith(".py") else f"{path}/module.py" for path in CODE_PATHS]
    for relative in (*files, "sim/des/engine.py", "web/app.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(f"# {relative}\n")
    before = code_fingerprint(package)
    (package / "web/app.py").write_text("# elsewhere: not a run's code\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(package) == before
    (package / "sim/des/engine.py").write_text("# a faster loop\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(package) != before
    assert {"pacing", "sim", "bench/pacing.py"} <= set(CODE_PATHS)


def test_an_unreadable_entry_is_reported_kept_aside_and_run_again(tmp_path: Path) -> None:
    scenario, cache = tmp_path / "tiny.toml", tmp_path / "cache"
    scenario.write_text(TINY)
    first, _ = _bench(scenario, cache, "--jobs", "1")
    entries = sorted(cache.glob("*.json"))
    entries[0].write_text('{"format": 1, "key": {"cut short')
    entries[1].write_text(re.sub(r'"occupancy": [0-9.e-]+', '"occupancy": "high"', entries[1].read_text()))
    again, log = _bench(scenario, cache, "--jobs", "1")
    assert log.count(" unreadable (") == 2
    assert "its result's occupancy is 'high', not a float or int" in log
    assert "0 run(s) from the cache, 2 run(s) made" in log
    assert again == first
    assert sorted(p.name for p in cache.glob("*.corrupt")) == sorted(e.name + ".corrupt" for e in entries)
    _, log = _bench(scenario, cache, "--jobs", "1")
    assert "2 run(s) from the cache, 0 run(s) made" in log


def test_a_cached_result_is_the_simulations_to_the_last_bit(tmp_path: Path) -> None:
    scenario = load_scenario("n10-p020")
    cache = RunCache.at(tmp_path)
    simulate_cached(cache, scenario, "policy:ours", None, P.ours, seed=5, hours=0.3, warmup_minutes=10.0)
    cached, hit = simulate_cached(cache, scenario, "policy:ours", None, P.ours, seed=5, hours=0.3, warmup_minutes=10.0)
    assert hit
    assert cached == simulate(scenario, P.ours(), seed=5, hours=0.3, warmup_minutes=10.0)


def test_full_projects_its_cpu_time_and_what_the_cache_spares(tmp_path: Path) -> None:
    scenario, cache = tmp_path / "tiny.toml", tmp_path / "cache"
    scenario.write_text(TINY)
    args = [
        "bench", "pacing", "--full", "--scenario", str(scenario), "--seeds", "2", "--hours", "0.3",
        "--policy", "ev-tuned", "--policy", "ours", "--jobs", "1", "--cache", str(cache),
    ]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    # A tuning (TUNE_STEPS + 2 runs) and 2 seeds × 2 policies, none cached; then all of them (the tuning as one).
    assert "tiny             0.3 h/run: 0 cached, 12 to run" in first.stderr
    assert "Projected CPU time" in first.stderr
    again = CliRunner().invoke(app, args)
    assert "tiny             0.3 h/run: 5 cached, 0 to run, 0.0 CPU-min" in again.stderr
    assert "in all: 0.0 CPU-hours" in again.stderr
    summary = [line for line in again.stdout.splitlines() if line.startswith("| tiny")]
    assert summary == [line for line in first.stdout.splitlines() if line.startswith("| tiny")]


def test_cpu_per_simulated_hour_follows_the_team_size() -> None:
    from dialer.bench.pacing import CPU_PER_SIMULATED_HOUR, cpu_per_simulated_hour

    ours = CPU_PER_SIMULATED_HOUR["ours"]
    assert cpu_per_simulated_hour("ours", 10) == ours[10]
    assert cpu_per_simulated_hour("ours", 15) == pytest.approx((ours[10] + ours[20]) / 2)
    assert cpu_per_simulated_hour("ours", 200) == pytest.approx(2 * ours[100])
    assert cpu_per_simulated_hour("ours", 3) == ours[10]
    assert cpu_per_simulated_hour("ev-tuned", 10) == CPU_PER_SIMULATED_HOUR["baseline"][10]


def test_the_fingerprint_covers_every_module_the_bench_imports() -> None:
    """A module the bench's runs import but the fingerprint does not hash would let a cached run outlive a change
    to its code: every dialer module ``dialer bench pacing`` loads (in a fresh interpreter) is under CODE_PATHS."""
    script = (
        "import sys, dialer.bench.pacing, dialer.sim.des\n"
        "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('dialer') and m.__file__))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    covered = [PACKAGE_DIR / relative for relative in CODE_PATHS]
    for file in map(Path, loaded.split()):
        relative = file.resolve()
        assert any(relative == path or path in relative.parents for path in covered), relative
