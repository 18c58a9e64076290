"""The issue's check, end to end: after a short `dialer demo`, the reports recomputed from the demo database agree
with the daemon's own counters (the `dialer status --json` counters the demo prints), and no call was placed
outside the calling window."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from harness.cli import dialer_process
from harness.paths import REPO


@pytest.mark.slow
def test_reports_agree_with_the_demo_counters(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DIALER_VAR_DIR": str(tmp_path),
        "DIALER_HTTP__PORT": "0",
        "DIALER_SIMULATION__LISTEN_PORT": "0",
    }
    env.pop("DIALER_CONFIG", None)
    # The demo runs on the database every command finds: the reports below read it without --database.
    env["DIALER_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}"
    demo = dialer_process(["demo", "--for", "6", "--speed", "10", "--json"], cwd=REPO, env=env)
    assert demo.returncode == 0, demo.stderr[-2000:]
    summary = json.loads(demo.stdout.strip().splitlines()[-1])
    (counters,) = [c["counters"] for c in summary["campaigns"] if c["campaign"] == "demo"]
    assert counters["attempts"] > 0
    database: list[str] = []

    perf = dialer_process(["report", "performance", "--campaign", "demo", "--json", *database], cwd=REPO, env=env)
    assert perf.returncode == 0, perf.stderr
    figures = json.loads(perf.stdout)
    assert (figures["attempts"], figures["connected"], figures["abandoned"]) == (
        counters["attempts"],
        counters["connected"],
        counters["abandoned"],
    )
    assert figures["outcomes"] == dict(sorted(counters["outcomes"].items()))

    comp = dialer_process(["report", "compliance", "--campaign", "demo", "--json", *database], cwd=REPO, env=env)
    assert comp.returncode in (0, 2), comp.stderr
    report = json.loads(comp.stdout)
    assert report["calls_outside_window"] == 0
    assert report["attempts"] == counters["attempts"]
    overall = report["abandon_rate"]["overall"]
    assert (overall["live_answers"], overall["abandoned"]) == (
        counters["connected"] + counters["abandoned"],
        counters["abandoned"],
    )
    assert report["abandon_rate"]["rolling_24h"]["current"]["rate"] is not None
