"""The whole floor on one daemon's dashboard, in headless chromium: daemon A's page (the manager's) shows alice, whose
console daemon B serves, with B's name beside her, and a pill for a daemon that stopped reporting, saying how many of
its agents are not shown.

Screenshot: tests/artifacts/dashboard-two-daemons.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, count_is, has_text, signed_in
from harness.floor import second_daemon, silent_daemon
from harness.stepping import eventually

from dialer.appkeys import DIALER

pytestmark = pytest.mark.browser


async def test_the_dashboard_names_the_daemon_serving_an_agent_and_one_not_reporting(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=5.0, inbound_callers=False) as (world, client, base):
        b = await second_daemon(world, tmp_path, aiohttp_client)
        alice = world.auth("alice")
        resp = await b.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
        assert resp.status == 200, await resp.text()
        resp = await b.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)
        assert resp.status == 200, await resp.text()
        resp = await client.post("/api/agents/bob/login", json={"queues": ["inbound-sales"]}, headers=world.auth("bob"))
        assert resp.status == 200, await resp.text()
        # A daemon killed a while ago: its view is stale.
        await silent_daemon(world)

        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        alice_daemon = page.locator("[data-daemon=daemon-b]")
        await eventually(lambda: has_text(alice_daemon, "daemon-b"), 20)
        row = page.locator("tr", has=alice_daemon)
        assert "alice" in await row.inner_text()
        assert await row.locator(".pill").first.inner_text() == "Paused · Lunch"
        assert await alice_daemon.get_attribute("title") == "served by daemon daemon-b"
        a_node = world.app[DIALER].owner
        bob = page.locator("tr", has=page.locator(f"[data-daemon='{a_node}']")).filter(has_text="bob")
        assert await bob.count() == 1  # A's own agent, named with A

        pill = page.locator("[data-silent-daemon=daemon-c]")
        await eventually(lambda: count_is(pill, 1), 10)
        assert await pill.inner_text() == "daemon daemon-c not reporting: 1 agent not shown"  # the name as it is
        assert await pill.get_attribute("title") == "carol"
        assert await page.locator("tr", has_text="carol").count() == 0
        await page.screenshot(path=str(artifacts / "dashboard-two-daemons.png"), full_page=True)
        assert errors == []
        await b.close()
