"""Scheduled recycling in the daemon on the manual clock: the scheduler's job applies a list's schedule when the
dialer clock reaches it (not before), and the recycled no-answers are dialled again by the running campaign."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from harness.clock import clock_dt
from harness.e2e import make_world
from sqlalchemy import func, select

from dialer.calls.outcome import Outcome
from dialer.lists.recycle import RecycleRule
from dialer.lists.schedule import RecycleSchedule
from dialer.store.audit import audit_entries
from dialer.store.lists import list_views, set_recycle_schedule
from dialer.store.tables import attempts_t, leads_t


async def test_the_daemon_recycles_a_list_when_its_schedule_falls_due(tmp_path: Path) -> None:
    slow_retries = {"retry": {"no_answer": {"delay": "6h"}, "busy": {"delay": "6h"}}}
    async with make_world(tmp_path, campaign=slow_retries, us_leads=40, japan_leads=0, agents=4) as world:
        scheduler = world.scheduler_with("scheduled-recycles")  # the job is registered with the real APScheduler ...
        await world.run(240, step=1.0)  # ... and driven here by the manual clock
        campaign_id = world.dialer.runner("e2e").campaign_id
        (lead_list,) = await list_views(world.db, campaign_id)
        every = timedelta(minutes=10)
        schedule = RecycleSchedule((RecycleRule(Outcome.NO_ANSWER, timedelta(0)),), every)
        await set_recycle_schedule(world.db, lead_list.id, schedule, clock_dt(world.clock), actor="boss")

        async def waiting_no_answers() -> int:
            async with world.db.read() as conn:
                return int(
                    (
                        await conn.execute(
                            select(func.count()).where(
                                leads_t.c.campaign_id == campaign_id,
                                leads_t.c.status == "retry",
                                leads_t.c.last_outcome == "no_answer",
                                leads_t.c.next_dialable_at > clock_dt(world.clock),
                            )
                        )
                    ).scalar_one()
                )

        await world.run(every.total_seconds() - 60, step=1.0)
        assert await scheduler.run_scheduled_recycles() == []  # not due yet on the dialer clock
        await world.run(61, step=1.0)
        waiting = await waiting_no_answers()
        assert waiting > 0, "the world should leave no-answers waiting for their retry"
        (run,) = await scheduler.run_scheduled_recycles()
        assert run.result.recycled >= waiting
        assert await waiting_no_answers() == 0
        async with world.db.read() as conn:
            dialled_before = (await conn.execute(select(func.count()).select_from(attempts_t))).scalar_one()
        await world.run(60, step=1.0)
        async with world.db.read() as conn:
            dialled_after = (await conn.execute(select(func.count()).select_from(attempts_t))).scalar_one()
        assert dialled_after > dialled_before
        _, entries = await audit_entries(world.db, target="campaign:e2e")
        assert (entries[0].actor, entries[0].detail["scheduled"]) == ("scheduler", True)
