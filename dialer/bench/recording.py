"""`dialer bench recording`: the daemon's throughput with every call recorded against none (issue 16).

Recording is Asterisk's work (MixMonitor writes the file); the daemon only adds ``DIALER_RECORDING`` to each
Originate and writes one row per recording from the PBX's ``MixMonitorStart`` and the call's ``Hangup``. The same
daemon bench (:mod:`dialer.bench.daemon`: production daemon, separate simulated-PBX process, power mode, simulated
agents) runs twice, ``recording = "none"`` then ``"all"``, and the figures are compared: dials/s and AMI events/s
(throughput), agent free -> Originate p99, CPU. Half the callees answer (``--answer``), so many calls reach an
agent and are recorded. Target: recording costs at most 5 % of the throughput.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import typer

from dialer.bench.daemon import DaemonBenchPlan, bench_daemon_at


def _figures(r: dict[str, Any]) -> dict[str, float]:
    return {
        "dials_per_second": float(r["dials_per_second"]),
        "events_per_second": float(r["events_per_second"]),
        "free_to_originate_p99_ms": float(r["free_to_originate_ms"]["p99"]),
        "cpu_percent": float(r["cpu_percent"]),
        "connected": float(r["counters"].get("connected", 0)),
    }


def bench_recording_at(plan: DaemonBenchPlan, *, as_json: bool = False) -> dict[str, Any]:
    off = _figures(bench_daemon_at(replace(plan, recording="none"), as_json=as_json))
    on = _figures(bench_daemon_at(replace(plan, recording="all"), as_json=as_json))
    change = {key: (on[key] - off[key]) / off[key] if off[key] else 0.0 for key in off}
    result = {"recording_off": off, "recording_all": on, "relative_change": change}
    if as_json:
        print(json.dumps(result))
    else:
        print(f"recording bench: {plan.calls} calls target, {plan.agents} agents, {plan.seconds:g} s per run")
        for key in off:
            print(f"  {key:<26} off {off[key]:9.2f}   all {on[key]:9.2f}   change {100 * change[key]:+6.1f} %")
        lost = -100 * change["dials_per_second"]
        print(f"  throughput lost to recording: {max(lost, 0.0):.1f} % of dials/s (target <= 5 %)")
    return result


def register(app: typer.Typer) -> None:
    """Add `dialer bench recording`."""

    @app.command("recording")
    def bench_recording(
        calls: Annotated[int, typer.Option("--calls", min=10, help="calls in flight to sustain")] = 400,
        agents: Annotated[int, typer.Option("--agents", min=2, help="simulated agents")] = 80,
        seconds: Annotated[float, typer.Option("--seconds", min=10, help="measured run time, per run")] = 100.0,
        leads: Annotated[int, typer.Option("--leads", min=1000, help="leads imported")] = 15_000,
        answer: Annotated[float, typer.Option("--answer", min=0.01, max=1.0, help="callees who answer")] = 0.5,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON objects")] = False,
    ) -> None:
        """The daemon bench with recording off, then on for every call; the throughput compared."""
        plan = DaemonBenchPlan(calls=calls, agents=agents, seconds=seconds, leads=leads, answer_share=answer)
        bench_recording_at(plan, as_json=as_json)


def run_default() -> None:
    """For `bench all` (~4 minutes): 400 calls, 80 agents, 100 s per run."""
    bench_recording_at(DaemonBenchPlan(calls=400, agents=80, seconds=100.0, leads=15_000, answer_share=0.5))
