"""Call control in the agent console (headless chromium, the whole dialer, the simulated PBX): manual dial refused
for a DNC number with the reason, allowed for a good one; the call arrives with its screen pop, the call-control
panel and its running call timer; hold, resume, tones and hang-up; the screen pop stays for the disposition.
Screenshots: tests/artifacts/console-manual-dial-*.png."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
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
    takes_the_call_over,
)
from harness.stepping import eventually

from dialer.store.dnc import add_dnc

pytestmark = pytest.mark.browser


async def text_of(page: Any, selector: str) -> str:
    return str(await page.inner_text(selector))


async def test_manual_dial_refused_for_dnc_then_dialled_with_call_control(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with manual_dial_world(tmp_path, aiohttp_client) as (world, client, base):
        now = datetime.fromtimestamp(world.clock.now(), UTC)
        assert await add_dnc(world.dialer.db, "+12125550177", now=now)
        errors: list[str] = []
        (page,) = await agent_consoles(browser, base, errors, ("alice", "manual-agents"))
        await page.wait_for_selector("#manual-dial-panel:not([hidden])")
        await page.fill("#dial-number", "+1 212 555 0177")
        await page.click("#dial-go")
        await eventually(lambda: _contains(page, "#dial-msg", "dnc"))
        assert "error" in (await page.get_attribute("#dial-msg", "class") or "")
        await page.screenshot(path=str(artifacts / "console-manual-dial-refused.png"))
        await page.fill("#dial-number", "+1 212 555 0191")
        await page.click("#dial-go")
        await eventually(lambda: _contains(page, "#dial-msg", "Dialling"))
        await page.wait_for_selector("#lead-name", timeout=30_000)
        assert "+12125550191" in await text_of(page, ".lead-phone")
        await page.wait_for_selector("#callcontrol-panel:not([hidden])", timeout=30_000)
        await eventually(lambda: _timer_runs(page))
        assert await page.is_enabled("#cc-hold")
        assert await page.is_disabled("#cc-resume")
        await page.screenshot(path=str(artifacts / "console-manual-dial-call.png"))
        # Hold and resume (the simulated PBX moves both legs as Asterisk does), tones, then hang up.
        await page.click("#cc-hold")
        await eventually(lambda: cc_state_is(page, "held"))
        assert await page.is_disabled("#cc-hold")
        await page.click("#cc-resume")
        await eventually(lambda: cc_state_is(page, "talking"))
        await page.fill("#cc-digits", "12#")
        await page.click("#cc-dtmf")
        await page.click("#cc-hangup")
        await panel_closed(page)
        # The screen pop stays for the disposition.
        await page.wait_for_selector("#dispo-buttons button[data-code=sale]")
        await dispose(page, "sale")
        attempts = await (await client.get("/api/agents/alice/calls", headers=world.auth("alice"))).json()
        assert attempts["items"][0]["phone"] == "+12125550191"
        assert attempts["items"][0]["disposition"] == "sale"
        assert not errors, errors
        await page.close()


async def _contains(page: Any, selector: str, text: str) -> bool:
    return text in await text_of(page, selector)


async def _timer_runs(page: Any) -> bool:
    timer = await text_of(page, "#cc-timer")
    return timer not in ("--:--", "00:00")


async def test_warm_transfer_to_a_second_agent_who_takes_the_call(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    """alice dials, holds and resumes, consults bob, hands the customer over and drops out; bob hangs up and
    dispositions; the call record has both legs and the transfers report counts alice's transfer."""
    async with manual_dial_world(tmp_path, aiohttp_client) as (world, client, base):
        boss = world.auth("boss")
        errors: list[str] = []
        bob, alice = await agent_consoles(browser, base, errors, ("bob", "manual-agents"), ("alice", "manual-agents"))
        await dial_until_talking(alice, "+1 212 555 0191")
        await alice.click("#cc-hold")
        await eventually(lambda: cc_state_is(alice, "held"))
        await alice.click("#cc-resume")
        await eventually(lambda: cc_state_is(alice, "talking"))
        await hand_over(alice, "agent", "bob", "#cc-warm")
        await eventually(lambda: cc_state_is(alice, "consulting"))
        await alice.screenshot(path=str(artifacts / "console-sim-consulting.png"))
        await alice.click("#cc-complete")
        await takes_the_call_over(bob, alice)
        await bob.screenshot(path=str(artifacts / "console-sim-transferred.png"))
        await hang_up_and_dispose(bob)
        attempt, legs = await last_call_and_legs(client, "bob", boss)
        assert attempt["disposition"] == "sale"
        assert [(leg["party"], leg["how"], leg["transferred_by"]) for leg in legs] == [
            ("alice", "answered", None),
            ("bob", "warm", "alice"),
        ]
        report = await (await client.get("/api/campaigns/manual/transfers", headers=boss)).json()
        assert report["transfers"] == [{"agent": "alice", "how": "warm", "to": "agent", "count": 1}]
        assert not errors, errors


async def test_a_complete_pressed_while_the_target_rings_says_so_until_it_is_done(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    """A Complete pressed while the target still rings is answered when the target answers (the service waits):
    meanwhile the console says it is waiting and its buttons wait too, so nothing is pressed twice. The answer is
    held back 1.5 s here, as a target that takes its time to pick up would hold it."""
    async with manual_dial_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        bob, alice = await agent_consoles(browser, base, errors, ("bob", "manual-agents"), ("alice", "manual-agents"))
        await dial_until_talking(alice, "+1 212 555 0191")
        await hand_over(alice, "agent", "bob", "#cc-warm")
        await eventually(lambda: cc_state_is(alice, "consulting"))

        async def slow_answer(route: Any) -> None:
            await asyncio.sleep(1.5)
            await route.continue_()

        await alice.route("**/call/transfer/complete", slow_answer)
        await alice.click("#cc-complete")
        await eventually(lambda: _contains(alice, "#cc-msg", "waiting for the target to answer"))
        assert await alice.is_disabled("#cc-complete")
        assert await alice.is_disabled("#cc-cancel")
        assert await alice.is_disabled("#cc-hangup")
        await alice.screenshot(path=str(artifacts / "console-sim-completing.png"))
        await takes_the_call_over(bob, alice)
        assert await text_of(alice, "#cc-msg") == ""
        await hang_up_and_dispose(bob)
        assert not errors, errors
