"""kill -9 while a standby daemon waits (issue 12 §2): daemon B stands by while A dials; A is killed while a call
rings, is in answering-machine detection or is being put to an agent; the calls end while B waits out A's campaign
lease, and A comes back (after 5 s or a minute) under another node id. Every daemon follows the calls carrying a
DIALER_ATTEMPT from the moment it is connected, owned or not (dialer.calls.witness), so the outcomes recorded are
the PBX's -- no guessed outcome where the PBX reported one, no false abandon, connected calls' end times from the
PBX -- and no lead is dialled again while its attempt is open."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.databases import DbSpec
from harness.ops import CALL_STAGES, assert_outcomes_are_the_pbxs, attempt_rows, crash_world

from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerState
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS

STAGES = {name: CALL_STAGES[name] for name in ("ringing", "amd", "agent_connect")}


def epoch(value: object) -> float:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("down_seconds", [5.0, 60.0])
async def test_calls_ending_while_a_standby_waits_are_recorded_as_the_pbx_said(
    tmp_path: Path, sqlite_spec: DbSpec, down_seconds: float, stage: str
) -> None:
    async with crash_world(tmp_path, sqlite_spec, talk_mean=30.0, talk_sd=10.0, stage=stage) as world:
        name = world.config.name
        first = await world.start_daemon("node-a")
        standby = await world.start_daemon("node-b", login_agents=False)
        standby_connected_at = world.clock.now()
        assert standby.dialer.runner(name).state is RunnerState.STANDBY
        await world.crash_with_calls_up(first, 40, stage)
        killed_at = world.clock.now()
        up_at_kill = {r.attempt for r in world.pbx.truth.originates if r.ended_at is None}

        await world.run(down_seconds, step=1.0)
        restarted = await world.start_daemon("node-a2", login_agents=False)  # back, under another node id
        restarted_at = world.clock.now()
        runners = {
            standby_connected_at: standby.dialer.runner(name),
            restarted_at: restarted.dialer.runner(name),
        }

        def owner() -> tuple[float, CampaignRunner] | None:
            return next(((t, r) for t, r in runners.items() if r.state is RunnerState.RUNNING), None)

        await world.run(OWNERSHIP_TTL.total_seconds() + 4 * RENEW_SECONDS, step=1.0, until=lambda: owner() is not None)
        taken = owner()
        assert taken is not None, "nobody took the dead daemon's campaign over"
        owner_connected_at, runner = taken

        truth = {r.attempt: r for r in world.pbx.truth.originates}
        await world.run(900, step=2.0, until=lambda: all(truth[a].ended_at is not None for a in up_at_kill))
        await world.run(60, step=1.0)
        rows = await attempt_rows(world)
        assert up_at_kill <= set(rows)
        ended_while_waiting = [a for a in up_at_kill if (truth[a].ended_at or 0.0) < killed_at + down_seconds + 15]
        assert ended_while_waiting, "some calls should end while the campaign waits for its new owner"

        # No false abandon; what ended before the new owner was connected is either the PBX's outcome or marked
        # inferred.
        await assert_outcomes_are_the_pbxs(world, truth, rows)
        # Every call that ended while the new owner was connected was on its wire: recorded as the PBX reported it,
        # not inferred, connected calls with the PBX's end time.
        seen = {
            a: r
            for a, r in truth.items()
            if a in up_at_kill and r.outcome is not None and r.ended_at is not None and r.ended_at > owner_connected_at
        }
        assert seen
        assert {a: rows[a]["outcome"] for a in seen} == {a: r.outcome.value for a, r in seen.items()}  # type: ignore[union-attr]
        assert [a for a in seen if rows[a]["outcome_inferred"]] == []
        for a, r in seen.items():
            if r.connected_at is not None:
                assert r.ended_at is not None
                assert abs(epoch(rows[a]["ended_at"]) - r.ended_at) <= 2.0, a
        assert runner.counters.as_dict()["witnessed"] + runner.counters.adopted > 0
