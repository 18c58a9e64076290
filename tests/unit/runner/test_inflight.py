"""InFlightCalls keeps the calls needing an agent indexed by stage: its load must equal the full rebuild."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.pacing import CallInFlight, CallLoad, CallStage, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.runner.inflight import InFlightCall, InFlightCalls

sys.path.insert(0, str(Path(__file__).parents[1] / "pacing"))
from pacing_helpers import agents, mature_stats

STAGES = list(CallStage)
FORWARD = {CallStage.DIALLING: (CallStage.AMD, CallStage.WAITING), CallStage.AMD: (CallStage.WAITING,)}

# One operation on the calls: (kind, call number, stage index, seconds later).
operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "stage", "connect", "pop"]),
        st.integers(0, 30),
        st.integers(0, len(STAGES) - 1),
        st.floats(0.0, 5.0, allow_nan=False),
    ),
    max_size=120,
)


def play(ops: list[tuple[str, int, int, float]], *, forward_only: bool) -> tuple[InFlightCalls, float]:
    calls = InFlightCalls()
    now = 1000.0
    for kind, n, stage_index, later in ops:
        now += later
        attempt_id = n + 1
        if kind == "add":
            calls.add(InFlightCall(attempt_id, lead_id=n, server="pbx", sent_at=now))
        elif kind == "stage":
            call = calls.get(attempt_id)
            stage = STAGES[stage_index]
            if forward_only and (call is None or stage not in FORWARD.get(call.stage, ())):
                continue
            calls.set_stage(attempt_id, stage, now)
        elif kind == "connect":
            calls.connect(attempt_id, now, f"agent{n}")
        else:
            calls.pop(attempt_id)
    return calls, now + 0.5


def rebuilt(calls: InFlightCalls, now: float) -> CallLoad:
    return CallLoad.of(calls.for_pacing(now))


@settings(max_examples=300, deadline=None)
@given(operations)
def test_load_equals_the_full_rebuild(ops: list[tuple[str, int, int, float]]) -> None:
    calls, now = play(ops, forward_only=False)
    load, full = calls.load(now), rebuilt(calls, now)
    assert sorted(load.dialling_ages) == sorted(full.dialling_ages)
    assert sorted(load.amd_ages) == sorted(full.amd_ages)
    assert load.waiting == full.waiting
    assert calls.needing_agent() == full.total == sum(1 for c in calls.calls.values() if not c.connected)


@settings(max_examples=150, deadline=None)
@given(operations, st.sampled_from([PacingMode.PREDICTIVE, PacingMode.POWER, PacingMode.PROGRESSIVE]))
def test_pacer_decides_the_same_on_the_kept_load(ops: list[tuple[str, int, int, float]], mode: PacingMode) -> None:
    # Stages only move forward, as the call tracker reports them.
    calls, now = play(ops, forward_only=True)
    pacing = PacingSettings(mode=mode)
    team = agents(ready=4, talking=(6, 40.0), wrapup=(2, 5.0))
    stats = mature_stats(pacing)
    one_by_one = decide(PacingSnapshot(now, pacing, team, calls.for_pacing(now)), stats)
    kept = decide(PacingSnapshot(now, pacing, team, load=calls.load(now)), stats)
    assert kept == one_by_one


def test_connected_calls_leave_the_pacers_view() -> None:
    calls = InFlightCalls()
    calls.add(InFlightCall(1, 10, "pbx", sent_at=0.0))
    calls.add(InFlightCall(2, 20, "pbx", sent_at=1.0))
    calls.set_stage(2, CallStage.WAITING, 3.0)
    assert calls.load(4.0) == CallLoad(dialling_ages=[4.0], amd_ages=[], waiting=1)
    connected = calls.connect(2, 3.5, "alice")
    assert connected is not None
    assert connected.connected
    assert connected.agent_id == "alice"
    calls.set_stage(2, CallStage.DIALLING, 3.6)  # a connected call's stage no longer moves
    assert calls.load(4.0) == CallLoad(dialling_ages=[4.0], amd_ages=[], waiting=0)
    assert len(calls) == 2
    assert calls.pop(2) is connected
    assert calls.connect(2, 5.0, "bob") is None
    assert calls.needing_agent() == 1


def test_snapshot_takes_calls_or_load_not_both() -> None:
    calls = [
        CallInFlight(CallStage.DIALLING, 2.0),
        CallInFlight(CallStage.AMD, 1.0),
        CallInFlight(CallStage.WAITING, 0.0),
    ]
    snapshot = PacingSnapshot(0.0, PacingSettings(), calls=calls)
    assert snapshot.call_load == CallLoad([2.0], [1.0], 1)
    assert snapshot.call_load.total == 3
    with pytest.raises(ValueError, match="not both"):
        PacingSnapshot(0.0, PacingSettings(), calls=calls, load=CallLoad())


def test_the_load_carries_each_ringing_calls_learnt_answer_rate_in_order() -> None:
    """The runner hands the pacer each ringing call's answer rate (learnt by dial hour and lead history when
    the call went out) next to its age; calls without one read as the campaign's rate, none at all as before."""
    calls = InFlightCalls()
    calls.add(InFlightCall(1, lead_id=1, server="a", sent_at=100.0, answer_rate=0.3))
    calls.add(InFlightCall(2, lead_id=2, server="b", sent_at=101.0))
    calls.add(InFlightCall(3, lead_id=3, server="a", sent_at=102.0, answer_rate=0.05))
    calls.set_stage(2, CallStage.AMD, 104.0)
    load = calls.load(105.0)
    assert list(load.dialling_ages) == [5.0, 3.0]
    assert load.dialling_answer_rates == [0.3, 0.05]
    assert calls.load(105.0, "b").dialling_answer_rates is None
    plain = InFlightCalls()
    plain.add(InFlightCall(1, lead_id=1, server="a", sent_at=100.0))
    assert plain.load(105.0) == CallLoad([5.0], [], 0)
