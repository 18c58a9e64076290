"""Local presence end to end against the simulated PBX: each Originate presents the business's local number for the
called party's area (the campaign's number elsewhere), and the call record holds the number presented."""

from __future__ import annotations

from pathlib import Path

from harness.e2e import make_world

from dialer.store.attempts import get_attempt

NEW_YORK = "+12125550199"  # serves +1212 (its own area)
CALLER_ID = {"number": "+1 202 555 0100", "name": "Acme", "local": [{"number": NEW_YORK}]}


def new_york_and_chicago(path: Path) -> None:
    rows = [f"Lead{i},Test,+1{'212' if i % 2 else '312'}555{1000 + i:04d},Acme {i}" for i in range(40)]
    path.write_text("first_name,last_name,phone,company\n" + "\n".join(rows) + "\n", encoding="utf-8")


async def test_each_call_presents_the_local_number_of_its_area(tmp_path: Path) -> None:
    campaign = {"caller_id": CALLER_ID}
    async with make_world(tmp_path, campaign=campaign, leads=new_york_and_chicago, agents=3) as world:
        await world.run(120, until=lambda: len(world.pbx.truth.originates) >= 12)
        await world.quiesce()
        originates = list(world.pbx.truth.originates)
        assert originates
        for record in originates:
            expected = NEW_YORK if record.number.lstrip("+").startswith("1212") else "+12025550100"
            assert record.caller_num == expected, record.number
            stored = await get_attempt(world.db, int(record.variables["DIALER_ATTEMPT"]))
            assert stored is not None
            assert stored.caller_id == expected
        assert {r.caller_num for r in originates} == {NEW_YORK, "+12025550100"}
