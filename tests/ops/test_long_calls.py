"""A conversation longer than the claim lease: its lead stays claimed (the daemon extends the lease) and is never
dialled again while the call is up."""

from __future__ import annotations

from pathlib import Path

from harness.databases import DbSpec
from harness.ops import assert_no_number_dialled_twice, ops_world


async def test_a_call_outliving_its_claim_lease_keeps_its_lead(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    # Lease 30 s; every answered call talks for 4 minutes; few leads, so a released lead would be re-dialled.
    async with ops_world(
        tmp_path, sqlite_spec, leads=8, agents=8, campaign={"lease_seconds": 30}, talk_mean=240.0, talk_sd=0.0
    ) as world:
        daemon = await world.start_daemon("solo")
        runner = daemon.dialer.runner(world.config.name)
        await world.run(200, step=1.0)
        connected = [call for call in runner.in_flight.calls.values() if call.connected]
        assert connected, "no call reached an agent"
        rows = {row["id"]: row for row in await world.lead_rows()}
        for call in connected:
            assert rows[call.lead_id]["status"] == "in_call"
            assert rows[call.lead_id]["claim_owner"] == "solo"
        assert_no_number_dialled_twice(world)
