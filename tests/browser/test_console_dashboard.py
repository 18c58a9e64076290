"""The agent console and the manager dashboard in headless chromium, against the whole dialer.

Screenshots go to tests/artifacts/ (git-ignored): console-ready, console-screen-pop, console-wrapup,
dashboard-upload, dashboard-live.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from harness.browser import VIEWPORT, browsed_world, count_is, has_text, new_page, sign_in, signed_in
from harness.console import agent_console, sign_in_agent
from harness.stepping import eventually

from dialer.appkeys import DIALER

pytestmark = pytest.mark.browser


async def test_agent_logs_in_goes_ready_gets_screen_pop_and_dispositions(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        errors: list[str] = []
        # Keyboard only: sign in to the checked queues, then ready.
        page = await agent_console(browser, base, errors, "alice", live=True)
        await page.screenshot(path=str(artifacts / "console-ready.png"))
        # A simulated call is answered and routed to alice: the screen pop shows the lead and the dispositions.
        try:
            await page.wait_for_selector("#lead-name", timeout=30_000)
        except Exception:
            status = world.app[DIALER].status()
            raise AssertionError(f"no screen pop; the dialer says {status['campaigns']} {status['agents']}") from None
        await page.wait_for_selector("#dispo-buttons button[data-code=sale]")
        name = await page.inner_text("#lead-name")
        assert name.strip()
        assert "this call included" in await page.inner_text("#lead-attempts")  # counted when a call ends
        await page.screenshot(path=str(artifacts / "console-screen-pop.png"))
        # The call ends (the simulated customer hangs up): wrap-up with its countdown; disposition by hotkey.
        await page.wait_for_selector("#state-pill.pill-wrapup", timeout=60_000)
        await page.wait_for_selector("#wrapup:not([hidden])")
        await page.keyboard.press("Alt+n")
        await page.keyboard.type("Wants the premium plan")
        await page.screenshot(path=str(artifacts / "console-wrapup.png"))
        await page.keyboard.press("Alt+1")
        await eventually(lambda: _starts(page, "#dispo-msg", "Saved"))
        await page.wait_for_selector("#state-pill.pill-ready")
        attempts = await (await client.get("/api/agents/alice/calls", headers=world.auth("alice"))).json()
        done = [a for a in attempts["items"] if a["disposition"]]
        assert done[0]["disposition"] == "sale"
        assert done[0]["notes"] == "Wants the premium plan"
        # The manager's dashboard counts it by its label, not its code.
        board = await signed_in(browser, base, "boss", errors, "/dashboard")
        await eventually(lambda: has_text(board.locator("#agents-table tr", has_text="alice"), "Sale 1"), 10)
        assert not errors, errors
        await board.close()
        await page.close()


CSV = (
    "phone,first_name,last_name,Company\n"
    + "".join(f"+1 212 555 {1000 + i:04d},Pat{i},Doe,Acme {i}\n" for i in range(40))
    + "12,Bad,Number,Nope\n"
)


async def test_manager_uploads_csv_sees_report_and_watches_numbers_change(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        card = page.locator("section.campaign[data-campaign=demo]")
        await card.wait_for()
        assert "no agents" in (await card.locator("[data-field=why]").inner_text()).lower()
        # Upload: choosing the file shows the mapping preview; Import shows the report and the error download.
        csv_path = tmp_path / "new-leads.csv"
        csv_path.write_text(CSV, encoding="utf-8")
        await page.set_input_files("#upload-file", str(csv_path))
        await page.wait_for_selector("#mapping-table")
        assert await page.locator("#mapping-table tbody tr").count() == 4
        await page.click("#btn-import")
        await page.wait_for_selector("#report-figures")
        report = await page.inner_text("#report-figures")
        assert "40" in report
        href = await page.get_attribute("#errors-link", "href")
        assert href is not None
        download = await client.get(href, headers=world.auth("boss"))
        assert "Bad" in await download.text()
        await page.screenshot(path=str(artifacts / "dashboard-upload.png"), full_page=True)
        # Agents start working (through the API, as their consoles would): the dashboard follows live.
        for agent in ("alice", "bob"):
            await client.post(
                f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=world.auth(agent)
            )
            await client.post(f"/api/agents/{agent}/ready", headers=world.auth(agent))
        why = card.locator("[data-field=why]")
        await eventually(lambda: _lacks(why, "no agents"), 20)
        await eventually(lambda: count_is(page.locator("#agents-table tbody tr"), 2), 10)
        contact = card.locator(".kpi", has_text="Contact rate")
        await eventually(lambda: _lacks(contact, "/ 0 dials"), 30)
        assert "dials" in await contact.inner_text()
        await page.wait_for_timeout(4000)  # a few seconds of chart history for the screenshot
        await page.screenshot(path=str(artifacts / "dashboard-live.png"), full_page=True)
        assert not errors, errors
        await page.close()


async def _starts(page: Any, selector: str, prefix: str) -> bool:
    return (await page.inner_text(selector)).startswith(prefix)


async def _lacks(locator: Any, text: str) -> bool:
    return text not in (await locator.inner_text())


async def test_signing_out_of_the_console_leaves_the_queues(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    """Sign out with the agent Ready: the seat is given up (paused, then out of every queue): no call is routed
    to an empty chair."""
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, _client, base):
        page = await browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await sign_in_agent(page, base, "alice", live=True)
        registry = world.app[DIALER].agents.registry

        async def in_queues() -> bool:
            agent = registry.get("alice")
            return agent is not None and agent.logged_in and bool(agent.queues)

        assert await in_queues()
        await page.click("button:has-text('Sign out')")
        await page.wait_for_url(f"{base}/login")

        async def left() -> bool:
            return not await in_queues()

        await eventually(left, 10.0)
        assert not errors, errors
        await page.close()


async def test_the_console_reads_the_agents_call_when_it_changes_not_on_a_clock(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    """The call-control, CRM and script panels read the agent's call when the live feed says it may have changed
    (a new agent state, a screen pop), not every second or two: they polled about 3 requests a second per console
    (measured on the demo: 203 in a minute of a ready agent), each a session lookup, most of them the call's lead
    and history from the database. A ready agent without a
    call: no such read for seconds on end; Pause (an agent_state event): each panel reads once."""
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (_world, _client, base):
        errors: list[str] = []
        page = await agent_console(browser, base, errors, "alice", live=True)
        panels = ("/api/agents/alice/call/control", "/api/agents/alice/crm", "/api/agents/alice/script")
        reads: list[str] = []
        page.on("request", lambda request: reads.append(urlparse(request.url).path))
        await asyncio.sleep(6.0)  # three times the slowest of the old polls (1 s, 1.5 s, 2 s)
        assert [path for path in reads if path in panels] == []
        # The console's own read of the call (its 15 s refresh) may fall in the span, the old 1 s poll would not.
        assert reads.count("/api/agents/alice/call") <= 1
        await page.keyboard.press("Alt+p")
        await page.wait_for_selector("#state-pill.pill-paused")
        await eventually(lambda: all(path in reads for path in panels), 5.0)
        assert not errors, errors
        await page.close()


async def test_the_console_of_an_agent_not_yet_in_queues_reads_without_errors(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    """Before an agent first joins queues the daemon has no session of theirs: the console shows them signed out,
    and its reads of their call and CRM pop are answers, not 404s (it used to draw three a minute per console)."""
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (_world, _client, base):
        errors: list[str] = []
        failed: list[str] = []
        page = await new_page(browser, errors)
        page.on("response", lambda r: failed.append(f"{r.status} {urlparse(r.url).path}") if r.status >= 400 else None)
        reads: list[str] = []
        page.on("request", lambda request: reads.append(urlparse(request.url).path))
        await sign_in(page, base, "bob", "/console")
        await page.wait_for_selector("#state-pill.pill-logged_out")
        await eventually(lambda: _read_all(reads, "/api/agents/bob/call", "/api/agents/bob/crm"), 5.0)
        assert failed == []
        assert not errors, errors
        await page.close()


async def _read_all(reads: list[str], *paths: str) -> bool:
    return all(path in reads for path in paths)
