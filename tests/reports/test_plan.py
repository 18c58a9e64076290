"""Staffing what-if: measured world from call records, simulated with the daemon's pacer per staffing level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reports_history import DAY1, History, campaign_config
from typer.testing import CliRunner

from dialer.cli import app
from dialer.reports import ReportRange
from dialer.reports.plan import (
    PlanError,
    agent_levels,
    measure,
    measure_campaign,
    run_plan,
    scenario_for,
    wrap_durations,
)
from dialer.store.agent_history import QUEUES_CHANGED_REASON
from dialer.store.reports import AgentEventFact, ReportAttempt


def attempt(i: int, outcome: str, *, ring: float = 5.0, talk: float | None = None) -> ReportAttempt:
    start = DAY1 + timedelta(minutes=i)
    answered = start + timedelta(seconds=ring) if outcome in ("connected", "abandoned", "machine") else None
    connected = answered + timedelta(seconds=1) if answered is not None and talk is not None else None
    ended = connected + timedelta(seconds=talk) if connected is not None and talk is not None else start
    return ReportAttempt(
        id=i, lead_id=i, phone="+442079460000", caller_id=None, started_at=start, answered_at=answered,
        connected_at=connected, ended_at=ended, outcome=outcome, hangup_cause=None, amd_status=None, agent="a",
        disposition=None, notes=None, abandoned=outcome == "abandoned", ring_seconds=ring, trunk=None, server=None,
        lead_phone="+442079460000", lead_tz_candidates=("Europe/London",), lead_postal_zones=(),
    )  # fmt: skip


def synthetic() -> list[ReportAttempt]:
    rows = [attempt(i, "connected", ring=4.0 + (i % 3), talk=80.0 + 20 * (i % 3)) for i in range(57)]
    rows += [attempt(100 + i, "abandoned") for i in range(3)]
    rows += [attempt(200 + i, "busy", ring=3.0) for i in range(15)]
    rows += [attempt(300 + i, "unallocated", ring=1.0) for i in range(5)]
    rows += [attempt(400 + i, "machine") for i in range(20)]
    rows += [attempt(500 + i, "no_answer", ring=22.0) for i in range(100)]
    rows += [attempt(600, "cancelled", ring=2.0)]  # the dialer's own hang-up: not the world's behaviour
    return rows


def test_measure_uses_the_history_when_there_is_enough() -> None:
    world = measure(synthetic())
    assert world.attempts == 200
    assert world.answer_probability.value == pytest.approx(60 / 200)
    assert world.fast_failure_share.value == pytest.approx(20 / 200)
    assert world.machine_share.value == pytest.approx(20 / 200)
    assert world.talk_mean_seconds.value == pytest.approx(100.0)
    assert world.talk_mean_seconds.source == "measured (n=57)"
    assert world.ring_mean_seconds.value == pytest.approx(5.0)
    assert world.wrap_mean_seconds.source.startswith("model default")
    assert not any("too little history" in n for n in world.notes)


async def test_measure_falls_back_to_the_model_and_says_so(history: History) -> None:
    _config, world = await measure_campaign(history.db, "ukspring", ReportRange())
    assert world.attempts == 43
    assert world.answer_probability.source.startswith("model default")
    assert world.talk_mean_seconds.source.startswith("model default")
    assert any("too little history" in n for n in world.notes)


def test_plan_simulates_each_level_with_the_campaign_pacer() -> None:
    config = campaign_config()
    world = measure(synthetic())
    scenario = scenario_for(world, config, 7)
    assert scenario.agents.count == 7
    assert scenario.outbound.max_wait_seconds == config.max_connect_seconds
    assert scenario.outbound.ring_timeout_seconds == config.ring_timeout_seconds
    plan = run_plan(config, world, [4, 8], hours=0.5, seed=3)
    small, large = plan.levels
    assert (small.agents, large.agents) == (4, 8)
    for level in plan.levels:
        assert 0.0 < level.occupancy <= 1.0
        assert 0.0 <= level.abandon_rate <= 1.0
        assert level.live_answers > 0
    assert large.contacts_per_hour > small.contacts_per_hour
    body = plan.as_json()
    assert body["levels"][0]["agents"] == 4
    assert body["measured"]["answer_probability"]["value"] == pytest.approx(0.3)


def test_agent_levels() -> None:
    assert agent_levels("10..40", 5) == [10, 15, 20, 25, 30, 35, 40]
    assert agent_levels("10..22", 5) == [10, 15, 20, 22]
    assert agent_levels("30,10", 5) == [10, 30]
    for bad in ("ten", "0..5", "1..1000"):
        with pytest.raises(PlanError):
            agent_levels(bad, 1)


def test_plan_cli(sqlite_history: History) -> None:
    result = CliRunner().invoke(
        app,
        ["plan", "--campaign", "ukspring", "--agents", "3,6", "--hours", "0.25", "--database", sqlite_history.url],
    )
    assert result.exit_code == 0, result.output
    assert "model default" in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.strip().startswith(("3 ", "6 "))]) == 2


def test_a_change_of_queues_during_a_wrap_up_does_not_split_it() -> None:
    events = [
        AgentEventFact("a", DAY1, "talking", None),
        AgentEventFact("a", DAY1 + timedelta(seconds=30), "wrapup", "call_ended"),
        AgentEventFact("a", DAY1 + timedelta(seconds=50), "wrapup", QUEUES_CHANGED_REASON, ("sales", "support")),
        AgentEventFact("a", DAY1 + timedelta(seconds=90), "ready", "ready"),
        AgentEventFact("b", DAY1 + timedelta(seconds=10), "wrapup", "call_ended"),
        AgentEventFact("b", DAY1 + timedelta(seconds=25), "ready", "ready"),
        AgentEventFact("b", DAY1 + timedelta(seconds=40), "wrapup", "call_ended"),  # under way: no duration yet
    ]
    assert sorted(wrap_durations(events)) == [15.0, 60.0]
