"""The dashboard as each of its users reads it, in headless chromium against the whole dialer: a team supervisor gets
the supervise panel for their team's agents (and listens from it), never a control or a request they may not use;
an agentless campaign reads as one (its flow, channels, target finish), not as a campaign with agents.

Screenshots go to tests/artifacts/: dashboard-team-supervisor, dashboard-agentless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness.browser import browsed_world, signed_in, watch_refusals
from harness.clock import START_EPOCH
from harness.stepping import eventually
from harness.web import agent_ready, supervisor

from dialer.appkeys import DATABASE
from dialer.demo import DEMO_FINISH_AFTER
from dialer.store.auth import update_user

pytestmark = pytest.mark.browser


async def test_a_team_supervisor_supervises_their_team_from_the_dashboard(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=20.0) as (world, client, base):
        await supervisor(world, client)  # sue supervises team north: alice (bob has no team)
        await update_user(world.app[DATABASE], "sue", datetime.now(UTC), phone="Local/sue@sim-supervisors")
        for agent in ("alice", "bob"):
            await agent_ready(world, client, agent, "outbound-agents")
        errors: list[str] = []
        refused: list[str] = []
        page = await signed_in(browser, base, "sue", errors, "/dashboard")
        watch_refusals(page, refused)
        await page.wait_for_selector("section.campaign[data-campaign=demo]")
        # Her team's agents only, in the table and in the supervise panel; the panel is there for her.
        await page.wait_for_selector("#sv-agent option[value=alice]", state="attached")
        offered = await page.locator("#sv-agent option").all_inner_texts()
        assert offered
        assert all(text.startswith("alice") for text in offered), offered
        assert await page.is_visible("#sv-listen")
        assert await page.is_visible("#rec-form")  # her team's recordings
        # What is the managers' is not offered: campaign control and reports (hers are per agent, on /teams), the
        # dial mode, uploads.
        card = page.locator("section.campaign[data-campaign=demo]")
        assert await card.locator("button", has_text="Start").count() == 0
        assert await card.locator("a").count() == 0
        assert "null" not in await card.locator(".camp-head").evaluate("h => h.parentElement.innerText")
        assert not await page.is_visible("#dm-form")
        assert not await page.is_visible("#upload-form")
        assert await page.locator("#ivr-card").count() == 0

        async def alice_talking() -> bool:
            agent = await (await client.get("/api/agents/alice", headers=world.auth("alice"))).json()
            return bool(agent["status"] == "talking")

        await eventually(alice_talking, 60)
        await page.select_option("#sv-agent", "alice")
        await page.click("#sv-listen")
        row = page.locator("#sv-audit tr[data-mode=listen][data-state=started]")
        await row.wait_for(timeout=20_000)
        assert "sue" in await row.inner_text()
        await page.wait_for_timeout(2_500)  # a round of the page's refreshes after the session
        await page.screenshot(path=str(artifacts / "dashboard-team-supervisor.png"), full_page=True)
        assert not refused, refused
        assert not errors, errors
        await page.close()


async def test_an_agentless_campaign_reads_as_one_on_the_dashboard(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=20.0, campaign_running=False, agentless=True) as (
        world,
        client,
        base,
    ):
        for agent in ("alice", "bob"):  # "3: talk to someone" needs the queue staffed before calls go out
            await agent_ready(world, client, agent, "outbound-agents")
        errors: list[str] = []
        refused: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        watch_refusals(page, refused)
        card = page.locator("section.campaign[data-campaign=reminder]")
        await card.wait_for()
        mode = await card.locator("[data-field=mode]").inner_text()
        assert "agentless" in mode
        assert "reminder" in mode  # its IVR flow
        assert "outbound-agents" in mode  # where "talk to someone" goes
        assert await card.locator("a", has_text="IVR report").count() == 1
        # Every report it links answers the manager (the compliance, performance and IVR reports, the call records).
        hrefs = await card.locator("a").evaluate_all("links => links.map((a) => a.getAttribute('href'))")
        assert len(hrefs) == 4
        for href in hrefs:
            assert (await client.get(href, headers=world.auth("boss"))).status == 200, href
        finish = card.locator("[data-field=finish]")
        await finish.wait_for()
        # the demo aims two hours after it starts, in the campaign's zone (not the file's fixed 17:00)
        started = datetime.fromtimestamp(START_EPOCH, UTC).astimezone(ZoneInfo("America/New_York"))
        assert (started + DEMO_FINISH_AFTER).strftime("%H:%M") in await finish.inner_text()
        assert "America/New_York" in await finish.inner_text()
        await eventually(lambda: _has(card, "of 30 channels"), 30)
        await eventually(lambda: _has(finish, "on track"), 30)
        await eventually(lambda: _has(card.locator("p.pacing"), "wanted, bound by"), 30)
        assert await card.locator("text=Pacing level").count() == 0
        # the campaign with agents keeps its pacing level
        assert await page.locator("section.campaign[data-campaign=demo] >> text=Pacing level").count() == 1
        await page.screenshot(path=str(artifacts / "dashboard-agentless.png"), full_page=True)
        assert not refused, refused
        assert not errors, errors
        await page.close()


async def _has(locator: Any, text: str) -> bool:
    return text in await locator.inner_text()
