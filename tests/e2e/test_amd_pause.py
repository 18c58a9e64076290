"""AMD paused in a young window, end to end against the simulated PBX: where the regime counts AMD's false positives
as abandons, the pacer places the calls of a window too young to absorb them without AMD (``DIALER_AMD=0``);
machines then reach agents, who mark them with the machine disposition, and the call leaves the abandon rate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from harness.clock import clock_dt
from harness.crew import Crew
from harness.e2e import World, make_world
from sqlalchemy import select

from dialer.calls.outcome import count_answer
from dialer.pacing import PacingStats
from dialer.runner.learning import SEED_DIALS, learn_from_records
from dialer.sim.pbx.world import Fate
from dialer.store.runtime import dial_history
from dialer.store.tables import attempts_t

MACHINES = {"outbound": {"machine_share": 0.3}, "amd": {"enabled": True}}


def by_ear(world: World, marked: dict[int, str]) -> Callable[[int], str]:
    """What an agent who heard the call dispositions: a machine with the machine disposition, a person as a sale
    (``marked``: attempt id -> code)."""

    def choose(attempt: int) -> str:
        record = next(r for r in world.pbx.truth.originates if r.attempt == str(attempt))
        machine = record.plan is not None and record.plan.fate is Fate.MACHINE
        marked[attempt] = code = "answering_machine" if machine else "sale"
        return code

    return choose


async def test_a_young_window_dials_without_amd_and_agents_take_machines_out_of_the_rate(tmp_path: Path) -> None:
    campaign = {"amd": {"enabled": True, "false_positive_rate": 0.05}}
    async with make_world(
        tmp_path, campaign=campaign, world=MACHINES, us_leads=400, japan_leads=0, agents=10, crew=False
    ) as world:
        marked: dict[int, str] = {}
        agents = Crew(world.dialer, "e2e", world.clock, choose=by_ear(world, marked))
        agents.start()
        try:
            await world.run(240)
        finally:
            agents.stop()
            await agents.stopped()
        runner = world.dialer.runner("e2e")
        await runner.settle()  # every delivered update applied: its outcome written and counted (compared below)
        originates = list(world.pbx.truth.originates)
        assert originates
        # A handful of live answers cannot absorb one person AMD hangs up on: no call ran AMD.
        assert {r.variables["DIALER_AMD"] for r in originates} == {"0"}
        assert all(r.amd_status is None for r in originates)
        assert runner.last_decision is not None
        assert not runner.last_decision.amd
        pacing = runner.status()["pacing"]
        assert pacing["amd_paused"]
        assert world.dialer.metrics.registry.get_sample_value("dialer_amd_paused", {"campaign": "e2e"}) == 1
        if runner.last_decision.calls > 0:  # the dashboard's sentence says so
            assert "without AMD" in pacing["reason"]
        machines = [a for a, code in marked.items() if code == "answering_machine"]
        assert machines, "no machine reached an agent"

        async with world.db.read() as conn:
            rows = (await conn.execute(select(attempts_t).where(attempts_t.c.ended_at.is_not(None)))).mappings().all()
        assert {row["amd"] for row in rows} == {False}  # each call record says it was placed without AMD
        # The machines the agents marked (as stored: the crew, stopped, may have chosen a code it did not write).
        done = [row for row in rows if row["disposition"] == "answering_machine"]
        assert done
        assert {row["id"] for row in done} <= set(machines)
        assert {row["outcome"] for row in done} == {"machine"}
        # The pacer's window counts what the reports count: the machines the agents marked are no live answers.
        rules = runner.config.abandon_rules
        counted = [
            count_answer(r["outcome"], amd_status=r["amd_status"], seconds_after_answer=None, rules=rules) for r in rows
        ]
        assert runner.stats.window.live_answers == sum(c.live for c in counted)
        assert runner.stats.window.abandons == sum(c.abandoned for c in counted)
        assert runner.counters.outcomes["machine"] == len(done)
        # What the agents heard is the mix AMD would have seen (the pacer's false-positive share reads it).
        assert runner.stats.amd_human_share.total > 10.0
        # The answer rates too: a machine an agent marked after its call ended was learnt as a live answer and is
        # taken back -- the rates are what a runner loaded now learns from the stored outcomes.
        stored = await dial_history(
            world.db, runner.campaign_id, clock_dt(world.clock) - timedelta(days=1), SEED_DIALS, ()
        )
        assert len(stored) == runner.stats.live_share.samples
        learnt = PacingStats()
        learn_from_records(learnt, runner.config, stored, [])
        # (equal but for the order of calls ending in the same instant; one machine learnt as a live answer would
        # move the rate by 1 / (20 + dials), about 3e-3 here)
        one_dial = 1.0 / (20.0 + len(stored))
        assert abs(runner.stats.live_share.value - learnt.live_share.value) < one_dial / 20
