"""Issue 7's check, literally: with `dialer demo` running, /healthz answers 200 and /metrics carries the dialer's
series fed by real calls; its log file is JSON lines with no full phone number and no secret."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from harness.paths import REPO
from harness.ports import free_port
from prometheus_client.parser import text_string_to_metric_families

SESSION_SECRET = "session-key-Zt7-never-logged"


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # loopback: /metrics needs no token
        return resp.status, resp.read().decode()


def agents_of(text: str, campaign: str) -> float:
    """``dialer_agents`` of one campaign (agents of its queue, summed over their states)."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "dialer_agents" and s.labels.get("campaign") == campaign
    )


def totals(text: str) -> dict[str, float]:
    """Each series summed over its labels."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + s.value
    return out


def test_the_running_demo_serves_healthz_and_its_metrics_and_logs_json_without_numbers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DIALER_VAR_DIR": str(tmp_path),
        "DIALER_HTTP__PORT": str(port),
        "DIALER_HTTP__SESSION_SECRET": SESSION_SECRET,
        "DIALER_SIMULATION__LISTEN_PORT": str(free_port()),
    }
    env.pop("DIALER_CONFIG", None)
    demo = subprocess.Popen(
        [sys.executable, "-m", "dialer", "demo", "--speed", "20", "--seed", "3"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        metrics: dict[str, float] = {}
        healthz = 0
        while time.monotonic() < deadline:
            try:
                healthz, _ = get(f"{base}/healthz")
                status, text = get(f"{base}/metrics")
            except OSError:
                time.sleep(0.5)
                continue
            assert status == 200
            metrics = totals(text)
            if metrics.get("dialer_live_answers_total", 0) >= 3 and metrics.get("dialer_amd_verdicts_total", 0):
                break
            time.sleep(1.0)
        assert healthz == 200
        for series in (
            "dialer_dials_total",
            "dialer_outcomes_total",
            "dialer_live_answers_total",
            "dialer_amd_verdicts_total",
            "dialer_agents",
            "dialer_event_loop_lag_seconds_count",
            "dialer_agent_free_to_originate_seconds_count",
            "dialer_ami_connected",
        ):
            assert metrics.get(series, 0) > 0, (series, metrics)
        for series in ("dialer_abandons_total", "dialer_calls_in_flight", "dialer_pacing_level", "dialer_abandon_rate"):
            assert series in metrics, series
        # the demo's simulated agents, whatever their state (the agentless reminder shares their queue: one campaign)
        assert agents_of(text, "demo") == 10
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            _, stderr = demo.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            _, stderr = demo.communicate()
    assert demo.returncode == 0, stderr[-2000:]

    log = (tmp_path / "demo.log").read_text(encoding="utf-8")
    records = [json.loads(line) for line in log.splitlines()]  # every line is JSON, the access log's too
    events = {r["event"] for r in records}
    assert {"originate", "call_ended", "shutdown_draining"} <= events
    assert any(r.get("logger") == "aiohttp.access" and "/metrics" in r["event"] for r in records)
    assert SESSION_SECRET not in log
    with (REPO / "campaigns/leads/demo.csv").open(encoding="utf-8") as f:
        phones = [row["phone"] for row in csv.DictReader(f) if sum(c.isdigit() for c in row["phone"]) >= 8]
    assert len(phones) > 1000
    leaked = [p for p in phones if p.lstrip("+") in log or p[2:] in log]
    assert not leaked, f"{len(leaked)} numbers logged in full, e.g. {leaked[:3]}"
