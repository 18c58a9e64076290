"""The demo's inbound IVR looks the account number up in the demo's accounts table (campaigns/ivr/demo-accounts.csv,
``[fastagi] accounts`` of the demo's settings): a caller who keys a number the table holds reaches an agent whose
screen pop names the account holder; a number it does not hold goes through "not found" to an agent without one.
The daemon's FastAGI role and the demo's simulated callers, against the simulated PBX."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.e2e import demo_run_settings, make_world

from dialer.daemon.agentless import IvrRole
from dialer.demo import DEMO_ACCOUNTS, demo_ivr_callers
from dialer.ivr.actions import TableActions
from dialer.runner.bus import Notification
from dialer.sim.pbx.ivr import call_in_to_ivr, configure_ivr_callers, route_inbound_ivr
from dialer.store.ivr_results import ivr_results

pytestmark = pytest.mark.slow


async def test_the_demo_inbound_ivr_finds_the_account_holder_or_says_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = demo_run_settings(tmp_path, monkeypatch, 5039)
    assert settings.fastagi.accounts == DEMO_ACCOUNTS
    table = TableActions.from_csv(DEMO_ACCOUNTS).accounts
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=3, inbound_queues=("inbound-sales",), state="paused"
    ) as world:
        configure_ivr_callers(world.pbx.core.engine, demo_ivr_callers(settings.fastagi.accounts))
        role = IvrRole(world.dialer, settings.fastagi)
        address = await role.start()
        assert address is not None
        route_inbound_ivr(world.pbx.core.engine, address)
        call_in_to_ivr(world.pbx.core, mean_gap_seconds=15.0, seed=3)
        pops: list[Notification] = []
        try:
            with world.dialer.bus.subscribe("*") as notes:
                for _ in range(60):
                    await world.run_taking_pops(30, pops, notes)
                    results = await ivr_results(world.db, flow="inbound")
                    found = [p for p in pops if p.data.get("ivr", {}).get("var_acct_name")]
                    unknown = [r for r in results if "not-found" in r.path and r.transferred]
                    if found and unknown:
                        break
        finally:
            await role.stop()
    results = await ivr_results(world.db, flow="inbound")
    # a known number: the holder's name (and balance) from the table, in the agent's screen pop
    found = [p.data for p in pops if p.data.get("ivr", {}).get("var_acct_name")]
    assert found, [p.data for p in pops]
    for pop in found:
        account = pop["ivr"]["var_account"]
        assert account in table
        assert pop["ivr"]["var_acct_name"] == table[account]["name"]
        assert pop["ivr"]["var_acct"] == "found"
        assert f"acct name {table[account]['name']}" in pop["ivr_summary"]
    # an unknown number: the other branch ("not found"), then a person, with no holder to show
    unknown = [r for r in results if "not-found" in r.path]
    assert unknown, [(r.path, r.variables) for r in results]
    for r in unknown:
        assert r.variables["account"] not in table
        assert r.variables["acct"] == "not_found"
        assert "acct_name" not in r.variables
        assert r.path[:3] == ["welcome", "find", "not-found"]
    # and the callers found in the table took the menu branch
    assert any(r.path[:3] == ["welcome", "find", "menu"] for r in results)
