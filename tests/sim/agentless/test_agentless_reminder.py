"""An agentless reminder campaign of 1 000 leads in simulated time: the daemon's pacing, trunk gate and flow
executor against simulated callers who press keys, hang up, opt out; machines get the message after the beep."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from harness.paths import REPO

from dialer.ivr.flow import load_flow
from dialer.sim.agentless import AgentlessSimConfig, AgentlessSimReport, DialOutcome, run_agentless
from dialer.sim.ivr import CallerBehaviour

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
CALLERS = CallerBehaviour(
    keys={"1": 0.5, "2": 0.15, "3": 0.1, "": 0.1, "invalid": 0.05},
    hangup_per_step=0.05,
    opt_out_during_prompt=0.03,
)


def campaign(target_minutes: int, *, seed: int = 7) -> tuple[AgentlessSimConfig, AgentlessSimReport]:
    cfg = AgentlessSimConfig(
        flow=load_flow(REPO / "campaigns" / "ivr" / "reminder.toml"),
        numbers=tuple(f"+1415555{i:04d}" for i in range(1000)),
        start=START,
        max_channels=30,
        calls_per_second=3,
        target_finish=START + timedelta(minutes=target_minutes),
        behaviour=CALLERS,
        agents=6,
        seed=seed,
    )
    return cfg, run_agentless(cfg)


@pytest.mark.parametrize(("target", "seed"), [(60, 7), (40, 11), (30, 3)])
def test_reminder_campaign_finishes_by_its_target_within_channels_and_cps(target: int, seed: int) -> None:
    cfg, report = campaign(target, seed=seed)
    assert report.finished_at <= cfg.target_finish  # type: ignore[operator]
    assert report.peak_channels <= 30
    assert report.peak_launches_in(1.0) <= 3
    # every lead was dialled once and every attempt has a result
    assert len(report.attempts) == 1000
    assert {a.number for a in report.attempts} == set(cfg.numbers)
    assert all(a.result for a in report.attempts)
    for a in report.attempts:
        assert (a.flow is not None) == (a.dial in (DialOutcome.HUMAN, DialOutcome.MACHINE))
    # a caller who asked for an agent waited at most the flow's bound (then the message, never silence)
    assert report.peak_queue_wait_seconds <= 30 + 1
    # fewer channels for a looser target: the trunk is left to others
    if target == 60:
        assert report.peak_channels < 20


def test_results_add_up_and_opt_outs_are_kept() -> None:
    _, report = campaign(45)
    results = Counter(a.result for a in report.attempts)
    assert results["confirmed"] > 0
    assert results["cancelled"] > 0
    assert results["transferred"] > 0
    assert results["machine_message"] > 0
    assert results["opted_out"] > 0
    opted = {a.number for a in report.attempts if a.flow is not None and a.flow.opted_out}
    assert opted == report.dnc
    machines = [a for a in report.attempts if a.dial is DialOutcome.MACHINE]
    assert all(a.result == "machine_message" and a.flow is not None and a.flow.listened_to_end for a in machines)
    hung = [a.flow for a in report.attempts if a.flow is not None and a.result == "hung_up"]
    assert hung
    assert all(f.hung_up_at is not None and f.hung_up_step is not None for f in hung)
    confirmed = [a.flow for a in report.attempts if a.result == "confirmed" and a.flow is not None]
    assert all(f.keys[-1] == ("menu", "1") for f in confirmed)


def test_same_seed_same_campaign() -> None:
    _, a = campaign(40, seed=5)
    _, b = campaign(40, seed=5)
    assert [(x.number, x.result, x.ended_at) for x in a.attempts] == [
        (x.number, x.result, x.ended_at) for x in b.attempts
    ]


def test_a_flow_with_a_queue_needs_agents() -> None:
    with pytest.raises(ValueError, match="needs agents"):
        AgentlessSimConfig(
            flow=load_flow(REPO / "campaigns" / "ivr" / "reminder.toml"),
            numbers=("+14155550000",),
            start=START,
            max_channels=1,
            calls_per_second=1,
        )
