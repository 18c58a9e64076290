"""Blind transfer to a queue and a 3-way with an external number in the agent console (headless chromium, the
whole dialer, the simulated PBX): alice hands a manual-dial call to the closer queue, where bob takes it and sells
(the closer conversion shows in the performance report); alice brings an outside number into a 3-way and drops
out, leaving the customer and the third party together. Screenshots: tests/artifacts/console-sim-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.console import (
    agent_consoles,
    cc_state_is,
    dial_until_talking,
    dispose,
    hand_over,
    hang_up_and_dispose,
    last_call_and_legs,
    manual_dial_world,
    panel_closed,
)
from harness.stepping import eventually
from harness.web import MANUAL_DIAL_TOML

pytestmark = pytest.mark.browser


# The manual campaign, whose agents may hand calls to the closer queue (inbound-sales here).
CLOSER_TOML = MANUAL_DIAL_TOML + 'transfer_queues = ["inbound-sales"]\n'


async def test_blind_transfer_to_the_closer_queue(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with manual_dial_world(tmp_path, aiohttp_client, CLOSER_TOML, inbound_callers=False) as (world, client, base):
        boss = world.auth("boss")
        errors: list[str] = []
        bob, alice = await agent_consoles(browser, base, errors, ("bob", "inbound-sales"), ("alice", "manual-agents"))
        await dial_until_talking(alice, "+1 212 555 0191")
        await hand_over(alice, "queue", "inbound-sales", "#cc-blind")
        # alice is done with the call (wrap-up); bob, a member of the closer queue, gets it with its screen pop.
        await panel_closed(alice)
        await bob.wait_for_selector("#lead-name", timeout=30_000)
        assert "+12125550191" in str(await bob.inner_text(".lead-phone"))
        await bob.wait_for_selector("#callcontrol-panel:not([hidden])", timeout=20_000)
        await eventually(lambda: cc_state_is(bob, "talking"))
        await bob.screenshot(path=str(artifacts / "console-sim-blind-to-queue.png"))
        await hang_up_and_dispose(bob)
        attempt, legs = await last_call_and_legs(client, "bob", boss)
        assert attempt["disposition"] == "sale"
        assert [(leg["kind"], leg["party"], leg["how"], leg["transferred_by"]) for leg in legs][:2] == [
            ("agent", "alice", "answered", None),
            ("queue", "inbound-sales", "blind", "alice"),
        ]
        report = await (await client.get("/api/campaigns/manual/transfers", headers=boss)).json()
        assert report["transfers"] == [{"agent": "alice", "how": "blind", "to": "queue", "count": 1}]
        performance = await (await client.get("/api/reports/performance/manual?format=json", headers=boss)).json()
        transfers = performance["transfers"]
        assert [(a["agent"], a["to_closers"], a["closer_sales"]) for a in transfers["agents"]] == [("alice", 1, 1)]
        assert [(c["closer"], c["received"], c["sales"]) for c in transfers["closers"]] == [("bob", 1, 1)]
        assert not errors, errors


async def test_three_way_with_an_external_number(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with manual_dial_world(tmp_path, aiohttp_client, CLOSER_TOML, inbound_callers=False) as (world, client, base):
        boss = world.auth("boss")
        errors: list[str] = []
        (alice,) = await agent_consoles(browser, base, errors, ("alice", "manual-agents"))
        await dial_until_talking(alice, "+1 212 555 0191")
        await hand_over(alice, "external", "+1 212 555 0199", "#cc-conf")
        await eventually(lambda: cc_state_is(alice, "conference"))
        await eventually(lambda: _leg_count(alice, 2))
        assert await alice.is_enabled("#cc-leave")
        await alice.screenshot(path=str(artifacts / "console-sim-three-way.png"))
        await alice.click("#cc-leave")
        await panel_closed(alice)
        await dispose(alice)

        async def recorded() -> bool:
            # The legs are written when the call ends: the customer and the third party talk on without alice.
            return bool((await last_call_and_legs(client, "alice", boss))[1])

        await eventually(recorded, 90.0)
        _attempt, legs = await last_call_and_legs(client, "alice", boss)
        assert [(leg["kind"], leg["party"], leg["how"], leg["transferred_by"]) for leg in legs] == [
            ("agent", "alice", "answered", None),
            ("external", "+12125550199", "conference", "alice"),
        ]
        alice_leg, third_leg = legs
        # alice left first; the third party talked with the customer until the end.
        assert alice_leg["ended_at"] <= third_leg["ended_at"]
        assert third_leg["talk_seconds"] > 0
        report = await (await client.get("/api/campaigns/manual/transfers", headers=boss)).json()
        assert report["transfers"] == [{"agent": "alice", "how": "conference", "to": "external", "count": 1}]
        assert not errors, errors


async def _leg_count(page: Any, n: int) -> bool:
    return int(await page.locator("#cc-legs li").count()) >= n
