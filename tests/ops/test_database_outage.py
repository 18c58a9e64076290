"""The database becomes unreachable mid-campaign (the line to PostgreSQL cut): no new calls, every outcome of the
calls that were up is written once it is back, dialling resumes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness.databases import DbSpec
from harness.faults import TcpCut
from harness.ops import assert_no_number_dialled_twice, ops_world
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dialer.store.tables import attempts_t

pytestmark = pytest.mark.postgres


async def test_database_outage_stops_dialling_loses_nothing_and_recovers(tmp_path: Path, pg_spec: DbSpec) -> None:
    url = make_url(pg_spec.url)
    line = TcpCut(url.host or "127.0.0.1", url.port or 5432)
    await line.start()
    try:
        async with ops_world(tmp_path, pg_spec, leads=200, agents=5) as world:
            daemon = await world.start_daemon("solo", spec=line.spec_through(pg_spec))
            runner = daemon.dialer.runner(world.config.name)
            await world.run(40, step=1.0)
            assert runner.counters.attempts > 0
            assert runner.in_flight, "calls should be up when the database goes away"

            line.cut()
            await world.run(2, step=1.0)
            sent_at_cut = len(world.pbx.truth.originates)
            await world.run(40, step=4.0)
            # No call placed while the claims cannot be written; the calls that were up have ended meanwhile.
            assert len(world.pbx.truth.originates) == sent_at_cut
            # The campaign lease could not be renewed for longer than it lasts: the runner stands by (another
            # daemon may have taken the campaign) until this one holds the lease again.
            assert runner.why_not is not None
            assert runner.why_not.code == "standby"

            line.restore()
            # The runner's database retries back off in real time (the database recovers on its own clock), so
            # give the wall clock a moment too while simulated time moves on; bounded: 60 rounds.
            for _ in range(60):
                await world.run(2, step=1.0)
                if len(world.pbx.truth.originates) > sent_at_cut:
                    break
                await asyncio.sleep(0.1)
            await world.run(30, step=1.0)
            assert len(world.pbx.truth.originates) > sent_at_cut
            # Every call the PBX ended before the last few seconds has its outcome stored.
            async with daemon.db.read() as conn:
                rows = (await conn.execute(select(attempts_t.c.id, attempts_t.c.outcome))).all()
            outcome = {str(r.id): r.outcome for r in rows}
            settled = world.clock.now() - 5
            ended = [r.attempt for r in world.pbx.truth.originates if r.ended_at is not None and r.ended_at < settled]
            assert ended
            assert [a for a in ended if outcome.get(a) is None] == []
            assert_no_number_dialled_twice(world)
            # An exact sample: no update half applied (its outcome stored, its call not yet out of the runner's list).
            assert await world.settled()
            leads = await world.lead_rows()
            assert len([r for r in leads if r["status"] == "in_call"]) == len(runner.in_flight)
    finally:
        await line.close()
