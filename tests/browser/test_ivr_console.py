"""The IVR in headless chromium, against the whole dialer: an agentless reminder caller who presses 3 reaches the
agent, whose screen pop shows what the caller did in the flow; the dashboard's IVR card draws the per-node funnel.

Screenshots go to tests/artifacts/ (git-ignored): console-ivr-screen-pop, dashboard-ivr-funnel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import VIEWPORT, served, signed_in
from harness.console import sign_in_agent
from harness.stepping import eventually
from harness.web import web_world

from dialer.appkeys import DIALER
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.pbx.ivr import IvrCallers, configure_ivr_callers

pytestmark = pytest.mark.browser


async def test_a_reminder_caller_who_presses_3_pops_with_the_ivr_path(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with web_world(tmp_path, speed=10.0, campaign_running=False, agentless=True) as world:
        # every person who answers asks for someone (3): the agents get only transferred reminder calls
        configure_ivr_callers(
            world.pbx.core.engine, IvrCallers(behaviour=CallerBehaviour(keys={"3": 1.0}), prompt_seconds=2.0)
        )
        _client, base = await served(aiohttp_client, world.app)
        page = await browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await sign_in_agent(page, base, "alice", live=True)
        try:
            await page.wait_for_selector("#ivr-context", timeout=60_000)
        except Exception:
            status = world.app[DIALER].status()
            raise AssertionError(f"no IVR screen pop; the dialer says {status['campaigns']}") from None
        summary = await page.inner_text("#ivr-context")
        assert "IVR reminder" in summary
        assert "menu>agent" in summary
        assert "keys menu:3" in summary
        await page.screenshot(path=str(artifacts / "console-ivr-screen-pop.png"))
        assert not errors, errors
        await page.close()


async def test_the_dashboard_draws_the_ivr_funnel_per_node(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with web_world(tmp_path, speed=20.0, campaign_running=False, agentless=True) as world:
        configure_ivr_callers(
            world.pbx.core.engine,
            IvrCallers(behaviour=CallerBehaviour(keys={"1": 0.7, "2": 0.3}, opt_out_during_prompt=0.1)),
        )
        client, base = await served(aiohttp_client, world.app)
        # the flow offers "3: talk to someone": the pacing places calls only while agents staff that queue
        for agent in ("alice", "bob"):
            await client.post(
                f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=world.auth(agent)
            )
            await client.post(f"/api/agents/{agent}/ready", headers=world.auth(agent))

        async def results() -> bool:
            res = await client.get("/api/reports/ivr/reminder", headers=world.auth("boss"))
            body = await res.json()
            return res.status == 200 and any(flow["calls"] >= 3 for flow in body.get("flows", []))

        await eventually(results, 90)
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        funnel = page.locator("#ivr-card .ivr-flow[data-campaign=reminder][data-flow=reminder] svg.ivr-funnel")
        await funnel.wait_for(timeout=30_000)
        labels = await funnel.locator("text").all_text_contents()
        assert "greet" in labels
        assert "menu" in labels
        assert await funnel.locator("rect").count() >= 3
        await page.screenshot(path=str(artifacts / "dashboard-ivr-funnel.png"), full_page=True)
        assert not errors, errors
        await page.close()
