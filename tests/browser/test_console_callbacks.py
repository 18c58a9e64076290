"""Callbacks in the browser (headless chromium, the whole dialer): a callback an agent scheduled on a lead they
called is listed in their console with whom and when, and on the manager's dashboard with its agent; the agent
cancels it from their list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, has_text, signed_in
from harness.clock import clock_dt
from harness.console import console_with_a_call
from harness.stepping import eventually

pytestmark = pytest.mark.browser


async def test_an_agent_sees_and_cancels_their_callback_in_the_console(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        errors: list[str] = []
        page = await console_with_a_call(browser, base, errors, "alice")
        assert await page.inner_text("#my-callbacks") == "No callback scheduled"
        alice = world.auth("alice")
        call = (await (await client.get("/api/agents/alice/call", headers=alice)).json())["call"]
        lead = call["lead"]
        due = (clock_dt(world.clock) + timedelta(days=1)).isoformat()
        made = await client.post(
            "/api/callbacks", json={"lead_id": lead["id"], "due_at": due, "notes": "after the meeting"}, headers=alice
        )
        assert made.status == 201, await made.text()
        callback = await made.json()
        assert callback["agent"] == "alice"  # personal: hers
        listed = (await (await client.get("/api/callbacks?state=pending", headers=alice)).json())["items"]
        assert [(c["id"], c["phone"], c["campaign"], c["lead_name"], c["overdue"]) for c in listed] == [
            (callback["id"], lead["phone"], "demo", lead["display_name"], False)
        ]
        board = await signed_in(browser, base, "boss", errors, "/dashboard")
        row = board.locator(f"#cb-table tr[data-callback='{callback['id']}']")
        await row.wait_for(timeout=10_000)
        assert [await row.locator("td").nth(i).inner_text() for i in (1, 2, 3, 4)] == [
            "demo",
            lead["display_name"],
            "alice",
            "after the meeting",
        ]
        await eventually(lambda: has_text(board.locator("#cb-summary"), "1 pending, 0 overdue"), 10)
        await board.close()
        await page.reload()
        item = page.locator(f"#my-callbacks li[data-callback='{callback['id']}']")
        await item.wait_for(timeout=10_000)
        assert lead["display_name"] in await item.inner_text()
        assert await item.get_attribute("title") == "after the meeting"
        assert await item.get_attribute("class") != "overdue"  # due tomorrow by the dialer's clock
        await page.screenshot(path=str(artifacts / "console-callbacks.png"))
        await item.get_by_role("button", name="Cancel").click()
        await page.locator("#my-callbacks li", has_text="No callback scheduled").wait_for(timeout=10_000)

        async def cancelled() -> bool:
            mine = (await (await client.get("/api/callbacks?state=cancelled", headers=alice)).json())["items"]
            return [c["id"] for c in mine] == [callback["id"]]

        await eventually(cancelled, 10)
        assert "cancelled" in await page.inner_text("#session-msg")
        assert not errors, errors
        await page.close()
