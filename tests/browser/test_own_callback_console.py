"""A personal callback in the browser (headless chromium, the whole dialer on the simulated PBX): the callback an
agent promised is dialled when she is ready, reaches her alone, and her console says it is hers, with when it was
promised for and her notes (the screen pop's "Your callback" banner); a callback the caller asked for (the IVR's
"call me back") says so among the lead's details, so the agent can ask for consent to call again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, new_page
from harness.clock import clock_dt
from harness.console import sign_in_agent

from dialer.appkeys import DATABASE
from dialer.sim.model import Profile, load_scenario
from dialer.store.console import CallbackRequest, create_callback

pytestmark = pytest.mark.browser

# Every callee answers: the callback's call reaches a person, so it reaches the agent.
ANSWERED = load_scenario("demo")
ANSWERED = replace(ANSWERED, outbound=replace(ANSWERED.outbound, answer_probability=Profile.constant(1.0)))
NOTES = "promised a quote after the board meeting"


@pytest.mark.parametrize("asked", [False, True], ids=["agent", "caller-asked"])
async def test_the_agent_who_promised_a_callback_gets_it_with_her_notes(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path, asked: bool
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False, scenario=ANSWERED) as (
        world,
        client,
        base,
    ):
        errors: list[str] = []
        page = await new_page(browser, errors)
        await sign_in_agent(page, base, "alice")  # ready; the campaign stopped: no call yet
        now = clock_dt(world.clock)
        request = CallbackRequest(source="ivr flow inbound", at=now) if asked else None
        booked = await create_callback(world.app[DATABASE], 1, now, "alice", NOTES, now, requested=request)
        assert booked is not None
        started = await client.post("/api/campaigns/demo/start", headers=world.auth("boss"))
        assert started.status == 200, await started.text()
        banner = page.locator("#own-callback")
        await banner.wait_for(timeout=30_000)
        text = await banner.inner_text()
        assert text.startswith("Your callback, promised for ")
        assert NOTES in text
        call = (await (await client.get("/api/agents/alice/call", headers=world.auth("alice"))).json())["call"]
        assert call["lead"]["id"] == 1
        assert call["own_callback"]["notes"] == NOTES
        label = page.locator("#lead-requested-callback")
        if asked:
            assert (await label.inner_text()).startswith("the caller asked for this call")
            assert call["lead"]["requested_callback"]["source"] == "ivr flow inbound"
        else:
            assert await label.count() == 0
            assert call["lead"]["requested_callback"] is None
        await page.screenshot(path=str(artifacts / "console-own-callback.png"))
        assert not errors, errors
        await page.close()
