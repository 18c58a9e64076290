"""decide(): every mode, every guard, the explanation — as tables."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from pacing_helpers import agents, mature_stats

from dialer.pacing import (
    AgentState,
    AgentView,
    CallInFlight,
    CallStage,
    Guard,
    InboundLoad,
    PacingMode,
    PacingSettings,
    PacingSettingsError,
    PacingSnapshot,
    PacingStats,
    decide,
)


@pytest.fixture(scope="module")
def trained() -> PacingStats:
    return mature_stats()


PROGRESSIVE = PacingSettings(mode=PacingMode.PROGRESSIVE)
POWER = PacingSettings(mode=PacingMode.POWER, power_ratio=2.0)
PREDICTIVE = PacingSettings(mode=PacingMode.PREDICTIVE)
PREVIEW = PacingSettings(mode=PacingMode.PREVIEW)
DIALLING = CallInFlight(CallStage.DIALLING, 3.0)
WAITING = CallInFlight(CallStage.WAITING, 0.5)


@pytest.mark.parametrize(
    ("settings", "team", "calls", "expected", "guard"),
    [
        # no one logged in (or everyone paused): zero, whatever the mode
        (PREDICTIVE, [], [], 0, Guard.NO_AGENTS),
        (PROGRESSIVE, [], [], 0, Guard.NO_AGENTS),
        (POWER, agents(paused=4), [], 0, Guard.NO_AGENTS),
        # preview: agents dial
        (PREVIEW, agents(ready=5), [], 0, Guard.PREVIEW),
        # progressive: one call per free agent, calls in flight count against them
        (PROGRESSIVE, agents(ready=3, talking=2), [], 3, None),
        (PROGRESSIVE, agents(ready=3, talking=2), [DIALLING], 2, None),
        (PROGRESSIVE, agents(ready=1), [DIALLING, WAITING], 0, None),
        (PROGRESSIVE, agents(talking=5), [], 0, None),
        # power: ratio × free agents − in flight
        (POWER, agents(ready=3, talking=2), [], 6, None),
        (POWER, agents(ready=3), [DIALLING, DIALLING], 4, None),
        (POWER, agents(talking=3), [DIALLING], 0, None),
    ],
)
def test_modes(
    settings: PacingSettings,
    team: list[AgentView],
    calls: list[CallInFlight],
    expected: int,
    guard: Guard | None,
) -> None:
    decision = decide(PacingSnapshot(100.0, settings, team, calls), mature_stats())
    assert decision.calls == expected
    assert decision.explanation.guard is guard


@pytest.mark.parametrize("settings", [PROGRESSIVE, POWER, PREDICTIVE])
def test_no_new_dials_while_inbound_callers_wait(settings: PacingSettings, trained: PacingStats) -> None:
    snapshot = PacingSnapshot(
        100.0, settings, agents(ready=6, talking=4), inbound=InboundLoad(callers_waiting=1, arrivals_per_second=0.05)
    )
    decision = decide(snapshot, trained)
    assert decision.calls == 0
    assert decision.explanation.guard is Guard.INBOUND_WAITING
    assert "inbound" in decision.explanation.reason


def test_predictive_guards_fall_back_to_progressive() -> None:
    fresh = PacingStats(PREDICTIVE)
    team = agents(ready=4, talking=(6, 60.0))
    immature = decide(PacingSnapshot(10.0, PREDICTIVE, team), fresh)
    assert (immature.calls, immature.explanation.guard) == (4, Guard.IMMATURE)
    assert immature.explanation.effective_mode is PacingMode.PROGRESSIVE

    few = decide(PacingSnapshot(10.0, PREDICTIVE, agents(ready=2)), mature_stats())
    assert (few.calls, few.explanation.guard) == (2, Guard.FEW_AGENTS)

    spent = mature_stats()
    for i in range(12):  # 12 abandons among 400 + 12 live answers: 2.9 %, one more breaks 3 %
        spent.record_live_answer(5000.0 + i, True)
    budget = decide(PacingSnapshot(5100.0, PREDICTIVE, team), spent)
    assert budget.explanation.guard is Guard.ABANDON_BUDGET
    assert budget.calls == 4
    assert "cap" in budget.explanation.reason


def test_predictive_dials_ahead_of_free_agents(trained: PacingStats) -> None:
    team = agents(ready=4, talking=(10, 120.0), wrapup=(2, 10.0))
    decision = decide(PacingSnapshot(1000.0, PREDICTIVE, team), trained)
    e = decision.explanation
    assert e.guard is None
    assert e.effective_mode is PacingMode.PREDICTIVE
    assert decision.calls > 4  # more calls than ready agents: only a fraction will be answered
    assert e.expected_free_agents is not None
    assert e.expected_free_agents > 4
    assert e.next_call_risk is not None
    assert e.applied_level is not None
    assert e.next_call_risk > e.applied_level  # it stopped where one more call would be too risky


def test_predictive_counts_calls_already_ringing(trained: PacingStats) -> None:
    team = agents(ready=4, talking=(10, 120.0))
    alone = decide(PacingSnapshot(1000.0, PREDICTIVE, team), trained).calls
    ringing = [CallInFlight(CallStage.DIALLING, 1.0)] * 5
    with_ringing = decide(PacingSnapshot(1000.0, PREDICTIVE, team, ringing), trained).calls
    waiting = decide(PacingSnapshot(1000.0, PREDICTIVE, team, [WAITING] * 4), trained).calls
    assert with_ringing < alone
    assert waiting < with_ringing


def test_agents_nearly_done_count_more_than_agents_just_started(trained: PacingStats) -> None:
    late_wrap = decide(PacingSnapshot(1000.0, PREDICTIVE, agents(ready=3, wrapup=(8, 14.0))), trained)
    just_talking = decide(PacingSnapshot(1000.0, PREDICTIVE, agents(ready=3, talking=(8, 1.0))), trained)
    assert late_wrap.calls > just_talking.calls
    assert late_wrap.explanation.expected_free_agents is not None
    assert just_talking.explanation.expected_free_agents is not None
    assert late_wrap.explanation.expected_free_agents > just_talking.explanation.expected_free_agents


@pytest.mark.parametrize("aggressiveness", [0.4, 1.6, 3.0])
def test_aggressiveness_override_is_bounded(aggressiveness: float) -> None:
    with pytest.raises(PacingSettingsError, match="aggressiveness"):
        PacingSettings(aggressiveness=aggressiveness)


def test_aggressiveness_moves_the_decision(trained: PacingStats) -> None:
    team = agents(ready=2, talking=(20, 100.0), wrapup=(3, 5.0))
    calls = [
        decide(PacingSnapshot(1000.0, replace(PREDICTIVE, aggressiveness=a), team), trained).calls
        for a in (0.5, 1.0, 1.5)
    ]
    assert calls == sorted(calls)
    assert calls[0] < calls[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"abandon_cap": 0.0}, "abandon_cap"),
        ({"abandon_setpoint": 0.05}, "abandon_setpoint"),
        ({"power_ratio": 0.5}, "power_ratio"),
        ({"agent_connect_seconds": 3.0}, "connect"),
        ({"window_hours": 0}, "window_hours"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(PacingSettingsError, match=message):
        PacingSettings(**kwargs)  # type: ignore[arg-type]


def test_runner_call_limit_caps_and_says_so() -> None:
    snapshot = PacingSnapshot(0.0, PROGRESSIVE, agents(ready=8), max_new_calls=3)
    decision = decide(snapshot, mature_stats())
    assert decision.calls == 3
    assert decision.explanation.guard is Guard.CALL_LIMIT


def test_explanation_is_complete_and_serialisable(trained: PacingStats) -> None:
    team = [
        *agents(ready=2, talking=(5, 40.0), wrapup=(1, 3.0), paused=1),
        AgentView(AgentState.RESERVED, 0.2),
    ]
    calls = [DIALLING, DIALLING, CallInFlight(CallStage.AMD, 1.0), WAITING]
    e = decide(PacingSnapshot(1000.0, PREDICTIVE, team, calls), trained).explanation
    assert (e.agents_logged_in, e.agents_ready, e.agents_talking, e.agents_wrapup, e.agents_paused) == (10, 2, 5, 1, 1)
    assert e.agents_reserved == 1
    assert (e.calls_dialling, e.calls_amd, e.calls_waiting) == (2, 1, 1)
    assert 0.15 < e.answer_rate < 0.25
    assert e.controller_level is not None
    assert e.reason.startswith("predictive")
    data = json.loads(json.dumps(e.as_dict()))
    assert data["mode"] == "predictive"
    assert data["guard"] is None
    assert data["window_live_answers"] == 400


def test_agents_in_wrapup_announcing_ready_in_n_seconds_are_counted_by_it(trained: PacingStats) -> None:
    """The console's "ready in N s": an agent in wrap-up who says so is counted by it (as evidence, see
    test_pacing_ready.py); without the announcement (the default) the learned wrap-up distribution is used."""

    def team(ready_in: float | None) -> list[AgentView]:
        return agents(ready=2, talking=(6, 30.0)) + [AgentView(AgentState.WRAPUP, 5.0, ready_in_seconds=ready_in)] * 6

    unknown = decide(PacingSnapshot(1000.0, PREDICTIVE, team(None)), trained)
    assert unknown == decide(
        PacingSnapshot(1000.0, PREDICTIVE, agents(ready=2, talking=(6, 30.0), wrapup=(6, 5.0))), trained
    )
    soon = decide(PacingSnapshot(1000.0, PREDICTIVE, team(1.0)), trained)
    late = decide(PacingSnapshot(1000.0, PREDICTIVE, team(120.0)), trained)
    assert soon.calls > unknown.calls > late.calls
    e_soon, e_late = soon.explanation.expected_free_agents, late.explanation.expected_free_agents
    assert e_soon is not None
    assert e_late is not None
    assert e_soon - e_late == pytest.approx(6.0)  # six agents free by the horizon, or not at all


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_a_bad_ready_in_announcement_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="ready_in_seconds"):
        AgentView(AgentState.WRAPUP, 5.0, ready_in_seconds=bad)
