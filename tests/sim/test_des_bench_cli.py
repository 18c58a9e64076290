"""`dialer bench pacing`: the command runs the policies asked for and prints one JSON object per row."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dialer.cli import app


def test_bench_pacing_json_rows() -> None:
    result = CliRunner().invoke(
        app,
        [
            "bench", "pacing", "--agents", "6", "--answer-rate", "0.3", "--hours", "0.5", "--seed", "3",
            "--policy", "progressive", "--policy", "ours", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["policy"] for r in rows] == ["progressive", "ours"]
    for row in rows:
        assert {"occupancy", "abandon_rate", "worst_24h_abandon", "scenario", "agents"} <= row.keys()
        assert row["agents"] == 6
        assert row["scenario"] == "n6-p0.30"


def test_bench_pacing_reports_bad_scenario_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[agents]\ncount = 'many'\n")
    result = CliRunner().invoke(app, ["bench", "pacing", "--scenario", str(bad)])
    assert result.exit_code == 2
    assert "[agents] count must be an integer" in result.output


def test_bench_pacing_reports_every_seed_and_the_worst_window_over_them(tmp_path: Path) -> None:
    """Several scenarios with --seeds: each scenario reports the same seeds, then the worst window over them."""
    scenario = tmp_path / "tiny.toml"
    scenario.write_text('[scenario]\nname = "tiny"\n[agents]\ncount = 4\n[run]\nhours = 0.2\nwarmup_minutes = 1\n')
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "pacing",
            "--scenario",
            str(scenario),
            "--scenario",
            str(scenario),
            "--seeds",
            "2",
            "--seed",
            "3",
            "--policy",
            "progressive",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("over seeds [3, 4]") == 2
    assert "0.2 h after 1 min warm-up, seed 4" in result.output


def test_bench_pacing_full_ends_with_one_summary_row_per_cell(tmp_path: Path) -> None:
    """--full: the given scenarios over several seeds, then a table of the worst 24 h window and the mean
    occupancy of each policy per cell, with ours against the tuned expected-value rule."""
    scenario = tmp_path / "tiny.toml"
    scenario.write_text('[scenario]\nname = "tiny"\n[agents]\ncount = 4\n[run]\nhours = 0.2\nwarmup_minutes = 1\n')
    result = CliRunner().invoke(
        app,
        [
            "bench", "pacing", "--full", "--scenario", str(scenario), "--seeds", "2", "--seed", "3",
            "--policy", "ev-tuned", "--policy", "ours", "--jobs", "2", "--hours", "0.2",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "over seeds [3, 4]" in result.output
    head = next(line for line in result.output.splitlines() if line.startswith("| cell"))
    for column in ("worst 24 h % ev-tuned", "occup % ours", "ours − ev"):
        assert column in head
    rows = [line for line in result.output.splitlines() if line.startswith("| tiny |")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1:3] == ["2", "0.2"]
    assert cells[3].endswith("partial")  # 0.2 h runs hold no full 24 h window


def test_ev_legal_is_tuned_to_the_worst_legal_window_start_windows_included() -> None:
    from dataclasses import replace

    from dialer.bench.pacing import legal_worst
    from dialer.sim.des import RunResult

    run = RunResult(
        policy="ev-legal", scenario="s", agents=10, hours=24.0, occupancy=0.8, talk_minutes_per_agent_hour=40.0,
        live_answers=5000, abandons=120, abandon_rate=0.024, worst_24h_abandon=0.026, worst_1h_abandon=0.05,
        dials_per_agent_hour=60.0, idle_gap_mean=30.0, idle_gap_p90=60.0,
    )  # fmt: skip
    assert legal_worst(run) == 0.026  # the run never reached its first hour: its full windows only
    assert legal_worst(replace(run, worst_start_abandon=0.031)) == 0.031
    assert legal_worst(replace(run, worst_start_abandon=0.01)) == 0.026
